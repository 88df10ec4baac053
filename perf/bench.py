"""Measure publishing and the dashboards on a synthetic organisation of realistic size.

Figures are published once per cycle and the pages only read what was published, so
publishing must stay affordable and the pages must cost about the same whatever a team's
size; timed unit tests cannot show that. This script builds (once) a synthetic
organisation in the configured database: by default 100,000 respondents who submitted a
40-item questionnaire in a cycle that has closed, in teams of 10 to 1,000 members, plus a
10,000-member division made of whole teams (its people are also in their own team). Each
submitted response has its team snapshot and careless-response indicators, as a
submission stores them; the answers come from the demo's latent-trait model. A small
second cycle stays open for the submission benchmark.

Every run then publishes the closed cycle (timed; an earlier publication is undone first),
computes its instrument report (timed) and times real requests through Django's test
client, interleaved: a signed-in 404 (the floor), the home page, the dashboards of the
10-, 1,000- and 10,000-member teams, the organisation overview, one person's results page
and one 40-item submission (a fresh user each time). It prints median and p95 server time
and the SQL queries of one request, next to the target of each. See perf/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvm_bench python -m perf.bench
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script: set Django up before importing the models
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from perf.common import setup_django

    setup_django()

import argparse
import contextlib
import gc
import io
import logging
import math
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from assessments import carelessness, demo, roles, services
from assessments.models import (
    Answer,
    Cycle,
    Dimension,
    DimensionScore,
    InstrumentReport,
    Membership,
    Publication,
    PublishedGroup,
    Question,
    Questionnaire,
    Response,
    ScaleLabel,
    Team,
    TeamSnapshot,
)
from assessments.services.responses import careless_indicators
from perf.common import duration, post_form, split_into_teams

MARKER = "Benchmark"
OPEN_CYCLE = f"{MARKER} open cycle"  # for the submission benchmark
DIVISION_NAME = f"{MARKER} division"
SUBMITTERS = f"{MARKER} submitters"  # the team of the people the submission benchmark makes
USER_PREFIX = "bench-"
DIVISION, BIG_TEAM, SMALL_TEAM = 10_000, 1000, 10
MIN_RESPONDENTS = BIG_TEAM // 10 + SMALL_TEAM
COPY_CHUNK = 1 << 20  # bytes handed to COPY at a time
STRAIGHT_LINERS = 1 / 400  # share of respondents who give one answer to every item

# Targets (docs/benchmarks.md). Times are medians of the server time of one request.
PUBLISH_SECONDS = 10.0
DASHBOARD_MS, DASHBOARD_QUERIES = 10.0, 7
FLOOR_FACTOR = 2.0  # a dashboard costs at most this many times the signed-in 404
SIZE_FACTOR = 1.2  # the 10,000-member dashboard at most this many times the 10-member one
OVERVIEW_MS = 30.0
INSTRUMENT_SECONDS = 10.0  # the instrument report of a closed cycle, computed once
PAGE_MS, PAGE_QUERIES = 30.0, 10  # results page and submission


class BenchError(Exception):
    """The benchmark cannot run or measured something that is not what it should be."""


@dataclass
class Measurement:
    name: str
    timings: list[float]
    queries: int | None
    target: str = "–"
    problems: list[str] = field(default_factory=list)
    checked: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.timings)

    @property
    def p95(self) -> float:
        return percentile(self.timings, 95)

    def check(self, ok: bool, problem: str) -> None:
        self.checked = True
        if not ok:
            self.problems.append(problem)

    @property
    def verdict(self) -> str:
        if not self.checked:
            return "–"
        return "yes" if not self.problems else "NO: " + "; ".join(self.problems)


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile by nearest rank (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def team_sizes(respondents: int, rng: random.Random) -> tuple[list[int], int]:
    """Team sizes, and how many of the first teams make up the division.

    The 1,000-member team comes first and the 10-member team second, then the other
    teams of the division, then the rest; all but the first two log-uniform between 10
    and 1,000. The division holds whole teams, so everyone's set of teams is shared by
    at least 10 people: a tenth of the organisation up to 10,000 people, and at least
    the first two teams.
    """
    big = min(BIG_TEAM, respondents - SMALL_TEAM)
    rest = respondents - big - SMALL_TEAM
    if rest < SMALL_TEAM:
        return [big + rest, SMALL_TEAM], 2
    in_division = max(0, min(DIVISION, respondents // 10) - big - SMALL_TEAM)
    if in_division < SMALL_TEAM:
        in_division = 0
    outside = rest - in_division
    if 0 < outside < SMALL_TEAM:
        in_division, outside = rest, 0

    def draw() -> int:
        size = math.exp(rng.uniform(math.log(SMALL_TEAM), math.log(BIG_TEAM)))
        return min(round(size), BIG_TEAM - 1)

    def fill(people: int) -> list[int]:
        return split_into_teams(people, draw, smallest=SMALL_TEAM, largest=BIG_TEAM - 1)

    sizes = [big, SMALL_TEAM, *fill(in_division)]
    return sizes + fill(outside), len(sizes)


def check_database() -> str:
    """The database's name, if it is one for benchmarks; it adds 100,000 people."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name and "test" not in name and "memory" not in name:
        raise BenchError(
            f"Refusing to fill the database {name!r} with benchmark data: point "
            "DATABASE_URL at a database whose name contains 'bench', e.g. "
            "postgres://postgres@127.0.0.1:5432/lvm_bench."
        )
    return name


