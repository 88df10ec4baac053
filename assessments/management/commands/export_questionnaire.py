"""Write a questionnaire version to a JSON file (or to standard output).

Why this exists: wording is frozen once a version has answers, so changing it means a
new version. Exporting gives a file in the format of the default questionnaire to edit,
review or keep under version control; ``load_questionnaire --file F --as-new-version``
brings it back as the next version. Export then import gives the same questionnaire.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments import services
from assessments.models import Questionnaire


class Command(BaseCommand):
    help = "Export a questionnaire version as JSON (the latest version unless --version)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # "--version" means the questionnaire's version here, not Django's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("name", help="The questionnaire's name, in quotes if it has spaces.")
        parser.add_argument("--version", type=int, help="Version to export (default: latest).")
        parser.add_argument(
            "--output", type=Path, help="File to write (default: standard output)."
        )

    def handle(self, *args, name: str, version: int | None, output: Path | None, **options):
        versions = Questionnaire.objects.filter(name=name)
        if not versions.exists():
            names = sorted(set(Questionnaire.objects.values_list("name", flat=True)))
            known = ", ".join(f'"{n}"' for n in names) or "none yet"
            raise CommandError(f'No questionnaire is named "{name}". Names: {known}.')
        if version is None:
            questionnaire = versions.order_by("-version").first()
        else:
            questionnaire = versions.filter(version=version).first()
            if questionnaire is None:
                known = ", ".join(
                    str(v) for v in versions.order_by("version").values_list("version", flat=True)
                )
                raise CommandError(f'"{name}" has no version {version}; it has {known}.')
        text = services.questionnaire_to_json(questionnaire)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}.") from exc
        self.stdout.write(f"Wrote {questionnaire} to {output}.")
