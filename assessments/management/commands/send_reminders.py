"""Remind the participants of open cycles who have not submitted.

Why this exists: people forget, and a short reminder raises response rates more than
anything else. Safe to run from cron every hour: each person gets at most one reminder
every REMINDER_EVERY_DAYS days and REMINDER_MAX in all; in the last
REMINDER_LAST_CALL_HOURS before closing, a last one may come sooner, but never within a
day of the previous mail. Every reminder sent is recorded, so a second run right after
the first sends nothing.
"""

from django.core.management.base import BaseCommand

from assessments import services
from assessments.services.invitations import ReminderRules

from ._progress import Progress


class Command(BaseCommand):
    help = "E-mail a reminder to the participants of open cycles who have not yet submitted."

    def add_arguments(self, parser):
        defaults = ReminderRules.from_settings()
        parser.add_argument(
            "--every-days",
            type=int,
            default=defaults.every_days,
            metavar="N",
            help=f"At most one reminder per person every N days (default {defaults.every_days}).",
        )
        parser.add_argument(
            "--max",
            type=int,
            default=defaults.at_most,
            metavar="M",
            dest="at_most",
            help=f"At most M reminders per person and cycle (default {defaults.at_most}).",
        )
        parser.add_argument(
            "--last-call-hours",
            type=int,
            default=defaults.last_call_hours,
            metavar="H",
            help="In the last H hours before closing, remind sooner than every N days, "
            f"but a day after the previous mail at the earliest (default "
            f"{defaults.last_call_hours}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say how many are due (with -v 2, to whom); send nothing.",
        )

    def handle(self, *args, every_days, at_most, last_call_hours, dry_run, **options):
        rules = ReminderRules(
            every_days=every_days, at_most=at_most, last_call_hours=last_call_hours
        )
        if dry_run:
            mailing = services.send_reminders(rules=rules, dry_run=True)
            self.stdout.write(f"{mailing.due} reminders due (dry run: nothing sent).")
            if options["verbosity"] > 1:
                for addressee in mailing.would_send:
                    self.stdout.write(f"  {addressee}")
            return
        mailing = services.send_reminders(rules=rules, progress=Progress(self.stdout))
        self.stdout.write(f"{mailing.sent} of {mailing.due} reminders sent.")
        if mailing.failed:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(mailing.failed)} failed (see the log); they are tried again on "
                    "the next run."
                )
            )