class Bench:
    """One run: build or reuse the organisation, publish it, measure the pages."""

    def __init__(self, *, out=None, verbose: bool = False):
        self.out = out or sys.stdout
        self.verbose = verbose

    def write(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def run(self, *, respondents: int, repeat: int, reset: bool, seed: int, build_only: bool):
        name = check_database()
        self.write(f"Database: {connection.vendor} ({name})")
        if reset:
            started = time.perf_counter()
            self.delete()
            self.write(f"Removed the old benchmark data in {time.perf_counter() - started:.1f} s.")
            # So that the rebuild reuses the space: otherwise COPY appends, and every scan of
            # the answers reads twice the pages a fresh build has.
            self.vacuum(
                get_user_model(), Membership, Response, Answer, DimensionScore, TeamSnapshot
            )
        cycle = self.existing()
        if cycle is None:
            started = time.perf_counter()
            cycle = self.build(respondents=respondents, seed=seed)
            self.write(
                f"Built {respondents:,} respondents in {time.perf_counter() - started:.1f} s."
            )
        else:
            have = Response.objects.filter(
                cycle=cycle, respondent__username__startswith=USER_PREFIX + "u"
            ).count()
            self.write(f"Reusing the benchmark organisation ({have:,} respondents).")
            if have != respondents:
                self.write(
                    f"It has {have:,} respondents, not {respondents:,}: --reset rebuilds it."
                )
        if build_only:
            return None
        publishing = self.publish(cycle)
        report = self.instrument(cycle)
        return self.measure(cycle, [publishing, report], repeat=repeat)

    def existing(self) -> Cycle | None:
        """The benchmark's closed cycle, if the data is there; refuses an outdated layout."""
        cycle = Cycle.objects.filter(name=MARKER, questionnaire__name=MARKER).first()
        if cycle is None:
            return None
        if (
            cycle.closes_at > timezone.now()
            or not Cycle.objects.filter(name=OPEN_CYCLE).exists()
            or not Team.objects.filter(name__startswith=DIVISION_NAME + " (").exists()
            or not TeamSnapshot.objects.filter(cycle=cycle).exists()
        ):
            raise BenchError(
                "The benchmark data was built by an older version of this script (an open "
                "cycle, no division or no team snapshots): run it again with --reset."
            )
        return cycle

    # --- building ----------------------------------------------------------------------------

    def delete(self) -> None:
        """Remove the benchmark rows with set-based SQL (the ORM would load millions)."""
        User = get_user_model()
        table = {
            m: m._meta.db_table
            for m in (Answer, DimensionScore, Response, Membership, TeamSnapshot)
        }
        cycles = [
            int(pk)
            for pk in Cycle.objects.filter(name__startswith=MARKER).values_list("pk", flat=True)
        ]
        users = f"SELECT id FROM {User._meta.db_table} WHERE username LIKE %s"
        of_users = f"SELECT id FROM {table[Response]} WHERE respondent_id IN ({users})"
        with transaction.atomic(), connection.cursor() as cursor:
            if cycles:
                in_cycles = f"cycle_id IN ({', '.join(map(str, cycles))})"
                responses = f"SELECT id FROM {table[Response]} WHERE {in_cycles}"
                cursor.execute(f"DELETE FROM {table[TeamSnapshot]} WHERE {in_cycles}")
                for model in (Answer, DimensionScore):
                    cursor.execute(
                        f"DELETE FROM {table[model]} WHERE response_id IN ({responses})"
                    )
                cursor.execute(f"DELETE FROM {table[Response]} WHERE {in_cycles}")
                # Their publications go with them (a few rows).
                Cycle.objects.filter(pk__in=cycles).delete()
            cursor.execute(
                f"DELETE FROM {table[Membership]} WHERE user_id IN ({users})", [USER_PREFIX + "%"]
            )
            # People created by the submission benchmark may have answered other cycles.
            for model in (TeamSnapshot, Answer, DimensionScore):
                cursor.execute(
                    f"DELETE FROM {table[model]} WHERE response_id IN ({of_users})",
                    [USER_PREFIX + "%"],
                )
            cursor.execute(
                f"DELETE FROM {table[Response]} WHERE respondent_id IN ({users})",
                [USER_PREFIX + "%"],
            )
            for through in (User.groups.through, User.user_permissions.through):
                cursor.execute(
                    f"DELETE FROM {through._meta.db_table} WHERE user_id IN ({users})",
                    [USER_PREFIX + "%"],
                )
            cursor.execute(
                f"DELETE FROM {User._meta.db_table} WHERE username LIKE %s", [USER_PREFIX + "%"]
            )
            Team.objects.filter(name__startswith=MARKER).delete()
            questionnaires = Questionnaire.objects.filter(name=MARKER)
            Question.objects.filter(questionnaire__in=questionnaires).delete()
            Dimension.objects.filter(questionnaire__in=questionnaires).delete()
            ScaleLabel.objects.filter(questionnaire__in=questionnaires).delete()
            questionnaires.delete()

    def build(self, *, respondents: int, seed: int) -> Cycle:
        rng = random.Random(seed)
        User = get_user_model()
        now = timezone.now()
        step = self.stepper()
        with transaction.atomic():
            data = services.read_questionnaire_file(services.DEFAULT_FILE)
            data["name"] = MARKER
            questionnaire, _ = services.load_questionnaire(data)
            # The measured cycle has closed; the open one opened before it, so that the
            # pages show the closed cycle by default (the open one is in its trend).
            cycle = Cycle.objects.create(
                name=MARKER,
                questionnaire=questionnaire,
                opens_at=now - timedelta(days=30),
                closes_at=now - timedelta(days=1),
                min_group_size=5,
            )
            Cycle.objects.create(
                name=OPEN_CYCLE,
                questionnaire=questionnaire,
                opens_at=now - timedelta(days=60),
                closes_at=now + timedelta(days=3650),
                min_group_size=5,
            )
            questions = services.cycle_questions(cycle)
            sizes, in_division = team_sizes(respondents, rng)
            division_people = sum(sizes[:in_division])
            step(
                f"questionnaire and cycles; {len(sizes)} teams of {min(sizes)}-{max(sizes)} "
                f"and a division of {division_people:,} ({in_division} teams)"
            )

            # People: one member row per respondent (two in the division), one manager per
            # team and one for the division, one HR user (staff; the HR group is added when
            # measuring).
            users = [(f"{USER_PREFIX}u{i:07d}", False) for i in range(respondents)] + [
                (f"{USER_PREFIX}m{t:05d}", False) for t in range(len(sizes))
            ]
            users += [(f"{USER_PREFIX}mdivision", False), (f"{USER_PREFIX}staff", True)]
            self.insert(
                User,
                [
                    "password",
                    "is_superuser",
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "is_staff",
                    "is_active",
                    "date_joined",
                ],
                (
                    ("!bench", False, name, "Bench", "User", "", staff, True, now)
                    for name, staff in users
                ),
            )
            ids = dict(
                User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "pk")
            )
            step(f"{len(users):,} users")

            teams = Team.objects.bulk_create(
                [
                    Team(name=f"{MARKER} team {t:05d} ({size} people)")
                    for t, size in enumerate(sizes)
                ]
                + [
                    Team(name=f"{DIVISION_NAME} ({division_people} people)"),
                    Team(name=SUBMITTERS),
                ]
            )
            division = teams[len(sizes)]
            memberships = [(ids[f"{USER_PREFIX}mdivision"], division.pk, "manager")]
            team_of: list[int] = []  # each respondent's own team
            for t, (team, size) in enumerate(zip(teams[: len(sizes)], sizes, strict=True)):
                memberships.append((ids[f"{USER_PREFIX}m{t:05d}"], team.pk, "manager"))
                for _ in range(size):
                    member = len(team_of)
                    team_of.append(team.pk)
                    memberships.append((ids[f"{USER_PREFIX}u{member:07d}"], team.pk, "member"))
                    if t < in_division:
                        memberships.append(
                            (ids[f"{USER_PREFIX}u{member:07d}"], division.pk, "member")
                        )
            self.insert(Membership, ["user_id", "team_id", "role"], memberships)
            step(f"{len(memberships):,} memberships")

            # Answers from the demo's latent-trait model, so that the dimensions measure
            # something (the instrument report has reliabilities to show), and a few
            # straight-liners who click through fast, so that the careless-response flags
            # are not all empty. Scored and checked by the services, as a submission is;
            # written with COPY below: record_response would take hours.
            dims = demo.dimensions_of(questions)
            low, high = questionnaire.scale_min, questionnaire.scale_max
            answers: list[bytes] = []
            responses = []
            window = (cycle.closes_at - cycle.opens_at).total_seconds() / 60
            for i in range(respondents):
                person = demo.new_person(dims, rng)
                careless = rng.random() < STRAIGHT_LINERS
                if careless:
                    person = demo.straight_liner(person, rng.randint(low, high))
                given = demo.answers_for(person, questions, rng, scale_min=low, scale_max=high)
                result = services.score_answers(questions, given, questionnaire=questionnaire)
                answers.append(bytes(given.values()))
                # Submitted while the cycle was open, a few seconds per item after the
                # first answer (a straight-liner: about one).
                submitted = cycle.opens_at + timedelta(minutes=rng.uniform(30, window - 10))
                per_item = rng.uniform(0.5, 1.5) if careless else rng.uniform(3, 15)
                started = submitted - timedelta(seconds=per_item * len(questions))
                flagged = careless_indicators(
                    questions,
                    given,
                    questionnaire=questionnaire,
                    started_at=started,
                    submitted_at=submitted,
                )
                responses.append(
                    (
                        cycle.pk,
                        ids[f"{USER_PREFIX}u{i:07d}"],
                        "submitted",
                        started,
                        submitted,
                        submitted,
                        result.leadership,
                        result.management,
                        result.balance,
                        result.profile.value,
                        flagged.longest_run,
                        flagged.seconds_to_submit,
                        flagged.reverse_inconsistency,
                        carelessness.stored_flags(flagged.flags),
                        result.dimension_scores,
                    )
                )
            step(f"{respondents:,} people answered and scored")

            self.insert(
                Response,
                [
                    "cycle_id",
                    "respondent_id",
                    "status",
                    "started_at",
                    "updated_at",
                    "submitted_at",
                    "leadership_score",
                    "management_score",
                    "balance",
                    "profile",
                    "longest_run",
                    "seconds_to_submit",
                    "reverse_inconsistency",
                    "flags",
                ],
                (r[:-1] for r in responses),
            )
            response_ids = dict(
                Response.objects.filter(cycle=cycle).values_list("respondent_id", "pk")
            )
            step(f"{len(responses):,} responses")
            question_ids = [q.pk for q in questions]
            self.insert(
                Answer,
                ["response_id", "question_id", "value"],
                (
                    (response_ids[r[1]], qid, value)
                    for r, values in zip(responses, answers, strict=True)
                    for qid, value in zip(question_ids, values, strict=True)
                ),
            )
            step(f"{respondents * len(questions):,} answers")
            dimensions = len({q.dimension_id for q in questions})
            self.insert(
                DimensionScore,
                ["response_id", "dimension_id", "score"],
                (
                    (response_ids[r[1]], int(dim), score)
                    for r in responses
                    for dim, score in r[-1].items()
                ),
            )
            step(f"{respondents * dimensions:,} dimension scores")
            # The teams each person was a member of when they submitted, as a submission
            # records them; nobody is counted before publishing.
            snapshots = 0

            def snapshot_rows():
                nonlocal snapshots
                for i, r in enumerate(responses):
                    response_id = response_ids[r[1]]
                    yield (response_id, team_of[i], cycle.pk)
                    snapshots += 1
                    if i < division_people:
                        yield (response_id, division.pk, cycle.pk)
                        snapshots += 1

            self.insert(TeamSnapshot, ["response_id", "team_id", "cycle_id"], snapshot_rows())
            step(f"{snapshots:,} team snapshots")
        self.vacuum(
            get_user_model(), Team, Membership, Response, Answer, DimensionScore, TeamSnapshot
        )
        return cycle

    def vacuum(self, *models) -> None:
        """Fresh statistics and a visibility map, as a live database would have them.

        PostgreSQL only. VACUUM cannot run inside a transaction (e.g. in a test): then
        ANALYZE only.
        """
        if connection.vendor != "postgresql":
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"{command} {model._meta.db_table}")
        self.write(f"  {time.perf_counter() - started:6.1f} s  {command} of {len(models)} tables")

    def stepper(self) -> Callable[[str], None]:
        last = [time.perf_counter()]

        def step(what: str) -> None:
            now = time.perf_counter()
            self.write(f"  {now - last[0]:6.1f} s  {what}")
            last[0] = now

        return step

    def insert(self, model, columns: list[str], rows: Iterable[tuple]) -> None:
        """Insert many rows: COPY on PostgreSQL, bulk_create batches elsewhere."""
        if connection.vendor == "postgresql":
            copy_rows(model._meta.db_table, columns, rows)
            return
        batch: list = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) == 20_000:
                model.objects.bulk_create(batch, batch_size=2_000)
                batch.clear()
        if batch:
            model.objects.bulk_create(batch, batch_size=2_000)

    # --- publishing --------------------------------------------------------------------------

    def unpublish(self, cycle: Cycle) -> bool:
        """Undo an earlier publication of the cycle, so that this run times publishing."""
        if not Publication.objects.filter(cycle=cycle).exists():
            return False
        with transaction.atomic():
            PublishedGroup.objects.filter(publication__cycle=cycle).delete()
            Publication.objects.filter(cycle=cycle).delete()
            Response.objects.filter(cycle=cycle, published_step__isnull=False).update(
                published_step=None
            )
            Cycle.objects.filter(pk=cycle.pk).update(publish_checked=0)
        return True

    def publish(self, cycle: Cycle) -> Measurement:
        """Publish the closed cycle, timed: the work the first read after closing does."""
        if self.unpublish(cycle):
            self.write("Undid the earlier publication, to time publishing again.")
            self.vacuum(Response, TeamSnapshot, Publication, PublishedGroup)
        respondents = Response.objects.filter(cycle=cycle, status="submitted").count()
        teams = Team.objects.count()
        queries = CaptureQueriesContext(connection)
        gc.collect()
        with queries:
            started = time.perf_counter()
            publication = services.publish_cycle(cycle=cycle, now=timezone.now())
            elapsed = time.perf_counter() - started
        if publication is None or not publication.is_final:
            raise BenchError("Publishing the closed benchmark cycle published nothing.")
        per_thousand = elapsed / respondents * 1000
        self.write(
            f"Published {respondents:,} respondents in {teams} teams in {elapsed:.2f} s "
            f"({per_thousand * 1000:.0f} ms per 1,000 respondents, {len(queries)} queries): "
            f"{publication.counted:,} counted, {publication.left_out:,} left out, "
            f"{publication.groups.count()} published groups."
        )
        if self.verbose:
            self.write("  slowest statements of publishing:")
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]
            for query in slowest:
                sql = " ".join(query["sql"].split())
                self.write(f"  {float(query['time']) * 1000:8.1f} ms  {sql[:300]}")
        self.vacuum(Response, TeamSnapshot, Publication, PublishedGroup)
        measurement = Measurement(
            f"publishing the cycle ({respondents:,} respondents)",
            [elapsed],
            len(queries),
            target=f"≤ {PUBLISH_SECONDS:.0f} s",
        )
        measurement.check(elapsed <= PUBLISH_SECONDS, f"over {PUBLISH_SECONDS:.0f} s")
        return measurement

    def instrument(self, cycle: Cycle) -> Measurement:
        """Compute the closed cycle's instrument report, timed (once per cycle in use)."""
        answers = Answer.objects.filter(response__cycle=cycle).count()
        # A report is made once per cycle: drop an earlier run's, to time making it.
        InstrumentReport.objects.filter(cycle=cycle).delete()
        queries = CaptureQueriesContext(connection)
        gc.collect()
        with queries:
            started = time.perf_counter()
            report = services.compute_instrument_report(cycle=cycle)
            elapsed = time.perf_counter() - started
        if report is None:
            raise BenchError("The instrument report of the benchmark cycle was not computed.")
        alphas = [d["alpha"] for d in report.dimensions if d["alpha"] is not None]
        self.write(
            f"Instrument report of {report.responses:,} responses ({answers:,} answers) in "
            f"{elapsed:.2f} s ({len(queries)} queries); alpha "
            f"{min(alphas):.3f}-{max(alphas):.3f} over {len(report.dimensions)} dimensions."
        )
        measurement = Measurement(
            f"instrument report ({answers:,} answers)",
            [elapsed],
            len(queries),
            target=f"≤ {INSTRUMENT_SECONDS:.0f} s",
        )
        measurement.check(elapsed <= INSTRUMENT_SECONDS, f"over {INSTRUMENT_SECONDS:.0f} s")
        return measurement

    # --- measuring ---------------------------------------------------------------------------

    def measure(self, cycle: Cycle, timed: list[Measurement], *, repeat: int) -> list[Measurement]:
        User = get_user_model()
        # team_sizes puts the 1,000-member team first and the 10-member team second.
        big = Team.objects.filter(name__startswith=f"{MARKER} team 00000 ").first()
        small = Team.objects.filter(name__startswith=f"{MARKER} team 00001 ").first()
        division = Team.objects.filter(name__startswith=DIVISION_NAME + " (").first()
        submitters = Team.objects.filter(name=SUBMITTERS).first()
        open_cycle = Cycle.objects.filter(name=OPEN_CYCLE).first()
        if None in (big, small, division, submitters, open_cycle):
            raise BenchError("The benchmark teams or cycles are missing: run with --reset.")
        teams = (small, big, division)
        size = {
            team.pk: Membership.objects.filter(team=team, role="member").count() for team in teams
        }
        manager_of = {
            team.pk: Membership.objects.get(team=team, role="manager").user for team in teams
        }
        hr = self.hr_user()
        respondent = Membership.objects.filter(team=big, role="member").first().user
        questions = services.cycle_questions(open_cycle)

        def signed_in(user) -> Client:
            client = Client()
            client.force_login(user)
            return client

        submit_client = Client()

        def fresh_user() -> tuple[str, dict]:
            # A new member of a team who has not answered yet, logged in, with the form of
            # answers as the page gives it (where it posts, its hidden fields).
            user = User.objects.create(
                username=f"{USER_PREFIX}s-{uuid.uuid4().hex[:12]}", password="!bench"
            )
            Membership.objects.create(user=user, team=submitters, role="member")
            submit_client.force_login(user)
            edit = reverse("assessments:response-edit", args=[open_cycle.pk])
            page = submit_client.get(edit).content.decode()
            action, hidden = post_form(page, having=f"q{questions[0].pk}")
            if action is None:
                raise BenchError(f"{edit} shows no form of answers.")
            return action or edit, {**hidden, **answers, "action": "submit"}

        rng = random.Random(7)
        given = demo.answers_for(
            demo.new_person(demo.dimensions_of(questions), rng),
            questions,
            rng,
            scale_min=open_cycle.questionnaire.scale_min,
            scale_max=open_cycle.questionnaire.scale_max,
        )
        answers = {f"q{pk}": str(value) for pk, value in given.items()}
        dashboard = {
            team.pk: (
                f"team dashboard, {size[team.pk]:,} members"
                + (" (division)" if team is division else "")
            )
            for team in teams
        }
        # (name, client, url, POST data, prepare, expected status); prepare gives the URL
        # and the data of a POST instead.
        plan = [
            (
                "signed-in 404 (floor)",
                signed_in(manager_of[small.pk]),
                reverse("assessments:team-dashboard", args=[999_999_999]),
                None,
                None,
                404,
            ),
            ("home page", signed_in(manager_of[big.pk]), "/", None, None, 200),
            *(
                (
                    dashboard[team.pk],
                    signed_in(manager_of[team.pk]),
                    reverse("assessments:team-dashboard", args=[team.pk]),
                    None,
                    None,
                    200,
                )
                for team in teams
            ),
            (
                "organisation overview",
                signed_in(hr),
                reverse("assessments:organisation-overview"),
                None,
                None,
                200,
            ),
            (
                "results page",
                signed_in(respondent),
                reverse("assessments:result-detail", args=[cycle.pk]),
                None,
                None,
                200,
            ),
            (
                f"submission of {len(questions)} items",
                submit_client,
                reverse("assessments:response-edit", args=[open_cycle.pk]),
                {},
                fresh_user,
                302,
            ),
        ]

        def once(entry, queries=None) -> float:
            name, client, url, data, prepare, expect = entry
            if prepare:
                url, data = prepare()  # outside the timing and the query count
            with queries if queries is not None else contextlib.nullcontext():
                started = time.perf_counter()
                response = client.get(url) if data is None else client.post(url, data)
                elapsed = time.perf_counter() - started
            if response.status_code != expect:
                raise BenchError(f"{name}: {url} answered {response.status_code}")
            return elapsed

        results: dict[str, Measurement] = {}
        with (
            override_settings(
                DEBUG=False, ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False
            ),
            quiet("lvm.security", "django.request"),  # a log line per 404 otherwise
        ):
            published = Publication.objects.filter(cycle=cycle).count()
            for entry in plan:
                once(entry)  # warm-up: connection, templates
                queries = CaptureQueriesContext(connection)
                once(entry, queries)
                results[entry[0]] = Measurement(entry[0], [], len(queries))
            if Publication.objects.filter(cycle=cycle).count() != published:
                raise BenchError("A page published the cycle again: the timings would lie.")
            gc.collect()
            # Interleaved, so that a slower moment of the machine hits every page alike.
            for _ in range(repeat):
                for entry in plan:
                    results[entry[0]].timings.append(once(entry))
        check_targets(results, floor="signed-in 404 (floor)", dashboards=dashboard, small=small.pk)
        measurements = [*timed, *results.values()]
        self.write()
        self.write(report(measurements))
        return measurements

    def hr_user(self):
        """The benchmark's HR user: staff, and in the HR group (the organisation overview).

        Granted here rather than when building, so that data built before HR became a
        permission works too.
        """
        user = get_user_model().objects.get(username=f"{USER_PREFIX}staff")
        roles.ensure_hr_group()
        group = Group.objects.filter(name=roles.HR_GROUP).first()
        if group is not None:
            user.groups.add(group)
        else:  # the permissions are not there yet (a partial migrate): grant it directly
            user.user_permissions.add(
                Permission.objects.get(
                    codename=roles.ORGANISATION_PERMISSION, content_type__app_label="assessments"
                )
            )
        if not roles.roles(get_user_model().objects.get(pk=user.pk)).sees_organisation:
            raise BenchError("The benchmark's HR user cannot see the organisation overview.")
        return user


