"""bench_dashboards builds its organisation, reuses it, and measures every page."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from assessments.models import Answer, Cycle, DimensionScore, Response, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def bench(*args):
    out = StringIO()
    call_command("bench_dashboards", *args, stdout=out)
    return out.getvalue()


def test_builds_a_small_organisation_and_measures_every_page():
    out = bench("--respondents", "1030", "--repeat", "1")
    cycle = Cycle.objects.get(name="Benchmark")
    # Three timed submissions too: a warm-up, the one that counts queries, one repeat.
    assert Response.objects.filter(cycle=cycle, status="submitted").count() == 1030 + 3
    assert Answer.objects.count() == 1033 * 40 and DimensionScore.objects.count() == 1033 * 10
    sizes = sorted(t.memberships.filter(role="member").count() for t in Team.objects.all())
    assert sizes[0] == 10 and sizes[-1] == 1000 and sum(sizes) == 1030
    for line in (
        "team dashboard, 1,000 members",
        "team dashboard, 10 members",
        "organisation overview",
        "results page",
        "submission of 40 items",
        "raw SQL: team axes, 1,000 members (floor)",
    ):
        assert line in out


def test_a_second_run_reuses_the_data_and_reset_rebuilds_it():
    bench("--respondents", "200", "--build-only")
    first = Cycle.objects.get(name="Benchmark").pk
    assert "Reusing the benchmark organisation (200 respondents)" in bench(
        "--respondents", "200", "--build-only"
    )
    bench("--respondents", "200", "--build-only", "--reset")
    assert Cycle.objects.get(name="Benchmark").pk != first
    assert Response.objects.count() == 200


def test_refuses_a_database_that_is_not_for_benchmarks(monkeypatch):
    from django.core.management.base import CommandError
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "NAME", "/srv/lvm/production.sqlite3")
    with pytest.raises(CommandError, match="Refusing"):
        call_command("bench_dashboards", "--respondents", "200", stdout=StringIO())
