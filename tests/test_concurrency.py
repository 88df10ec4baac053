"""Two submissions at the same moment leave exactly one response (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connections

from assessments import services
from assessments.models import Answer, DimensionScore, Response

from .conftest import all_answers, make_cycle, make_questionnaire, make_user

# Collected only on PostgreSQL (see conftest.collect_ignore): SQLite has no row locks.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_submissions_store_one_response():
    user = make_user("racer")
    cycle = make_cycle(make_questionnaire())
    answers = all_answers(cycle)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit():
        try:
            barrier.wait()
            services.submit_response(user=user, cycle=cycle, answers=answers)
            outcomes.append("submitted")
        except services.AlreadySubmitted:
            outcomes.append("already")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already"] * 3 + ["submitted"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == len(answers)
    assert DimensionScore.objects.count() == 4


def test_concurrent_first_reads_after_closing_publish_once():
    """Four requests find the cycle due at once: one publication, counted once."""
    from datetime import timedelta

    from django.utils import timezone

    from assessments.models import Cycle, Membership, Publication, PublishedGroup, Team

    cycle = make_cycle(make_questionnaire())
    team = Team.objects.create(name="Racers")
    for i in range(5):
        user = make_user(f"member{i}")
        Membership.objects.create(user=user, team=team, role=Membership.Role.MEMBER)
        services.submit_response(user=user, cycle=cycle, answers=all_answers(cycle))
    now = timezone.now()
    Cycle.objects.filter(pk=cycle.pk).update(
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(seconds=1)
    )
    barrier = threading.Barrier(4)
    made: list[bool] = []

    def publish():
        try:
            barrier.wait()
            made.append(services.publish_cycle(cycle=cycle) is not None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [False, False, False, True]
    assert Publication.objects.get().counted == 5
    assert PublishedGroup.objects.get(team=team).n == 5
