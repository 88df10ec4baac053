"""A team's action plan: written by its manager after a cycle's figures are published."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from ..models import Team, TeamActionPlan


def save_action_plan(
    *,
    team: Team,
    cycle_pk: int,
    author: AbstractBaseUser,
    focus: list[str],
    actions: str,
    due: date | None,
) -> TeamActionPlan:
    """Create or change the team's plan for the cycle (one per team and cycle)."""
    plan, _ = TeamActionPlan.objects.update_or_create(
        team=team,
        cycle_id=cycle_pk,
        defaults={"focus": list(focus), "actions": actions, "due": due, "author": author},
    )
    return plan


def mark_action_plan(*, team: Team, cycle_pk: int, done: bool) -> int:
    """Mark the plan done (now) or not done; returns how many plans changed (0 or 1)."""
    return TeamActionPlan.objects.filter(team=team, cycle_id=cycle_pk).update(
        done_at=timezone.now() if done else None, updated_at=timezone.now()
    )
