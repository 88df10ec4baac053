"""Import people and their teams from the HR system's CSV export.

Why this exists: the HR system knows who works here and in which team; a nightly job
exports it and runs this command, so that LVM's accounts and teams follow without anyone
typing them into the admin. New people get an account without a password (their
invitation sets one), changed people are updated, and people from earlier imports whom
the file no longer lists are deactivated: they keep their responses but can no longer log
in. ``--partial`` is for a file that lists only some people: it deactivates nobody.

The file is checked in full first: with any problem, every problem is listed, nothing is
written and the command fails. Importing the same file again changes nothing and stores
nothing; an import that changes something is kept, with its file, as a PeopleImport.
The columns are described in README.md ("Importing people").
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from assessments.models import Employee, PeopleImport
from assessments.people_csv import PeopleFileError
from assessments.services import people


def percent(text: str) -> int:
    """A whole percentage, 0 to 100 (argparse turns the ValueError into a usage error)."""
    value = int(text)
    if not 0 <= value <= 100:
        raise ValueError(text)
    return value


# So many deactivations are always allowed, whatever their share (a small organisation).
SAFE_DEACTIVATIONS = 10


class Command(BaseCommand):
    help = "Import people and teams from a CSV file exported by the HR system."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change, change nothing."
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="The file lists only some people: deactivate nobody who is not in it.",
        )
        parser.add_argument(
            "--max-deactivate",
            type=percent,
            default=10,
            metavar="PERCENT",
            help="Refuse, importing nothing, when the file would deactivate more than "
            f"{SAFE_DEACTIVATIONS} people and more than PERCENT %% of the active people that "
            "imports look after (default 10): a cut-off export must not lock everyone out. "
            "100 allows any number.",
        )

    def handle(
        self, *args, file: Path, dry_run: bool, partial: bool, max_deactivate: int, **options
    ):
        try:
            content = people.read_people_file(file.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        except PeopleFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc

        full = not partial
        if dry_run:
            plan = people.plan_people(content=content, full=full)
            if plan.errors:
                raise CommandError(self._problems(file, plan))
            try:
                self._check_deactivations(file, plan, max_deactivate)
            except CommandError:
                # Whom it would deactivate is what the dry run is for: show, then refuse.
                self._report(plan, dry_run=True, verbosity=max(options["verbosity"], 2))
                raise
        else:
            try:
                with transaction.atomic():
                    plan = people.plan_people(content=content, full=full)
                    self._check_deactivations(file, plan, max_deactivate)
                    if plan.has_changes:
                        stored = PeopleImport.objects.create(
                            filename=file.name, content=content, full=full
                        )
                        plan = people.apply_people_import(people_import=stored)
            except people.PeopleImportError as exc:
                raise CommandError(self._problems(file, exc.plan)) from exc
            except IntegrityError as exc:
                # An account was given one of the file's addresses or user names while
                # the import ran (in the admin, say): the transaction undid everything.
                raise CommandError(
                    f"{file}: nothing was imported: accounts changed in LVM while the "
                    f"import ran. Run it again. (The database said: {exc})"
                ) from exc
            if plan.errors:
                raise CommandError(self._problems(file, plan))

        self._report(plan, dry_run=dry_run, verbosity=options["verbosity"])

    @staticmethod
    def _check_deactivations(file: Path, plan: people.PeoplePlan, max_percent: int) -> None:
        leaving = len(plan.deactivated)
        if leaving <= SAFE_DEACTIVATIONS or plan.errors:
            return
        active = Employee.objects.filter(user__is_active=True).count()
        if leaving * 100 > max_percent * max(active, 1):
            raise CommandError(
                f"{file}: nothing was imported: it would deactivate {leaving} of the "
                f"{active} active people that imports look after "
                f"({round(100 * leaving / max(active, 1))} %), more than --max-deactivate "
                f"{max_percent} allows. Is the export complete? If these people really "
                "left, run it again with --max-deactivate 100; if the file lists only "
                "some people, use --partial."
            )

    @staticmethod
    def _problems(file: Path, plan: people.PeoplePlan) -> str:
        count = len(plan.errors)
        listed = "\n".join(f"- {line}" for line in plan.shown_errors())
        return (
            f"{file}: nothing was imported; {count} problem{'s' if count != 1 else ''} "
            f"to fix:\n{listed}"
        )

    def _report(self, plan: people.PeoplePlan, *, dry_run: bool, verbosity: int) -> None:
        if not plan.has_changes:
            people_in_file = f"{plan.people} {'person' if plan.people == 1 else 'people'}"
            self.stdout.write(
                f"Nothing to change: everyone in the file ({people_in_file}) is up to date."
            )
        else:
            self.stdout.write(("Would import: " if dry_run else "Imported: ") + plan.describe())
        sections = [("New", plan.created), ("Changed", plan.changed)]
        sections += [("Reactivated", plan.reactivated), ("Deactivated", plan.deactivated)]
        # Who is left active, or stays inactive, against what the file says, is always
        # worth a line; the long lists only on request.
        always = [
            ("Not deactivated", plan.spared),
            ("Still inactive", plan.still_inactive),
        ]
        for title, entries in (sections if verbosity > 1 else []) + always:
            if entries:
                self.stdout.write(f"{title}:")
                for entry in entries:
                    self.stdout.write(f"  {entry}")
        if plan.new_teams and verbosity > 1:
            self.stdout.write("New teams: " + ", ".join(plan.new_teams))