def check_targets(
    results: dict[str, Measurement], *, floor: str, dashboards: dict[int, str], small: int
) -> None:
    """Hold each measurement to its target (see docs/benchmarks.md)."""
    floor_median = results[floor].median
    small_median = results[dashboards[small]].median
    for pk, name in dashboards.items():
        m = results[name]
        targets = [f"≤ {DASHBOARD_MS:.0f} ms", f"≤ {DASHBOARD_QUERIES} q", "≤ 2× floor"]
        m.check(m.median * 1000 <= DASHBOARD_MS, f"over {DASHBOARD_MS:.0f} ms")
        m.check(m.queries <= DASHBOARD_QUERIES, f"{m.queries} queries")
        m.check(
            m.median <= FLOOR_FACTOR * floor_median, f"{m.median / floor_median:.1f}× the floor"
        )
        if pk != small:
            targets.append(f"≤ {SIZE_FACTOR}× 10-member")
            m.check(
                m.median <= SIZE_FACTOR * small_median,
                f"{m.median / small_median:.2f}× the 10-member dashboard",
            )
        m.target = ", ".join(targets)
    overview = results["organisation overview"]
    overview.target = f"≤ {OVERVIEW_MS:.0f} ms"
    overview.check(overview.median * 1000 <= OVERVIEW_MS, f"over {OVERVIEW_MS:.0f} ms")
    for name, m in results.items():
        if name == "results page" or name.startswith("submission of"):
            m.target = f"≤ {PAGE_MS:.0f} ms, ≤ {PAGE_QUERIES} q"
            m.check(m.median * 1000 <= PAGE_MS, f"over {PAGE_MS:.0f} ms")
            m.check(m.queries <= PAGE_QUERIES, f"{m.queries} queries")


