"""perf/bench.py builds its organisation, publishes it, reuses it, and measures every page."""

import random
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments import services
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
from assessments.services.responses import careless_indicators
from perf import bench
from perf.common import ROOT, split_into_teams


def run(*args):
    out = StringIO()
    bench.run(list(args), out=out)
    return out.getvalue()


def member_counts():
    return {
        t.name: t.memberships.filter(role="member").count()
        for t in Team.objects.filter(name__startswith="Benchmark")
    }


@pytest.mark.django_db
def test_builds_a_small_organisation_publishes_it_and_measures_every_page():
    out = run("--respondents", "200", "--repeat", "1")
    cycle = Cycle.objects.get(name="Benchmark")
    open_cycle = Cycle.objects.get(name="Benchmark open cycle")
    now = timezone.now()
    # The measured cycle has closed; submissions are timed in a cycle that is open.
    assert cycle.closes_at < now and open_cycle.is_open(now)
    assert open_cycle.opens_at < cycle.opens_at  # the pages show the closed cycle by default
    submitted = Response.objects.filter(cycle=cycle, status="submitted")
    assert submitted.count() == 200
    assert not submitted.filter(submitted_at__gte=cycle.closes_at).exists()
    # Three timed submissions: a warm-up, the one that counts queries, one repeat.
    assert Response.objects.filter(cycle=open_cycle, status="submitted").count() == 3
    assert Answer.objects.count() == 203 * 40 and DimensionScore.objects.count() == 203 * 10

    sizes = member_counts()
    assert sizes.pop("Benchmark submitters") == 3
    # 200 people: a team of 190 and one of 10, and a division of both.
    division = sizes.pop(next(name for name in sizes if name.startswith("Benchmark division")))
    assert sorted(sizes.values()) == [10, 190] and division == 200
    # One snapshot per team a respondent was a member of, as a submission records it.
    members = Membership.objects.filter(role="member", user__responses__cycle=cycle)
    assert TeamSnapshot.objects.filter(cycle=cycle).count() == members.count() == 400
    assert TeamSnapshot.objects.filter(cycle=open_cycle).count() == 3

    # Published once, before the pages were timed, with everyone counted (groups >= k).
    publication = Publication.objects.get(cycle=cycle)
    assert publication.is_final and publication.counted == publication.submitted == 200
    assert not Publication.objects.filter(cycle=open_cycle).exists()

    for line in (
        "publishing the cycle (200 respondents)",
        "signed-in 404 (floor)",
        "home page",
        "team dashboard, 10 members",
        "team dashboard, 190 members",
        "team dashboard, 200 members (division)",
        "organisation overview",
        "results page",
        "submission of 40 items",
        "ms per 1,000 respondents",
        "instrument report (8,000 answers)",
    ):
        assert line in out
    # The overview is HR's: the benchmark's HR user has the permission (the HR group).
    hr = get_user_model().objects.get(username="bench-staff")
    assert hr.has_perm("assessments.view_organisation_results")


@pytest.mark.django_db
def test_stored_scores_are_the_ones_the_services_give_the_stored_answers():
    run("--respondents", "120", "--build-only")
    cycle = Cycle.objects.select_related("questionnaire").get(name="Benchmark")
    questions = services.cycle_questions(cycle)
    for response in Response.objects.filter(cycle=cycle).order_by("pk")[:5]:
        given = dict(response.answers.values_list("question_id", "value"))
        expected = services.score_answers(questions, given, questionnaire=cycle.questionnaire)
        assert response.leadership_score == pytest.approx(expected.leadership)
        assert response.management_score == pytest.approx(expected.management)
        assert response.profile == expected.profile.value
        stored = dict(response.dimension_scores.values_list("dimension_id", "score"))
        assert stored == pytest.approx({int(d): v for d, v in expected.dimension_scores.items()})
        careless = careless_indicators(
            questions,
            given,
            questionnaire=cycle.questionnaire,
            started_at=response.started_at,
            submitted_at=response.submitted_at,
        )
        assert (response.longest_run, response.seconds_to_submit) == (
            careless.longest_run,
            careless.seconds_to_submit,
        )
        assert response.reverse_inconsistency == pytest.approx(careless.reverse_inconsistency)
        assert response.flags == " ".join(careless.flags)


@pytest.mark.django_db
def test_answers_come_from_the_latent_trait_model_with_a_few_straight_liners(monkeypatch):
    """The dimensions measure something, and straight-liners are flagged as careless."""
    monkeypatch.setattr(bench, "STRAIGHT_LINERS", 0.1)
    run("--respondents", "200", "--build-only")
    cycle = Cycle.objects.select_related("questionnaire").get(name="Benchmark")
    flagged = Response.objects.filter(cycle=cycle).exclude(flags="")
    liners = flagged.filter(longest_run=40)
    assert 5 <= liners.count() <= 40
    assert all("too_fast" in flags for flags in liners.values_list("flags", flat=True))
    report = services.compute_instrument_report(cycle=cycle)
    # Uniform random answers would give an alpha near 0.
    assert min(d["alpha"] for d in report.dimensions) > 0.5


