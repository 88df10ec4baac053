"""Time the people import on an organisation of 10,000 people in about 300 teams.

The HR system's file is imported every night, and HR previews it in the admin before
confirming, so both the preview (the plan) and the import must stay quick as the
organisation grows, with a number of queries that does not grow with the file. This
script writes a synthetic HR export (10,000 rows by default; a manager per team, one
person in ten in a second team) and times, on the database of ``DATABASE_URL``:

1. the first import, where everyone is new;
2. the same file again, where nothing changes (and nothing may be written);
3. a file where 5 % of the people changed (a new team, a new address or a new name) and
   2 % have left (a full import deactivates them);
4. that file with every address at a new domain (a company renamed): every account
   changes, the most a nightly import will ever write.

Each step is timed as a preview (``plan_people``) and as an import (``import_people``,
which plans again inside its transaction), with the queries and writes of the import.
The people are marked by the address domain ``people-bench.example`` and the teams by
the prefix "People bench", and are deleted before each run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvm_bench_people \\
        .venv/bin/python -m perf.people_import
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script: set Django up before importing the models
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from perf.common import setup_django

    setup_django()

import argparse
import csv
import io
import random
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Employee, Membership, Team
from assessments.services import people
from perf.common import duration, split_into_teams

DOMAIN = "people-bench.example"
TEAM_PREFIX = "People bench"
TARGET_SECONDS = 30.0  # a 10,000-person import on PostgreSQL (docs/benchmarks.md)
HEADER = ["employee_id", "email", "first_name", "last_name", "team", "role", "extra_teams"]


class BenchError(Exception):
    """The benchmark cannot run here, or the import did not do what it should."""


def check_database() -> str:
    """The database's name, if it is one for benchmarks: the script deletes people in it."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise BenchError(
            f"Refusing to import benchmark people into the database {name!r}: point "
            "DATABASE_URL at a database whose name contains 'bench', e.g. "
            "postgres://postgres@127.0.0.1:5432/lvm_bench_people."
        )
    return name


def organisation(size: int, rng: random.Random) -> list[dict[str, str]]:
    """``size`` people in teams of 10 to 60 (about 300 for 10,000), each led by a manager."""
    sizes = split_into_teams(size, lambda: rng.randint(10, 56), smallest=10)
    rows, n = [], 0
    for t, team_size in enumerate(sizes):
        for i in range(team_size):
            n += 1
            extra = f"{TEAM_PREFIX} {rng.randrange(len(sizes)):03}" if rng.random() < 0.1 else ""
            if extra == f"{TEAM_PREFIX} {t:03}":
                extra = ""
            rows.append(
                {
                    "employee_id": f"PB{n:06}",
                    "email": f"person{n:06}@{DOMAIN}",
                    "first_name": rng.choice(["Ana", "Ben", "Chen", "Dora", "Emil", "Fatou"]),
                    "last_name": f"Bench{n}",
                    "team": f"{TEAM_PREFIX} {t:03}",
                    "role": "manager" if i == 0 else "",
                    "extra_teams": extra,
                }
            )
    return rows


def changed(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """The same people a while later: 5 % changed (team, address or name), 2 % gone."""
    teams = sorted({row["team"] for row in rows})
    later = [dict(row) for row in rows]
    picked = rng.sample(range(len(later)), k=len(later) * 7 // 100)
    movers, leavers = picked[: len(later) * 5 // 100], set(picked[len(later) * 5 // 100 :])
    for index in movers:
        row = later[index]
        what = rng.choice(["team", "email", "name"])
        if what == "team":
            row["team"] = rng.choice([t for t in teams if t != row["team"]])
            row["role"], row["extra_teams"] = "", ""
        elif what == "email":
            row["email"] = row["email"].replace("person", "moved.person")
        else:
            row["last_name"] += "-Married"
    return [row for index, row in enumerate(later) if index not in leavers]


def renamed(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same people at a new domain, still marked as the benchmark's."""
    return [{**row, "email": row["email"].replace("@", ".renamed@")} for row in rows]


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def delete_benchmark_people() -> int:
    """Remove the people and teams of earlier runs (not timed)."""
    User = get_user_model()
    users = User.objects.filter(email__endswith=f"@{DOMAIN}")
    Membership.objects.filter(user__in=users).delete()
    Employee.objects.filter(user__in=users).delete()
    count = users.count()
    users.delete()
    Team.objects.filter(name__startswith=TEAM_PREFIX).delete()
    return count


def timed(action: Callable[[], people.PeoplePlan]) -> tuple[float, people.PeoplePlan, list]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan = action()
        seconds = time.perf_counter() - started
    return seconds, plan, queries.captured_queries


def writes(queries: list) -> int:
    return sum(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in queries
    )


def run(*, size: int, seed: int, out=sys.stdout) -> bool:
    name = check_database()
    call_command("migrate", verbosity=0)
    removed = delete_benchmark_people()
    rng = random.Random(seed)
    first = organisation(size, rng)
    later = changed(first, rng)
    teams = len({row["team"] for row in first})
    print(f"Database: {connection.vendor} ({name}); removed {removed} earlier people.", file=out)
    print(f"{size:,} people in {teams} teams; the later file has {len(later):,}.\n", file=out)
    steps = [
        ("first import (everyone new)", to_csv(first)),
        ("the same file again", to_csv(first)),
        ("5 % changed, 2 % left", to_csv(later)),
        ("every address changed", to_csv(renamed(later))),
    ]
    print("| step | preview | import | queries | writes | outcome | target | met? |", file=out)
    print("|---|---:|---:|---:|---:|---|---|---|", file=out)
    ok = True
    for title, content in steps:
        preview_seconds, _, _ = timed(lambda c=content: people.plan_people(content=c, full=True))
        seconds, plan, queries = timed(
            lambda c=content: people.import_people(content=c, full=True)
        )
        met = seconds <= TARGET_SECONDS
        if title == "the same file again" and (writes(queries) or plan.has_changes):
            met = False
        ok &= met
        print(
            f"| {title} | {duration(preview_seconds)} | {duration(seconds)} | "
            f"{len(queries)} | {writes(queries)} | {plan.describe()} | "
            f"≤ {TARGET_SECONDS:.0f} s{', no writes' if title.startswith('the same') else ''} | "
            f"{'yes' if met else 'NO'} |",
            file=out,
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="Rows in the file.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        return 0 if run(size=args.people, seed=args.seed) else 1
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
