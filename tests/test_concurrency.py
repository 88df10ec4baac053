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
