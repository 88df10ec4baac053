"""Load the default questionnaire (or another one from a JSON file).

Why this exists: a fresh installation needs a questionnaire before anyone can take an
assessment, and HR should not have to type forty questions into the admin. Running it
again changes nothing: a version that already exists is left as it is, because once a
version has answers its wording is frozen. Publish changed wording as a new version:
``--as-new-version`` imports a file (say one from ``export_questionnaire``, edited) as
the next version of its name, whatever version the file says.

A file is checked in full before anything is written; every problem is listed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import services


class Command(BaseCommand):
    help = "Load the default leadership/management questionnaire (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, default=services.DEFAULT_FILE, help="JSON file to load."
        )
        parser.add_argument(
            "--as-new-version",
            action="store_true",
            help="Import the file as the next version of its name, even if that name "
            "and version exist already.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen, change nothing."
        )

    def handle(self, *args, file: Path, as_new_version: bool, dry_run: bool, **options):
        try:
            data = services.read_questionnaire_file(file)
            with transaction.atomic():
                if as_new_version:
                    questionnaire = services.import_questionnaire(data)
                    created = True
                else:
                    questionnaire, created = services.load_questionnaire(data)
                if dry_run:
                    transaction.set_rollback(True)
        except services.QuestionnaireFileError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Would create" if dry_run and created else "Created" if created else "Kept"
        self.stdout.write(
            f"{verb} {questionnaire} with {len(data['dimensions'])} dimensions and "
            f"{sum(len(d['questions']) for d in data['dimensions'])} questions."
        )
