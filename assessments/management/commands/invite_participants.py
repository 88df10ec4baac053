"""Invite the participants of open cycles by e-mail.

Why this exists: the admin action "Invite participants" suits one cycle and a few hundred
people; this command suits a large organisation or a scheduled job. It fixes each cycle's
list of participants (the members of its teams), then mails everyone on it not yet
invited: a one-time link that sets a password for new accounts, a "cycle is open" note for
the others. Run it again at any time: nobody is invited twice, and mails that failed are
tried again.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from assessments import services
from assessments.models import Cycle, Participant
from assessments.services.invitations import eligible_people

from ._progress import Progress


class Command(BaseCommand):
    help = "E-mail invitations to the participants of open cycles who were not yet invited."

    def add_arguments(self, parser):
        parser.add_argument(
            "cycles",
            nargs="*",
            type=int,
            metavar="CYCLE_ID",
            help="Cycles to invite to (default: every open cycle).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many would be mailed; send nothing."
        )

    def handle(self, *args, cycles, dry_run, **options):
        now = timezone.now()
        if cycles:
            chosen = list(Cycle.objects.filter(pk__in=cycles).order_by("opens_at", "pk"))
            missing = set(cycles) - {cycle.pk for cycle in chosen}
            if missing:
                raise CommandError(f"No cycle with id {', '.join(map(str, sorted(missing)))}.")
            closed = [cycle.name for cycle in chosen if not cycle.is_open(now)]
            if closed:
                raise CommandError(f"Not open, so nobody can be invited: {', '.join(closed)}.")
        else:
            chosen = list(Cycle.objects.open_at(now).order_by("opens_at", "pk"))
            if not chosen:
                self.stdout.write("No cycle is open; nothing to send.")
                return
        for cycle in chosen:
            if dry_run:
                self._preview(cycle)
                continue
            self.stdout.write(f"{cycle.name}:")
            mailing = services.invite_participants(
                cycle=cycle, when=now, progress=Progress(self.stdout)
            )
            self.stdout.write(
                f"  {mailing.added} added to the participants, "
                f"{mailing.sent} of {mailing.due} invitations sent."
            )
            if mailing.failed:
                self.stdout.write(
                    self.style.WARNING(
                        f"  {len(mailing.failed)} failed (see the log); run again to retry: "
                        + ", ".join(mailing.failed[:10])
                        + (" …" if len(mailing.failed) > 10 else "")
                    )
                )

    def _preview(self, cycle):
        listed = Participant.objects.filter(cycle=cycle, user=OuterRef("pk"))
        new = eligible_people(cycle).exclude(Exists(listed)).count()
        waiting = (
            Participant.objects.filter(cycle=cycle, invited_at__isnull=True, user__is_active=True)
            .exclude(user__email="")
            .count()
        )
        self.stdout.write(
            f"{cycle.name}: {new} would be added to the participants and "
            f"{new + waiting} invited (dry run: nothing sent)."
        )
