"""Measure the team dashboards on a synthetic organisation of realistic size.

Why this exists: the dashboards must stay fast and use a fixed number of queries as an
organisation grows, and timed unit tests cannot show that. This command builds (once) a
synthetic organisation in the configured database (by default 100,000 respondents who
submitted a 40-item questionnaire, in teams of 10 to 1,000 members, one cycle) and then
times real requests through Django's test client:

- the team dashboard of the 1,000-member team and of a 10-member team,
- the organisation overview (staff),
- one person's results page,
- one 40-item submission (a fresh user each repetition),

printing median and p95 server time and the number of SQL queries, next to a raw SQL
aggregate over the same rows as the floor. The data is marked by a questionnaire and
cycle named "Benchmark", so a second run reuses it; ``--reset`` removes and rebuilds it.
On PostgreSQL the rows go in with COPY; elsewhere with large bulk_create batches.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvm_bench python manage.py bench_dashboards
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import math
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from assessments import dashboards, scoring, services
from assessments.management.commands.load_questionnaire import DEFAULT_FILE, load
from assessments.models import (
    Answer,
    Cycle,
    Dimension,
    DimensionScore,
    Membership,
    Question,
    Questionnaire,
    Response,
    ScaleLabel,
    Team,
)

MARKER = "Benchmark"
USER_PREFIX = "bench-"
BIG_TEAM, SMALL_TEAM = 1000, 10
COPY_CHUNK = 1 << 20  # bytes handed to COPY at a time


class Command(BaseCommand):
    help = "Build (or reuse) a synthetic organisation and time the dashboards against it."

    def add_arguments(self, parser):
        parser.add_argument("--respondents", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=50, help="Requests per measurement.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the benchmark data and build it again."
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--build-only", action="store_true", help="Build the data, measure nothing."
        )

    def handle(self, *args, respondents, repeat, reset, seed, build_only, **options):
        if respondents < BIG_TEAM // 10 + SMALL_TEAM:
            raise CommandError(f"--respondents must be at least {BIG_TEAM // 10 + SMALL_TEAM}.")
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        vendor = connection.vendor
        name = str(connection.settings_dict["NAME"])
        # It adds a long-open cycle and 100,000 people: never on a real organisation's data.
        if "bench" not in name and "test" not in name and "memory" not in name:
            raise CommandError(
                f"Refusing to fill the database {name!r} with benchmark data: point "
                "DATABASE_URL at a database whose name contains 'bench', e.g. "
                "postgres://postgres@127.0.0.1:5432/lvm_bench."
            )
        self.stdout.write(f"Database: {vendor} ({name})")
        if reset:
            started = time.perf_counter()
            self._delete()
            self.stdout.write(
                f"Removed the old benchmark data in {time.perf_counter() - started:.1f} s."
            )
        cycle = Cycle.objects.filter(name=MARKER, questionnaire__name=MARKER).first()
        if cycle is None:
            started = time.perf_counter()
            cycle = self._build(respondents=respondents, seed=seed)
            self.stdout.write(
                f"Built {respondents:,} respondents in {time.perf_counter() - started:.1f} s."
            )
        else:
            have = Response.objects.filter(
                cycle=cycle, respondent__username__startswith=USER_PREFIX + "u"
            ).count()
            self.stdout.write(f"Reusing the benchmark organisation ({have:,} respondents).")
            if have != respondents:
                self.stdout.write(
                    self.style.WARNING(
                        f"It has {have:,} respondents, not {respondents:,}: --reset rebuilds it."
                    )
                )
        if not build_only:
            self._measure(cycle, repeat=repeat)

    # --- building ------------------------------------------------------------------------------

    def _delete(self) -> None:
        """Remove the benchmark rows with set-based SQL (the ORM would load millions)."""
        User = get_user_model()
        table = {m: m._meta.db_table for m in (Answer, DimensionScore, Response, Membership)}
        cycles = [int(pk) for pk in Cycle.objects.filter(name=MARKER).values_list("pk", flat=True)]
        with transaction.atomic(), connection.cursor() as cursor:
            if cycles:
                in_cycles = f"cycle_id IN ({', '.join(map(str, cycles))})"
                responses = f"SELECT id FROM {table[Response]} WHERE {in_cycles}"
                for model in (Answer, DimensionScore):
                    cursor.execute(
                        f"DELETE FROM {table[model]} WHERE response_id IN ({responses})"
                    )
                cursor.execute(f"DELETE FROM {table[Response]} WHERE {in_cycles}")
                Cycle.objects.filter(pk__in=cycles).delete()
            users = f"SELECT id FROM {User._meta.db_table} WHERE username LIKE %s"
            cursor.execute(
                f"DELETE FROM {table[Membership]} WHERE user_id IN ({users})", [USER_PREFIX + "%"]
            )
            # People created by the submission benchmark may have answered other cycles.
            for model in (Answer, DimensionScore):
                cursor.execute(
                    f"DELETE FROM {table[model]} WHERE response_id IN (SELECT id FROM "
                    f"{table[Response]} WHERE respondent_id IN ({users}))",
                    [USER_PREFIX + "%"],
                )
            cursor.execute(
                f"DELETE FROM {table[Response]} WHERE respondent_id IN ({users})",
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

    def _build(self, *, respondents: int, seed: int) -> Cycle:
        rng = random.Random(seed)
        User = get_user_model()
        now = timezone.now()
        step = self._stepper()
        with transaction.atomic():
            data = json.loads(DEFAULT_FILE.read_text())
            data["name"] = MARKER
            questionnaire, _ = load(data)
            cycle = Cycle.objects.create(
                name=MARKER,
                questionnaire=questionnaire,
                opens_at=now - timedelta(days=5),
                closes_at=now + timedelta(days=3650),
                min_group_size=5,
            )
            questions = services.cycle_questions(cycle)
            sizes = _team_sizes(respondents, rng)
            step(f"questionnaire and cycle; {len(sizes)} teams of {min(sizes)}-{max(sizes)}")

            # People: one member row per respondent, one manager per team, one HR user.
            users = [(f"{USER_PREFIX}u{i:07d}", False) for i in range(respondents)] + [
                (f"{USER_PREFIX}m{t:05d}", False) for t in range(len(sizes))
            ]
            users.append((f"{USER_PREFIX}staff", True))
            self._insert(
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
                Team(name=f"{MARKER} team {t:05d} ({size} people)") for t, size in enumerate(sizes)
            )
            memberships = []
            member = 0
            for t, (team, size) in enumerate(zip(teams, sizes, strict=True)):
                memberships.append((ids[f"{USER_PREFIX}m{t:05d}"], team.pk, "manager"))
                for _ in range(size):
                    memberships.append((ids[f"{USER_PREFIX}u{member:07d}"], team.pk, "member"))
                    member += 1
            self._insert(Membership, ["user_id", "team_id", "role"], memberships)
            step(f"{len(memberships):,} memberships")

            # Answers: each person leans towards one side; scores computed as at submission.
            axis_of = {str(q.dimension_id): q.dimension.axis for q in questions}
            points = questionnaire.scale_points
            answers: list[bytes] = []
            responses = []
            for i in range(respondents):
                lean = rng.uniform(-1.3, 1.3)
                values = []
                for q in questions:
                    centre = (points + 1) / 2 + (
                        lean if q.dimension.axis == "leadership" else -lean
                    )
                    value = min(points, max(1, round(centre + rng.gauss(0.3, 0.9))))
                    values.append(points + 1 - value if q.reverse_keyed else value)
                result = scoring.score(
                    [
                        scoring.Item(str(q.dimension_id), v, q.reverse_keyed)
                        for q, v in zip(questions, values, strict=True)
                    ],
                    axis_of=axis_of,
                    scale_min=1,
                    scale_max=points,
                )
                answers.append(bytes(values))
                submitted = now - timedelta(minutes=rng.uniform(10, 7000))
                responses.append(
                    (
                        cycle.pk,
                        ids[f"{USER_PREFIX}u{i:07d}"],
                        "submitted",
                        submitted - timedelta(minutes=20),
                        submitted,
                        submitted,
                        result.leadership,
                        result.management,
                        result.balance,
                        result.profile.value,
                        result.dimension_scores,
                    )
                )
            step(f"{respondents:,} people answered and scored in Python")

            self._insert(
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
                ],
                (r[:10] for r in responses),
            )
            response_ids = dict(
                Response.objects.filter(cycle=cycle).values_list("respondent_id", "pk")
            )
            step(f"{len(responses):,} responses")
            question_ids = [q.pk for q in questions]
            self._insert(
                Answer,
                ["response_id", "question_id", "value"],
                (
                    (response_ids[r[1]], qid, value)
                    for r, values in zip(responses, answers, strict=True)
                    for qid, value in zip(question_ids, values, strict=True)
                ),
            )
            step(f"{respondents * len(questions):,} answers")
            self._insert(
                DimensionScore,
                ["response_id", "dimension_id", "score"],
                (
                    (response_ids[r[1]], int(dim), score)
                    for r in responses
                    for dim, score in r[10].items()
                ),
            )
            step(f"{respondents * len(axis_of):,} dimension scores")
        if connection.vendor == "postgresql":
            # Fresh statistics and a visibility map, as a live database would have (VACUUM
            # cannot run inside a transaction, e.g. in a test: then ANALYZE only).
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in (
                    get_user_model(),
                    Team,
                    Membership,
                    Response,
                    Answer,
                    DimensionScore,
                ):
                    cursor.execute(f"{command} {model._meta.db_table}")
            step(command)
        return cycle

    def _stepper(self) -> Callable[[str], None]:
        last = [time.perf_counter()]

        def step(what: str) -> None:
            now = time.perf_counter()
            self.stdout.write(f"  {now - last[0]:6.1f} s  {what}")
            last[0] = now

        return step

    def _insert(self, model, columns: list[str], rows: Iterable[tuple]) -> None:
        """Insert many rows: COPY on PostgreSQL, bulk_create batches elsewhere."""
        if connection.vendor == "postgresql":
            _copy(model._meta.db_table, columns, rows)
            return
        batch: list = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) == 20_000:
                model.objects.bulk_create(batch, batch_size=2_000)
                batch.clear()
        if batch:
            model.objects.bulk_create(batch, batch_size=2_000)

    # --- measuring -----------------------------------------------------------------------------

    def _measure(self, cycle: Cycle, *, repeat: int) -> None:
        User = get_user_model()
        # _team_sizes puts the 1,000-member team first and the 10-member team second.
        big = Team.objects.filter(name__startswith=f"{MARKER} team 00000 ").first()
        small = Team.objects.filter(name__startswith=f"{MARKER} team 00001 ").first()
        if big is None or small is None:
            raise CommandError("The benchmark teams are missing: run with --reset.")
        size = {
            team.pk: Membership.objects.filter(team=team, role="member").count()
            for team in (big, small)
        }
        manager_of = {
            team.pk: Membership.objects.get(team=team, role="manager").user
            for team in (big, small)
        }
        staff = User.objects.get(username=f"{USER_PREFIX}staff")
        respondent = Membership.objects.filter(team=big, role="member").first().user
        questions = services.cycle_questions(cycle)
        points = cycle.questionnaire.scale_points

        results: list[tuple[str, list[float], int]] = []

        def forget():
            dashboards.forget_organisation_figures(cycle_pk=cycle.pk)

        def run(name: str, client: Client, url: str, *, prepare=None, data=None, expect=200):
            def once(queries=None) -> float:
                if prepare:
                    prepare()  # outside the timing and the query count
                call = client.get if data is None else client.post
                with queries if queries is not None else _nothing():
                    started = time.perf_counter()
                    response = call(url) if data is None else call(url, data)
                    elapsed = time.perf_counter() - started
                if response.status_code != expect:
                    raise CommandError(f"{name}: {url} answered {response.status_code}")
                return elapsed

            once()  # warm-up: connection, templates, caches
            queries = CaptureQueriesContext(connection)
            once(queries)
            count = len(queries)  # now: the log it reads is reset by the next request
            gc.collect()
            timings = [once() for _ in range(repeat)]
            results.append((name, timings, count))
            self.stdout.write(f"  measured {name}")

        with override_settings(
            DEBUG=False, ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False
        ):
            for label, team in (
                (f"team dashboard, {size[big.pk]:,} members", big),
                (f"team dashboard, {size[small.pk]:,} members", small),
            ):
                client = Client()
                client.force_login(manager_of[team.pk])
                run(label, client, reverse("assessments:team-dashboard", args=[team.pk]))

            client = Client()
            client.force_login(manager_of[big.pk])
            run(
                f"team dashboard, {size[big.pk]:,} members, organisation figures not cached",
                client,
                reverse("assessments:team-dashboard", args=[big.pk]),
                prepare=forget,
            )

            client = Client()
            client.force_login(staff)
            url = reverse("assessments:organisation-overview")
            run("organisation overview", client, url)
            run("organisation overview, not cached", client, url, prepare=forget)

            client = Client()
            client.force_login(respondent)
            run("results page", client, reverse("assessments:result-detail", args=[cycle.pk]))

            submit_client = Client()
            rng = random.Random(7)

            def fresh_user():
                # A new person who has not answered yet, logged in.
                user = User.objects.create(
                    username=f"{USER_PREFIX}s-{uuid.uuid4().hex[:12]}", password="!bench"
                )
                submit_client.force_login(user)

            answers = {f"q{q.pk}": str(rng.randint(1, points)) for q in questions}
            run(
                f"submission of {len(questions)} items",
                submit_client,
                reverse("assessments:response-edit", args=[cycle.pk]),
                prepare=fresh_user,
                data={**answers, "action": "submit", "page": "1"},
                expect=302,
            )

        floors = self._floors(cycle, big, size[big.pk], repeat=repeat)
        self._report(results, floors)

    def _floors(
        self, cycle: Cycle, team: Team, members: int, *, repeat: int
    ) -> list[tuple[str, list[float]]]:
        """Raw SQL aggregates over the rows the 1,000-member dashboard reads.

        The joins are the ones the ORM emits (membership -> user -> response), which
        PostgreSQL runs as nested loops over the team's index entries. Written without
        the user table, the planner hashes every response of the cycle instead on this
        one-cycle data set, which is several times slower.
        """
        user = get_user_model()._meta.db_table
        response, membership = Response._meta.db_table, Membership._meta.db_table
        scores = DimensionScore._meta.db_table
        team_rows = (
            f"FROM {membership} m JOIN {user} u ON u.id = m.user_id "
            f"JOIN {response} r ON r.respondent_id = u.id "
        )
        where = (
            "WHERE m.team_id = %s AND m.role = 'member' AND r.cycle_id = %s "
            "AND r.status = 'submitted'"
        )
        axes_sql = (
            "SELECT count(*), avg(r.leadership_score), avg(r.management_score), "
            f"avg(r.balance) {team_rows}{where}"
        )
        dims_sql = (
            f"SELECT s.dimension_id, avg(s.score), stddev_pop(s.score) {team_rows}"
            f"JOIN {scores} s ON s.response_id = r.id {where} GROUP BY s.dimension_id"
        )
        out = []
        with connection.cursor() as cursor:
            for name, sql in (
                (f"raw SQL: team axes, {members:,} members (floor)", axes_sql),
                (f"raw SQL: team per dimension, {members:,} members (floor)", dims_sql),
            ):
                cursor.execute(sql, [team.pk, cycle.pk])
                cursor.fetchall()
                timings = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    cursor.execute(sql, [team.pk, cycle.pk])
                    cursor.fetchall()
                    timings.append(time.perf_counter() - started)
                out.append((name, timings))
        return out

    def _report(self, results, floors) -> None:
        width = max(len(name) for name, *_ in [*results, *floors])
        self.stdout.write("")
        self.stdout.write(f"{'measurement':<{width}}  {'median':>9}  {'p95':>9}  queries")
        for name, timings, count in results:
            self.stdout.write(
                f"{name:<{width}}  {_ms(statistics.median(timings))}  {_ms(_p95(timings))}  "
                f"{count:>7}"
            )
        for name, timings in floors:
            self.stdout.write(
                f"{name:<{width}}  {_ms(statistics.median(timings))}  {_ms(_p95(timings))}  {1:>7}"
            )


def _nothing():
    return contextlib.nullcontext()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:6.1f} ms"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _team_sizes(respondents: int, rng: random.Random) -> list[int]:
    """One team of 1,000 and one of 10, the rest log-uniform between 10 and 1,000."""
    big = min(BIG_TEAM, respondents - SMALL_TEAM)
    sizes = [big, SMALL_TEAM]
    left = respondents - big - SMALL_TEAM
    if left < SMALL_TEAM:
        sizes[0] += left
        left = 0
    while left > 0:
        size = round(math.exp(rng.uniform(math.log(SMALL_TEAM), math.log(BIG_TEAM))))
        size = min(size, BIG_TEAM - 1)
        if left - size < SMALL_TEAM:
            # Never leave a remainder smaller than the smallest team.
            size = left if left < BIG_TEAM else left - SMALL_TEAM
        sizes.append(size)
        left -= size
    return sizes


def _copy(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY rows into a table through psycopg 3, written as tab-separated text in chunks."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                buffer.write("\n")
                if buffer.tell() > COPY_CHUNK:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
