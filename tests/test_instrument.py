"""The instrument report: database totals, the stored report, the page and its CSV.

The statistics themselves are checked against a reference in test_reliability.py; here
the report is checked against the same statistics computed from the raw answers.
"""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.urls import reverse

from assessments import reliability, services
from assessments.models import InstrumentReport, Question, Response
from assessments.queries.instrument import _item as instrument_item
from assessments.queries.instrument import alpha_word, instrument_page
from assessments.queries.instrument_data import dimension_totals

from .conftest import make_cycle, make_hr, make_user


def answer_people(cycle, count, *, seed=1, flip=None, prefix="p"):
    """``count`` people who answer with one level per person plus noise.

    ``flip``: a question id whose answer is given the wrong way round (a keying mistake).
    Returns the raw answers, one {question id: value} per person.
    """
    rng = random.Random(seed)
    questions = services.cycle_questions(cycle)
    raw = []
    for i in range(count):
        level = rng.uniform(1.5, 4.5)
        answers = {}
        for q in questions:
            value = min(5, max(1, round(level + rng.gauss(0, 0.7))))
            if q.reverse_keyed != (q.pk == flip):
                value = 6 - value
            answers[q.pk] = value
        raw.append(answers)
        services.record_response(
            user=make_user(f"{prefix}{seed}-{i}"),
            cycle=cycle,
            answers=answers,
            questions=questions,
            started_at=cycle.opens_at,
            submitted_at=cycle.opens_at + timedelta(hours=1),
        )
    return raw


def raw_reliability(raw, questions):
    """The reliability of each dimension straight from the raw answers."""
    out = {}
    for dimension_id in dict.fromkeys(q.dimension_id for q in questions):
        items = [q for q in questions if q.dimension_id == dimension_id]
        rows = [
            reliability.keyed(
                [r[q.pk] for q in items],
                [q.reverse_keyed for q in items],
                scale_min=1,
                scale_max=5,
            )
            for r in raw
        ]
        out[dimension_id] = reliability.analyse(
            reliability.moments_from_rows(rows), reverse_keyed=[q.reverse_keyed for q in items]
        )
    return out


@pytest.fixture
def closed(questionnaire):
    return make_cycle(questionnaire, name="Spring", open_=False)


def test_database_totals_give_the_statistics_of_the_raw_answers(questionnaire, closed):
    raw = answer_people(closed, 12)
    questions = services.cycle_questions(closed)
    expected = raw_reliability(raw, questions)
    report = services.compute_instrument_report(cycle=closed)
    assert report is None  # below 30 responses: nothing stored
    totals = dimension_totals(
        questionnaire_id=questionnaire.pk, cycle_ids=[closed.pk], scale_min=1, scale_max=5
    )
    for dimension in totals:
        ids = [i.question_id for i in dimension.items]
        products = {(i, i): dimension.squares[q] for i, q in enumerate(ids)}
        products |= {(ids.index(a), ids.index(b)): v for (a, b), v in dimension.products.items()}
        moments = reliability.moments_from_sums(
            n=dimension.n, sums=[dimension.sums[q] for q in ids], products=products
        )
        assert reliability.cronbach_alpha(moments) == pytest.approx(
            expected[dimension.dimension_id].alpha
        )


def test_a_closed_cycle_gets_its_report_on_the_first_read(questionnaire, closed):
    raw = answer_people(closed, 30)
    questions = services.cycle_questions(closed)
    expected = raw_reliability(raw, questions)
    page = instrument_page(cycle_pk=closed.pk)
    assert page.ready and page.reported == 30 and not page.waiting
    assert InstrumentReport.objects.filter(cycle=closed).count() == 1
    by_name = {d.name: d for d in page.dimensions}
    for dimension_id, stats in expected.items():
        name = questions[[q.dimension_id for q in questions].index(dimension_id)].dimension.name
        assert by_name[name].alpha == pytest.approx(stats.alpha, abs=1e-4)
        for item, item_stats in zip(by_name[name].items, stats.items, strict=True):
            assert item.item_rest == pytest.approx(item_stats.item_rest, abs=1e-4)
    # The raw mean, as people answered (not turned round), and every answer counted.
    first = by_name[questions[1].dimension.name].items[1]
    assert first.mean == pytest.approx(sum(r[questions[1].pk] for r in raw) / 30, abs=1e-4)
    assert sum(people for _, people in first.counts) == 30
    # Read again: the stored report, not a new one.
    again = instrument_page(cycle_pk=closed.pk)
    assert again.computed_at == page.computed_at


def test_below_thirty_responses_there_is_no_report(questionnaire, closed):
    answer_people(closed, 29)
    page = instrument_page(cycle_pk=closed.pk)
    assert page.too_few and not page.ready and page.responses == 29
    assert not InstrumentReport.objects.exists()


def test_a_wrongly_keyed_item_is_named_in_the_reading(questionnaire, closed):
    reversed_item = Question.objects.filter(reverse_keyed=True).order_by("order").first()
    answer_people(closed, 40, flip=reversed_item.pk)
    page = instrument_page(cycle_pk=closed.pk)
    dimension = next(d for d in page.dimensions if d.name == reversed_item.dimension.name)
    suspect = [i for i in dimension.items if i.keying_suspect]
    assert [i.text for i in suspect] == [reversed_item.text]
    assert f"Item {suspect[0].number} is reverse-keyed" in dimension.reading


