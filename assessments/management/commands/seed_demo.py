"""Fill the database with a small demo organisation.

Why this exists: a new installation (and every developer) should see LVM with realistic
data at once: about forty people in five teams (two of them smaller than the minimum
group size, so the privacy threshold shows), a closed past cycle and an open current one,
with submitted, in-progress and not-started responses. The closed cycle has 34 submitted
responses, enough for the instrument report (30), three of them from straight-liners who
gave every item the same answer in about a minute, so the careless-response flags show.
Answers come from the latent-trait model in ``assessments.demo``, so each dimension's
Cronbach's alpha lies between 0.7 and 0.9. Each person's answers come from a random
generator seeded with their name: running it twice changes nothing, and the same people
always give the same answers.

The people and their teams come from ``assessments/data/demo_people.csv``, imported as
HR's file would be (``services.people``, listing only some people, so nobody else is
deactivated); they then get the demo password, since imported people have none until
their invitation.
"""

import random
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from assessments import demo, people_csv, services
from assessments.models import Cycle, Participant, Questionnaire, Response
from assessments.roles import HR_GROUP
from assessments.services import people as people_import

DEMO_PASSWORD = "lvm-demo-2026"

# The demo's people: five teams with a manager each, two of them (People and Culture,
# Design Studio) below the default minimum group size of 5.
DEMO_PEOPLE = Path(__file__).resolve().parents[2] / "data" / "demo_people.csv"
CURRENT_DRAFT = {"hugo", "ines", "rosa", "zoe", "dana"}
CURRENT_NOT_STARTED = {"jonas", "sven", "yara", "gita"}
PAST_NOT_STARTED = {"jonas", "quinn", "xavier"}
# Careless respondents in the closed cycle: the one answer each gives to every item.
PAST_STRAIGHT_LINERS = {"femi": 4, "oscar": 4, "wanda": 3}
# Chosen so that every dimension's alpha in the closed cycle lies in 0.7-0.9; the model
# gives that for about half of all seeds (a few dozen people make alpha vary).
SEED = "lvm-demo-18"


class Command(BaseCommand):
    help = "Create a demo organisation with teams, cycles and responses (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen, change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        with transaction.atomic():
            call_command("load_questionnaire", verbosity=0, stdout=self.stdout)
            created = self._seed()
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(
            ("Would create" if dry_run else "Created") + f" {created} new demo records."
        )
        self.stdout.write(
            "\nDemo logins (password for all: " + DEMO_PASSWORD + ")\n"
            "  admin  - administrator (superuser): everything\n"
            "  helga  - HR: organisation overview, every team, the admin's HR pages\n"
            "  maria  - manager of Platform Engineering (team dashboard)\n"
            "  jonas  - employee who has not started the current assessment\n"
            "  hugo   - employee with the current assessment in progress\n"
            "  arjun  - employee who has submitted both rounds (results and trend)\n"
        )

    def _seed(self) -> int:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)
        created = 0

        admin, made = User.objects.get_or_create(
            username="admin",
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "email": "admin@example.com",
                "first_name": "Alex",
                "last_name": "Admin",
                "password": password,
            },
        )
        created += made

        hr, made = User.objects.get_or_create(
            username="helga",
            defaults={
                "is_staff": True,
                "email": "helga@example.com",
                "first_name": "Helga",
                "last_name": "HR",
                "password": password,
            },
        )
        created += made
        group = Group.objects.filter(name=HR_GROUP).first()
        if group is not None:
            hr.groups.add(group)

        content = DEMO_PEOPLE.read_text(encoding="utf-8")
        plan = people_import.import_people(content=content, full=False)
        created += len(plan.created) + len(plan.new_teams)
        usernames = [row.username for row in people_csv.parse(content).rows]
        # Imported people have no password until their invitation; the demo's log in at once.
        User.objects.filter(
            username__in=usernames, password__startswith=UNUSABLE_PASSWORD_PREFIX
        ).update(password=password)
        people = {user.username: user for user in User.objects.filter(username__in=usernames)}

        questionnaire = Questionnaire.objects.order_by("-created_at").first()
        # Cycles open at 09:00 and close at 17:00 (local time), as a real one would.
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        nine, five = timedelta(hours=9), timedelta(hours=17)
        past, made = Cycle.objects.get_or_create(
            name="Spring 2026",
            defaults={
                "questionnaire": questionnaire,
                "opens_at": midnight - timedelta(days=200) + nine,
                "closes_at": midnight - timedelta(days=170) + five,
            },
        )
        created += made
        current, made = Cycle.objects.get_or_create(
            name="Autumn 2026",
            defaults={
                "questionnaire": questionnaire,
                "opens_at": midnight - timedelta(days=10) + nine,
                "closes_at": midnight + timedelta(days=30) + five,
            },
        )
        created += made

        questions = {cycle: services.cycle_questions(cycle) for cycle in (past, current)}
        dimensions = demo.dimensions_of(questions[past] + questions[current])
        # Each person has stable true levels; they move a little between the cycles.
        first, second = {}, {}
        for name in sorted(people):
            rng = random.Random(f"{SEED}:{name}")
            first[name] = demo.new_person(dimensions, rng)
            second[name] = demo.later(first[name], rng)
            if name in PAST_STRAIGHT_LINERS:
                first[name] = demo.straight_liner(first[name], PAST_STRAIGHT_LINERS[name])
        for cycle, not_started, drafts, state in (
            (past, PAST_NOT_STARTED, set(), first),
            (current, CURRENT_NOT_STARTED, CURRENT_DRAFT, second),
        ):
            asked = questions[cycle]
            scale = {
                "scale_min": cycle.questionnaire.scale_min,
                "scale_max": cycle.questionnaire.scale_max,
            }
            for name in sorted(people):
                if name in not_started:
                    continue
                if Response.objects.filter(cycle=cycle, respondent=people[name]).exists():
                    continue
                rng = random.Random(f"{SEED}:{name}:{cycle.name}")
                given = demo.answers_for(state[name], asked, rng, **scale)
                started = cycle.opens_at + timedelta(days=rng.uniform(0, 5))
                if name in drafts:
                    given = dict(list(given.items())[: rng.randint(5, len(asked) - 5)])
                    submitted = None
                elif state[name].straight_line is not None:
                    submitted = started + timedelta(seconds=rng.uniform(45, 75))
                else:
                    submitted = started + timedelta(hours=rng.uniform(1, 48))
                services.record_response(
                    user=people[name],
                    cycle=cycle,
                    answers=given,
                    questions=asked,
                    started_at=started,
                    submitted_at=submitted,
                )
                created += 1

        # The current cycle's invitations went out when it opened, and a reminder three
        # days later to everyone who had not submitted by then: recorded, not sent, so
        # that the participation page has something to show.
        created += services.add_participants(cycle=current, when=current.opens_at)
        Participant.objects.filter(cycle=current, invited_at__isnull=True).update(
            invited_at=current.opens_at
        )
        reminded_at = current.opens_at + timedelta(days=3)
        done_by_then = Response.objects.filter(
            cycle=current, respondent=OuterRef("user"), submitted_at__lt=reminded_at
        )
        Participant.objects.filter(cycle=current, reminders_sent=0).exclude(
            Exists(done_by_then)
        ).update(reminders_sent=1, last_reminded_at=reminded_at)
        return created
