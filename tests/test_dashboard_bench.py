"""bench_dashboards builds its organisation, publishes it, reuses it, and measures every page."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from assessments.models import (
    Answer,
    Cycle,
    DimensionScore,
    Membership,
    Publication,
    Response,
    Team,
    TeamSnapshot,
)

pytestmark = pytest.mark.django_db


def bench(*args):
    out = StringIO()
    call_command("bench_dashboards", *args, stdout=out)
    return out.getvalue()


def member_counts():
    return {
        t.name: t.memberships.filter(role="member").count()
        for t in Team.objects.filter(name__startswith="Benchmark")
    }


def test_builds_a_small_organisation_publishes_it_and_measures_every_page():
    out = bench("--respondents", "1030", "--repeat", "1")
    cycle = Cycle.objects.get(name="Benchmark")
    open_cycle = Cycle.objects.get(name="Benchmark open cycle")
    now = timezone.now()
    # The measured cycle has closed; submissions are timed in a cycle that is open.
    assert cycle.closes_at < now and open_cycle.is_open(now)
    assert open_cycle.opens_at < cycle.opens_at  # the pages show the closed cycle by default
    submitted = Response.objects.filter(cycle=cycle, status="submitted")
    assert submitted.count() == 1030
    assert not submitted.filter(submitted_at__gte=cycle.closes_at).exists()
    # Three timed submissions: a warm-up, the one that counts queries, one repeat.
    assert Response.objects.filter(cycle=open_cycle, status="submitted").count() == 3
    assert Answer.objects.count() == 1033 * 40 and DimensionScore.objects.count() == 1033 * 10

    sizes = member_counts()
    division = sizes.pop(next(name for name in sizes if name.startswith("Benchmark division")))
    assert sizes.pop("Benchmark submitters") == 3
    ordinary = sorted(sizes.values())
    assert ordinary[0] == 10 and ordinary[-1] == 1000 and sum(ordinary) == 1030
    # The division holds whole teams (here the 1,000- and the 10-member ones).
    assert division == 1010
    # One snapshot per team a respondent was a member of, as a submission records it.
    members = Membership.objects.filter(role="member", user__responses__cycle=cycle)
    assert TeamSnapshot.objects.filter(cycle=cycle).count() == members.count() == 1030 + 1010
    assert TeamSnapshot.objects.filter(cycle=open_cycle).count() == 3

    # Published once, before the pages were timed, with everyone counted (groups >= k).
    publication = Publication.objects.get(cycle=cycle)
    assert publication.is_final and publication.counted == publication.submitted == 1030
    assert not Publication.objects.filter(cycle=open_cycle).exists()
    assert publication.teams == sorted(
        Team.objects.values_list("pk", flat=True).exclude(name="Benchmark submitters")
    )

    for line in (
        "publishing the cycle (1,030 respondents)",
        "signed-in 404 (floor)",
        "home page",
        "team dashboard, 10 members",
        "team dashboard, 1,000 members",
        "team dashboard, 1,010 members (division)",
        "organisation overview",
        "results page",
        "submission of 40 items",
    ):
        assert line in out
    assert "forget" not in out and "cached" not in out
    # The overview is HR's: the benchmark's HR user has the permission (the HR group).
    hr = get_user_model().objects.get(username="bench-staff")
    assert hr.has_perm("assessments.view_organisation_results")
    assert "ms per 1,000 respondents" in out


def test_a_second_run_reuses_the_data_and_publishes_again():
    bench("--respondents", "200", "--build-only")
    cycle = Cycle.objects.get(name="Benchmark")
    assert not Publication.objects.exists()  # building publishes nothing
    first = bench("--respondents", "200", "--repeat", "1")
    assert "Reusing the benchmark organisation (200 respondents)" in first
    first_publication = Publication.objects.get(cycle=cycle).pk
    second = bench("--respondents", "200", "--repeat", "1")
    assert "Undid the earlier publication" in second
    assert "publishing the cycle (200 respondents)" in second
    publication = Publication.objects.get(cycle=cycle)
    assert publication.pk != first_publication
    assert publication.is_final and publication.counted == 200
    # 200 people: a team of 190 and one of 10, and a division of both.
    assert "team dashboard, 190 members" in second
    assert "team dashboard, 200 members (division)" in second


def test_reset_rebuilds_the_data():
    bench("--respondents", "200", "--repeat", "1")  # measuring puts the HR user in a group
    first = Cycle.objects.get(name="Benchmark").pk
    bench("--respondents", "200", "--build-only", "--reset")
    assert Cycle.objects.get(name="Benchmark").pk != first
    assert Response.objects.count() == 200
    assert TeamSnapshot.objects.count() == 400
    assert Cycle.objects.filter(name__startswith="Benchmark").count() == 2


def test_data_from_an_older_version_asks_for_a_reset():
    bench("--respondents", "200", "--build-only")
    # The old layout: the benchmark cycle still open, no team snapshots.
    Cycle.objects.filter(name="Benchmark").update(closes_at=timezone.now() + timedelta(days=365))
    with pytest.raises(CommandError, match="--reset"):
        bench("--respondents", "200", "--build-only")
    bench("--respondents", "200", "--build-only", "--reset")
    assert Cycle.objects.get(name="Benchmark").closes_at < timezone.now()


def test_refuses_a_database_that_is_not_for_benchmarks(monkeypatch):
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "NAME", "/srv/lvm/production.sqlite3")
    with pytest.raises(CommandError, match="Refusing"):
        call_command("bench_dashboards", "--respondents", "200", stdout=StringIO())
