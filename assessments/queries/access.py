"""Which teams a person may look at: one answer for navigation, home and dashboards."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q

from ..models import Membership, Team
from ..roles import roles

MEMBER = Membership.Role.MEMBER


def sees_teams(user: AbstractBaseUser) -> bool:
    """Whether the person may open any team's dashboard (a manager, or HR)."""
    return getattr(user, "_lvm_manages", False) or roles(user).sees_dashboards


def sees_organisation(user: AbstractBaseUser) -> bool:
    return roles(user).sees_organisation


def visible_teams(*, user: AbstractBaseUser, member_count: bool = True):
    """Teams whose dashboards the person may open: those they manage; every team for HR.

    Annotates ``member_count`` (people with the member role) unless told not to.
    """
    teams = Team.objects.all()
    if member_count:
        teams = teams.annotate(
            member_count=Count("memberships", filter=Q(memberships__role=MEMBER))
        )
    if roles(user).sees_organisation:
        return teams
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id")
    return teams.filter(pk__in=managed)


def team_for_manager(*, user: AbstractBaseUser, team_pk: int) -> Team | None:
    """The team if the person manages it (or is HR); else None.

    No member count: a closed cycle shows the one stored at publication, and an open one
    counts it with the other live figures.
    """
    managed = Team.objects.filter(
        pk=team_pk, memberships__user=user, memberships__role=Membership.Role.MANAGER
    ).first()
    if managed is not None:
        user._lvm_manages = True  # the navigation needs no query to know it
        return managed
    if roles(user).sees_organisation:
        return Team.objects.filter(pk=team_pk).first()
    return None
