"""From figures to action: next steps on the dashboard and the team's action plan."""

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Dimension, TeamActionPlan
from assessments.queries.figures import DimensionFigure
from assessments.queries.next_steps import next_steps

from .conftest import (
    TEAM_LEVELS,
    add_members,
    dashboard_url,
    make_cycle,
    make_hr,
    submit_levels,
)


def figure(code, mean, org=None):
    return DimensionFigure(
        dimension_id=hash(code) % 1000,
        code=code,
        name=code.title(),
        axis="leadership",
        mean=mean,
        sd=10.0,
        org_mean=org,
    )


def test_next_steps_name_the_biggest_differences_then_the_weakest():
    dims = (
        figure("vision", 70, org=50),  # +20
        figure("inspiring", 45, org=55),  # -10
        figure("strategy", 52, org=50),  # +2: within chance, not named for it
        figure("planning", 30, org=31),
        figure("monitoring", 40, org=38),
    )
    steps = next_steps(dims, team_name="Alpha", tips={})
    assert [s.code for s in steps] == ["vision", "inspiring", "planning", "monitoring"]
    assert steps[0].reason == ("Alpha scores 70 on Vision, 20 points above the organisation (50).")
    assert steps[1].reason.endswith("10 points below the organisation (55).")
    assert steps[2].reason == "Planning is the team's lowest dimension (30)."
    assert steps[3].reason == "Monitoring is the team's second lowest dimension (40)."


def test_a_weak_dimension_tied_with_others_is_named_with_them():
    """Three at 60: "one of the two lowest" would be untrue, so the others are named."""
    dims = (figure("vision", 70), figure("a", 60), figure("b", 60), figure("c", 60))
    steps = next_steps(dims, team_name="T", tips={})
    assert [s.code for s in steps] == ["a", "b"]
    assert steps[0].reason == "A is among the team's lowest dimensions (60, as B and C)."
    assert steps[1].reason == "B is among the team's lowest dimensions (60, as A and C)."


def test_without_the_organisation_only_the_weakest_are_named():
    steps = next_steps((figure("a", 60), figure("b", 20), figure("c", 40)), team_name="T", tips={})
    assert [s.code for s in steps] == ["b", "c"]


@pytest.fixture
def published(client, closed_cycle, alpha, bob):
    """Alpha's five members submitted in a closed cycle; Bob manages Alpha."""
    for levels, user in zip(TEAM_LEVELS, add_members(alpha, 5, "m"), strict=True):
        submit_levels(user, closed_cycle, levels)
    Dimension.objects.update(team_tip="Talk about it together.")
    client.force_login(bob)
    return closed_cycle


def plan_url(team, cycle):
    return f"{reverse('assessments:team-plan', args=[team.pk])}?cycle={cycle.pk}"


def test_the_dashboard_says_where_to_start_with_team_tips(client, published, alpha):
    html = client.get(dashboard_url(alpha, published)).content.decode()
    assert "Where to start" in html and "Try this as a team:" in html
    assert "Talk about it together." in html
    assert "Write the action plan" in html


def test_a_manager_writes_changes_and_completes_the_plan(client, published, alpha):
    codes = list(Dimension.objects.order_by("order").values_list("code", flat=True))
    response = client.post(
        plan_url(alpha, published),
        {"focus": codes[:2], "actions": "Weekly ten-minute review.", "due": "2027-03-01"},
    )
    assert response.status_code == 302
    plan = TeamActionPlan.objects.get(team=alpha, cycle=published)
    assert plan.focus == codes[:2] and plan.due.isoformat() == "2027-03-01"
    html = client.get(dashboard_url(alpha, published)).content.decode()
    assert "Weekly ten-minute review." in html and "In progress" in html
    client.post(plan_url(alpha, published), {"focus": codes[:1], "actions": "Changed."})
    assert TeamActionPlan.objects.get().actions == "Changed."
    done = reverse("assessments:team-plan-done", args=[alpha.pk])
    client.post(f"{done}?cycle={published.pk}", {"done": "1"})
    assert TeamActionPlan.objects.get().done_at is not None
    assert "Mark as not done" in client.get(dashboard_url(alpha, published)).content.decode()


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [
        (lambda c: {"focus": c[:4], "actions": "x"}, "Choose at most 3 dimensions", "focus_0"),
        (lambda c: {"focus": [], "actions": "x"}, "Choose at least one dimension", "focus_0"),
        (lambda c: {"focus": ["nope"], "actions": "x"}, "Select a valid choice", "focus_0"),
        (lambda c: {"focus": c[:1], "actions": "   "}, "Write what the team will try", "actions"),
        (lambda c: {"focus": c[:1], "actions": "x", "due": "0026-01-31"}, "within five", "due"),
    ],
)
def test_a_plan_with_mistakes_is_refused_and_keeps_what_was_typed(
    client, published, alpha, data, message, field
):
    """The page title says "Error:", and a summary at the top links to the field to fix."""
    codes = list(Dimension.objects.order_by("order").values_list("code", flat=True))
    posted = data(codes)
    response = client.post(plan_url(alpha, published), posted)
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert "<title>Error: " in html
    summary = html[
        html.index('id="error-summary"') : html.index("</ul>", html.index("error-summary"))
    ]
    assert f'href="#id_{field}"' in summary and message in summary
    assert f'id="id_{field}"' in html
    assert f"{posted['actions'].strip()}</textarea>" in html  # what was typed is kept
    assert not TeamActionPlan.objects.exists()