def test_an_open_cycle_has_no_report_until_it_closes(client, questionnaire):
    """Otherwise HR could compare the report before and after one person submitted."""
    open_cycle = make_cycle(questionnaire, name="Autumn")
    answer_people(open_cycle, 35)
    page = instrument_page(cycle_pk=open_cycle.pk)
    assert page.waiting and not page.ready and not page.dimensions
    assert not InstrumentReport.objects.exists()
    client.force_login(make_hr())
    url = f"{reverse('assessments:instrument-report')}?report=c{open_cycle.pk}"
    assert "is made once, when it closes" in client.get(url).content.decode()


def test_a_report_never_changes_so_before_minus_after_recovers_nobody(questionnaire, closed):
    """An erasure (or a late change) after the report leaves it as it was: comparing two
    reads can never isolate the erased person's answers."""
    answer_people(closed, 31)
    before = instrument_page(cycle_pk=closed.pk)
    services.delete_responses_of(user=Response.objects.filter(cycle=closed).first().respondent)
    after = instrument_page(cycle_pk=closed.pk)
    assert after.reported == before.reported == 31
    assert after.dimensions == before.dimensions
    pooled = instrument_page(questionnaire_pk=questionnaire.pk)
    assert pooled.dimensions == before.dimensions


def test_the_pooled_report_adds_up_the_closed_cycles_reports(questionnaire, closed):
    raw = answer_people(closed, 30, seed=1)
    later = make_cycle(questionnaire, name="Summer", open_=False, days_ago=1)
    raw += answer_people(later, 32, seed=2, prefix="q")
    small = make_cycle(questionnaire, name="Tiny", open_=False, days_ago=2)
    answer_people(small, 3, seed=3, prefix="s")  # under 30: in no report, pooled or not
    make_cycle(questionnaire, name="Autumn")  # open: not pooled
    page = instrument_page(questionnaire_pk=questionnaire.pk)
    assert page.reported == 62 and set(page.pooled) == {"Spring", "Summer"}
    questions = services.cycle_questions(closed)
    expected = raw_reliability(raw, questions)
    by_name = {d.name: d for d in page.dimensions}
    for dimension_id, stats in expected.items():
        name = next(q.dimension.name for q in questions if q.dimension_id == dimension_id)
        assert by_name[name].alpha == pytest.approx(stats.alpha, abs=1e-4)
    # Only the two cycles' own reports are stored: the pooled one is their sum.
    assert InstrumentReport.objects.count() == 2


def test_the_page_and_csv_are_for_hr_only(client, alice, bob, questionnaire, closed):
    answer_people(closed, 30)
    url = f"{reverse('assessments:instrument-report')}?report=c{closed.pk}"
    export = f"{reverse('assessments:instrument-export')}?report=c{closed.pk}"
    for person in (alice, bob):
        client.force_login(person)
        assert client.get(url).status_code == 404
        assert client.get(export).status_code == 404
    client.force_login(make_hr())
    page = client.get(url)
    assert page.status_code == 200 and "Reading" in page.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(export).content.decode())))
    assert ["responses", "30"] in rows
    assert any(row[:2] == ["Leadership 0", "leadership"] for row in rows)


@pytest.mark.parametrize("report", ["x1", "c", "c12abc", "v99999", "c99999"])
def test_a_tampered_report_address_answers_404(client, questionnaire, closed, report):
    client.force_login(make_hr())
    url = reverse("assessments:instrument-report")
    assert client.get(f"{url}?report={report}").status_code == 404


@pytest.mark.parametrize(
    ("alpha", "word"),
    [
        (0.9, "excellent"),
        (0.7998, "good"),  # the page shows 0.80: the word agrees with it
        (0.6951, "acceptable"),
        (0.6949, "below 0.70"),
        (None, "no estimate (the answers did not vary)"),
    ],
)
def test_the_verdict_agrees_with_the_alpha_shown(alpha, word):
    assert alpha_word(alpha) == word


def test_the_default_report_is_the_latest_closed_cycle(questionnaire, closed):
    make_cycle(questionnaire, name="Autumn")
    assert instrument_page().cycle == closed


@pytest.mark.parametrize(
    ("without_it", "marked"),
    [(0.7849, False), (0.7851, True), (0.80, True), (0.70, False)],
)
def test_an_item_is_marked_for_alpha_only_when_the_shown_alpha_rises(without_it, marked):
    """α 0.7804 shows as 0.78: an item whose α-without-it also shows as 0.78 is not marked
    "α would rise without it" (a rise in the third decimal read as a mistake)."""
    row = {
        "number": 1,
        "text": "I plan ahead.",
        "reverse_keyed": False,
        "mean": 3.5,
        "sd": 1.0,
        "item_rest": 0.55,  # well above the 0.30 floor: only α can mark it
        "counts": {"1": 3, "5": 4},
        "alpha_if_dropped": without_it,
        "keying_suspect": False,
    }
    assert instrument_item(row, 0.7804).weak is marked
