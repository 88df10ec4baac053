"""Publish the figures of every cycle that is due.

Why this exists: figures are published on the first dashboard read after a cycle closes,
so nothing has to be scheduled. Run this from cron (say every 15 minutes) to publish
without waiting for a read, and to refresh cycles that show figures while open. It is
idempotent: a cycle already published is left alone.
"""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from assessments import services
from assessments.models import Cycle


class Command(BaseCommand):
    help = "Publish the team and organisation figures of every cycle that is due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the cycles that are due; publish none."
        )

    def handle(self, *args, dry_run, **options):
        now = timezone.now()
        due = list(
            Cycle.objects.started(now)
            .filter(Q(closes_at__lte=now) | Q(show_while_open=True))
            .exclude(publications__is_final=True)
            .order_by("opens_at", "pk")
        )
        if dry_run:
            for cycle in due:
                kind = "final" if cycle.closes_at <= now else "live step, if possible"
                self.stdout.write(f"Due: {cycle.name} ({kind})")
            self.stdout.write(f"{len(due)} cycle(s) due; nothing published (dry run).")
            return
        published = 0
        for cycle in due:
            publication = services.publish_cycle(cycle=cycle, now=now)
            if publication is None:
                self.stdout.write(f"{cycle.name}: nothing new to publish.")
                continue
            published += 1
            kind = "final figures" if publication.is_final else "figures while open"
            self.stdout.write(
                f"{cycle.name}: published {kind} (step {publication.step}), counting "
                f"{publication.counted} of {publication.submitted} responses "
                f"({publication.left_out - publication.careless_left_out} left out to protect "
                f"privacy, {publication.careless_left_out} flagged as careless)."
            )
        self.stdout.write(self.style.SUCCESS(f"Published {published} cycle(s)."))