def test_hr_reads_the_plan_but_only_the_teams_manager_writes_it(
    client, published, alpha, beta, dora
):
    code = Dimension.objects.first().code
    client.post(plan_url(alpha, published), {"focus": [code], "actions": "Pair up."})
    client.force_login(make_hr())
    html = client.get(dashboard_url(alpha, published)).content.decode()
    assert "Pair up." in html and "Change the plan" not in html
    assert client.get(plan_url(alpha, published)).status_code == 403
    client.force_login(dora)  # manages Beta, not Alpha
    assert client.get(dashboard_url(alpha, published)).status_code == 404
    assert (
        client.post(plan_url(alpha, published), {"focus": [code], "actions": "x"}).status_code
        == 404
    )
    assert TeamActionPlan.objects.get().actions == "Pair up."


def test_the_next_cycle_shows_last_cycles_plan_with_the_change(
    client, published, alpha, questionnaire
):
    first = Dimension.objects.order_by("order").first()
    client.post(plan_url(alpha, published), {"focus": [first.code], "actions": "Practise."})
    later = make_cycle(questionnaire, name="Autumn", open_=False, days_ago=1)
    for membership in alpha.memberships.filter(role="member").select_related("user"):
        submit_levels(membership.user, later, (5, 5, 5, 5))
    html = client.get(dashboard_url(alpha, later)).content.decode()
    assert f"After {published.name}, the team chose to work on" in html
    # Leadership 0 was (5+4+3+3+1)/5 = 3.2 -> 55 before; everyone at 5 now -> 100.
    assert f"{first.name}: 55 in {published.name} → 100 now" in html and "(+45)" in html


def test_a_team_smaller_than_k_is_told_plainly(client, closed_cycle, alpha, bob):
    add_members(alpha, 2, "few")
    client.force_login(bob)
    html = client.get(dashboard_url(alpha, closed_cycle)).content.decode()
    assert "smaller than the minimum group size" in html
    assert "HR can group it with a neighbouring team" in html


def test_a_low_response_rate_is_pointed_out(client, published, alpha):
    add_members(alpha, 5, "quiet")  # 5 of 10 submitted: 50 %
    html = client.get(dashboard_url(alpha)).content.decode()
    assert "Only 50% of the team submitted" in " ".join(html.split())


def test_team_tips_are_edited_in_the_admin_next_to_the_personal_tip(client, staff, questionnaire):
    dimension = Dimension.objects.first()
    client.force_login(staff)
    html = client.get(reverse("admin:assessments_dimension_change", args=[dimension.pk]))
    text = html.content.decode()
    assert text.index("Personal tip") < text.index("Team tip")


def test_every_dimension_of_the_default_questionnaire_has_a_team_tip():
    data = services.read_questionnaire_file(services.DEFAULT_FILE)
    assert all(d["team_tip"].strip() for d in data["dimensions"])
    assert len({d["team_tip"] for d in data["dimensions"]}) == len(data["dimensions"])


def test_a_dimension_sent_twice_is_one_focus(client, published, alpha):
    """A hand-made form repeating a dimension: the plan names it once."""
    code = Dimension.objects.order_by("order").first().code
    client.post(plan_url(alpha, published), {"focus": [code, code, code], "actions": "Pair up."})
    assert TeamActionPlan.objects.get().focus == [code]
