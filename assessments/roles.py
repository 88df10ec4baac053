"""Who may see which figures: managers their teams, HR (a named permission) everything.

"Staff" alone grants nothing here: it only opens the Django admin, where model
permissions apply. Seeing the organisation's and every team's figures is the permission
``assessments.view_organisation_results``, which the "HR" group carries; superusers have
every permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q

from .models import Membership

ORGANISATION_PERMISSION = "view_organisation_results"
HR_GROUP = "HR"

# What HR needs in the admin: edit questionnaires, teams and cycles, look after people,
# erase a person's responses on request, read publications. Not to read responses: a
# person's answers and scores are theirs (the guarantee covers HR too); only superusers
# see them in the admin. (app, model, actions)
HR_PERMISSIONS = [
    ("assessments", "team", ("add", "change", "delete", "view", ORGANISATION_PERMISSION)),
    ("assessments", "questionnaire", ("add", "change", "view")),
    ("assessments", "scalelabel", ("add", "change", "delete", "view")),
    ("assessments", "dimension", ("add", "change", "delete", "view")),
    ("assessments", "question", ("add", "change", "delete", "view")),
    ("assessments", "membership", ("add", "change", "delete", "view")),
    ("assessments", "cycle", ("add", "change", "view")),
    ("assessments", "response", ("delete",)),
    ("assessments", "flaggedresponse", ("view",)),
    ("assessments", "publication", ("view",)),
    # The people import: upload, preview and apply, or discard a file never applied (an
    # applied one is the record of who was changed); its employee records are read-only.
    ("assessments", "peopleimport", ("add", "delete", "view")),
    ("assessments", "employee", ("view",)),
    ("assessments", "participant", ("view", "change")),
    ("auth", "user", ("add", "change", "view")),
]


@dataclass(frozen=True)
class Roles:
    sees_organisation: bool  # HR: the overview and every team's dashboard
    manages_teams: bool

    @property
    def sees_dashboards(self) -> bool:
        return self.sees_organisation or self.manages_teams


NOBODY = Roles(sees_organisation=False, manages_teams=False)


def _organisation_permission():
    return Permission.objects.filter(
        codename=ORGANISATION_PERMISSION, content_type__app_label="assessments"
    )


_ROLES_SQL = """
SELECT
  EXISTS (SELECT 1 FROM {membership} m WHERE m.user_id = %(user)s AND m.role = %(manager)s),
  EXISTS (
    SELECT 1 FROM {user_perms} up JOIN {permission} p ON p.id = up.permission_id
    JOIN {content_type} ct ON ct.id = p.content_type_id
    WHERE up.user_id = %(user)s AND p.codename = %(codename)s AND ct.app_label = %(app)s
  ),
  EXISTS (
    SELECT 1 FROM {user_groups} ug JOIN {group_perms} gp ON gp.group_id = ug.group_id
    JOIN {permission} p ON p.id = gp.permission_id
    JOIN {content_type} ct ON ct.id = p.content_type_id
    WHERE ug.user_id = %(user)s AND p.codename = %(codename)s AND ct.app_label = %(app)s
  )
"""


def _roles_sql() -> str:
    user = get_user_model()
    return _ROLES_SQL.format(
        membership=Membership._meta.db_table,
        user_perms=user.user_permissions.through._meta.db_table,
        user_groups=user.groups.through._meta.db_table,
        group_perms=Group.permissions.through._meta.db_table,
        permission=Permission._meta.db_table,
        content_type=ContentType._meta.db_table,
    )


def roles(user: AbstractBaseUser) -> Roles:
    """The person's roles, in one query, remembered on the user object for the request.

    Plain SQL: the ORM's version of these three EXISTS took longer to build and plan than
    to run, on every signed-in page.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_lvm_roles", None)
    if cached is not None:
        return cached
    params = {
        "user": user.pk,
        "manager": Membership.Role.MANAGER.value,
        "codename": ORGANISATION_PERMISSION,
        "app": "assessments",
    }
    with connection.cursor() as cursor:
        cursor.execute(_roles_sql(), params)
        manages, direct, by_group = cursor.fetchone()
    result = Roles(
        sees_organisation=bool(user.is_superuser or direct or by_group),
        manages_teams=bool(manages),
    )
    user._lvm_roles = result
    return result


def organisation_viewer_ids() -> set[int]:
    """Everyone who may see the organisation's figures (superusers included)."""
    permission = _organisation_permission()
    return set(
        get_user_model()
        .objects.filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .values_list("pk", flat=True)
    )


def ensure_hr_group(**kwargs) -> None:
    """Create or update the "HR" group with exactly HR_PERMISSIONS (after every migrate)."""
    wanted = Q()
    for app, model, actions in HR_PERMISSIONS:
        codenames = [a if a == ORGANISATION_PERMISSION else f"{a}_{model}" for a in actions]
        wanted |= Q(content_type__app_label=app, content_type__model=model, codename__in=codenames)
    permissions = list(Permission.objects.filter(wanted))
    if not permissions:  # permissions not created yet (e.g. a partial migrate)
        return
    group, _ = Group.objects.get_or_create(name=HR_GROUP)
    group.permissions.set(permissions)