@pytest.mark.django_db
def test_a_second_run_reuses_the_data_and_publishes_again():
    run("--respondents", "120", "--build-only")
    cycle = Cycle.objects.get(name="Benchmark")
    assert not Publication.objects.exists()  # building publishes nothing
    first = run("--respondents", "120", "--repeat", "1")
    assert "Reusing the benchmark organisation (120 respondents)" in first
    first_publication = Publication.objects.get(cycle=cycle).pk
    second = run("--respondents", "120", "--repeat", "1")
    assert "Undid the earlier publication" in second
    publication = Publication.objects.get(cycle=cycle)
    assert publication.pk != first_publication
    assert publication.is_final and publication.counted == 120


@pytest.mark.django_db
def test_reset_rebuilds_the_data():
    run("--respondents", "120", "--build-only")
    first = Cycle.objects.get(name="Benchmark").pk
    out = run("--respondents", "130", "--build-only", "--reset")
    assert "Removed the old benchmark data" in out
    assert Cycle.objects.get(name="Benchmark").pk != first
    assert Response.objects.count() == 130
    assert TeamSnapshot.objects.count() == 260
    assert Cycle.objects.filter(name__startswith="Benchmark").count() == 2


@pytest.mark.django_db
def test_data_from_an_older_version_asks_for_a_reset():
    run("--respondents", "120", "--build-only")
    # The old layout: the benchmark cycle still open.
    Cycle.objects.filter(name="Benchmark").update(closes_at=timezone.now() + timedelta(days=365))
    with pytest.raises(bench.BenchError, match="--reset"):
        run("--respondents", "120", "--build-only")
    run("--respondents", "120", "--build-only", "--reset")
    assert Cycle.objects.get(name="Benchmark").closes_at < timezone.now()


@pytest.mark.django_db
def test_refuses_a_database_that_is_not_for_benchmarks(monkeypatch):
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "NAME", "/srv/lvm/production.sqlite3")
    with pytest.raises(bench.BenchError, match="Refusing"):
        run("--respondents", "200")
    assert not Cycle.objects.exists()


def test_too_few_respondents_is_refused():
    with pytest.raises(SystemExit):
        bench.run(["--respondents", "50"], out=StringIO())


@pytest.mark.parametrize("respondents", [100_000, 1030, 200])
def test_the_organisation_has_one_team_of_1000_one_of_10_and_a_division_of_whole_teams(
    respondents,
):
    sizes, in_division = bench.team_sizes(respondents, random.Random(2026))
    assert sum(sizes) == respondents
    assert sizes[0] == min(1000, respondents - 10) and sizes[1] == 10
    assert all(10 <= size <= 1000 for size in sizes)
    assert sum(sizes[:in_division]) == min(10_000, max(respondents // 10, sum(sizes[:2])))


@pytest.mark.parametrize(
    ("people", "draws", "smallest", "largest", "expected"),
    [
        (50, [10], 5, None, [10, 10, 10, 10, 10]),
        (53, [10], 5, None, [10, 10, 10, 10, 13]),
        (57, [10], 5, None, [10, 10, 10, 10, 10, 7]),
        (7, [5], 5, None, [7]),
        (5, [10], 5, None, [5]),
        (0, [10], 5, None, []),
        # The remainder would make the last team too large: it leaves the smallest team.
        (1005, [999], 10, 999, [995, 10]),
        (1005, [999], 10, None, [1005]),
    ],
)
def test_teams_are_never_smaller_than_the_smallest(people, draws, smallest, largest, expected):
    pending = iter(draws * 200)
    assert split_into_teams(people, lambda: next(pending), smallest=smallest, largest=largest) == (
        expected
    )


def test_fewer_people_than_the_smallest_team_is_refused():
    with pytest.raises(ValueError):
        split_into_teams(4, lambda: 10, smallest=5)


def test_the_report_says_which_target_was_missed():
    met = bench.Measurement("home page", [0.010, 0.012, 0.011], 5)
    missed = bench.Measurement("team dashboard", [0.050], 9, target="≤ 10 ms")
    missed.check(False, "over 10 ms")
    text = bench.report([met, missed])
    assert "11.0 ms" in text and "NO: over 10 ms" in text
    assert text.endswith("1 measurement(s) missed a target.")
    assert bench.report([met]).endswith("Every target met.")


def test_p95_is_the_nearest_rank():
    assert bench.percentile(list(range(1, 101)), 95) == 95
    assert bench.percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_runs_as_a_script_from_the_repository_root():
    done = subprocess.run(
        [sys.executable, "perf/bench.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--respondents" in done.stdout