def report(measurements: list[Measurement]) -> str:
    """The table of measurements, and whether every target was met."""
    width = max(len(m.name) for m in measurements)
    target_width = max(len(m.target) for m in measurements)
    lines = [
        f"{'measurement':<{width}}  {'median':>9}  {'p95':>9}  {'queries':>7}  "
        f"{'target':<{target_width}}  met?"
    ]
    for m in measurements:
        p95 = duration(m.p95) if len(m.timings) > 1 else "–"
        lines.append(
            f"{m.name:<{width}}  {duration(m.median):>9}  {p95:>9}  {m.queries:>7}  "
            f"{m.target:<{target_width}}  {m.verdict}"
        )
    missed = sum(bool(m.problems) for m in measurements)
    lines.append("")
    lines.append(f"{missed} measurement(s) missed a target." if missed else "Every target met.")
    return "\n".join(lines)


@contextlib.contextmanager
def quiet(*names: str):
    """Switch the named loggers off for a while."""
    loggers = [logging.getLogger(name) for name in names]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, before, strict=True):
            logger.disabled = was


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY rows into a table through psycopg 3, written as tab-separated text in chunks."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(copy_text(v) for v in row))
                buffer.write("\n")
                if buffer.tell() > COPY_CHUNK:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())


def copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m perf.bench",
        description="Build (or reuse) a synthetic organisation, publish it and time the pages.",
    )
    p.add_argument("--respondents", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=50, help="Requests per measurement.")
    p.add_argument(
        "--reset", action="store_true", help="Delete the benchmark data and build it again."
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--build-only", action="store_true", help="Build the data; publish and measure nothing."
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="Also list publishing's slowest statements."
    )
    return p


def run(argv: list[str] | None = None, *, out=None) -> list[Measurement] | None:
    """Parse the arguments and run the benchmark; raises BenchError when it cannot."""
    p = parser()
    args = p.parse_args(argv)
    if args.respondents < MIN_RESPONDENTS:
        p.error(f"--respondents must be at least {MIN_RESPONDENTS}.")
    if args.repeat < 1:
        p.error("--repeat must be at least 1.")
    return Bench(out=out, verbose=args.verbose).run(
        respondents=args.respondents,
        repeat=args.repeat,
        reset=args.reset,
        seed=args.seed,
        build_only=args.build_only,
    )


def main() -> int:
    try:
        run()
    except BenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
