"""The people and teams import: who works here, and in which teams, from the HR system's file.

It is written here rather than with django-import-export because that library imports one
row into one model, while a row here spans an account, its employee record and several
memberships, the checks run across rows, and a full import deactivates whoever the file
leaves out.

``people_csv`` reads and checks the file; here its people are matched with the accounts
(by employee id, else by e-mail address ignoring case), the differences are planned and
the plan is applied in one transaction. The database is read in four queries and written
in a few bulk statements (one more per 1,000 people whose address or names change), so
10,000 people import in seconds (docs/benchmarks.md). Importing the same file again
writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from .. import people_csv
from ..models import Employee, Membership, PeopleImport, Response, Team
from ..people_csv import Problem

# Problems (and people) listed before "and N more": past this, a list helps nobody.
MAX_SHOWN = 100
# Rows per UPDATE: Django's bulk update is one CASE per field with a branch per row, which
# grows slow past a few thousand rows.
UPDATE_BATCH = 1000


class PeopleImportError(Exception):
    """The file has problems; nothing was written. ``plan.errors`` lists every one."""

    def __init__(self, plan: PeoplePlan):
        self.plan = plan
        super().__init__("\n".join(plan.shown_errors()))


class PlanChanged(Exception):
    """The database changed since the preview, so the import would now do something else."""

    def __init__(self, plan: PeoplePlan):
        self.plan = plan
        super().__init__("The import would now do something other than its preview showed.")


class DeactivationsUnconfirmed(Exception):
    """The import would deactivate people, and that was not confirmed; nothing was written."""

    def __init__(self, plan: PeoplePlan):
        self.plan = plan
        super().__init__(f"The import would deactivate {len(plan.deactivated)} people.")


class AlreadyApplied(Exception):
    """This stored import has been applied already."""


@dataclass(frozen=True)
class Entry:
    """One person in a plan: who, the file's line (if they are in it) and what happens."""

    person: str
    line: int | None = None
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        what = f": {'; '.join(self.details)}" if self.details else ""
        return f"{self.person}{where}{what}"


@dataclass(frozen=True)
class PeoplePlan:
    """What importing a file does (or did); nothing happens while ``errors`` has any."""

    full: bool
    people: int  # the people in the file
    created: tuple[Entry, ...] = ()  # details: their teams
    changed: tuple[Entry, ...] = ()  # details: what changes
    reactivated: tuple[Entry, ...] = ()  # details: what else changes
    deactivated: tuple[Entry, ...] = ()  # details: the teams they leave
    # Not in a full file, yet left active (superusers, say); details: why.
    spared: tuple[Entry, ...] = ()
    # In the file but deactivated by hand in the admin, which an import does not undo.
    still_inactive: tuple[Entry, ...] = ()
    unchanged: int = 0
    new_teams: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(
            self.created or self.changed or self.reactivated or self.deactivated or self.new_teams
        )

    @property
    def digest(self) -> str:
        """A fingerprint of the plan: a preview and its confirmation must agree on it."""
        text = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def shown_errors(self, limit: int = MAX_SHOWN) -> list[str]:
        """The errors, at most ``limit`` of them and a line saying how many more there are."""
        shown = list(self.errors[:limit])
        if len(self.errors) > limit:
            shown.append(f"… and {len(self.errors) - limit} more.")
        return shown

    def describe(self) -> str:
        """The counts in one line, as the command prints them and the admin lists them."""
        return describe_summary(self.summary())

    def summary(self) -> dict:
        """What a stored import keeps of its plan (``PeopleImport.summary``)."""
        return {
            "people": self.people,
            "created": len(self.created),
            "changed": len(self.changed),
            "reactivated": len(self.reactivated),
            "deactivated": len(self.deactivated),
            "unchanged": self.unchanged,
            "new_teams": list(self.new_teams),
            # Who left is what someone may ask about later; the rest is in the file.
            "deactivated_people": [entry.person for entry in self.deactivated],
        }


def describe_summary(summary: dict) -> str:
    """A stored import's counts in one line: "3 new, 1 changed, …; 1 new team."."""
    counts = [
        f"{summary.get(key, 0):,} {key.replace('created', 'new')}"
        for key in ("created", "changed", "reactivated", "deactivated", "unchanged")
    ]
    teams = len(summary.get("new_teams", []))
    return f"{', '.join(counts)}; {teams:,} new team{'s' if teams != 1 else ''}."


# --- what the database holds ------------------------------------------------------------


@dataclass
class _Account:
    pk: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    is_superuser: bool
    # Has set a password or has answered: whoever gives it a new address can reset the
    # password and read the answers, so only an administrator may change its log-in.
    in_use: bool

    def label(self) -> str:
        return _label(self.first_name, self.last_name, self.email or self.username)


@dataclass
class _EmployeeRecord:
    pk: int
    user_id: int
    employee_id: str
    imported_at: datetime
    deactivated_at: datetime | None


ACCOUNT_FIELDS = [
    "pk",
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "in_use",
]
EMPLOYEE_FIELDS = ["pk", "user_id", "employee_id", "imported_at", "deactivated_at"]


@dataclass
class _State:
    """Every account, employee record, team and membership, read in four queries.

    Reading them all costs less than matching 10,000 addresses ignoring case in SQL, and
    it keeps the query count fixed: tens of thousands of short rows are a few megabytes.
    """

    accounts: dict[int, _Account]
    employees: dict[int, _EmployeeRecord]  # by user id
    team_names: dict[int, str]
    memberships: dict[int, dict[int, tuple[int, str]]]  # user id → team id → (id, role)
    by_email: dict[str, int] = field(default_factory=dict)  # lower-cased
    by_username: dict[str, set[int]] = field(default_factory=dict)  # lower-cased
    by_employee_id: dict[str, int] = field(default_factory=dict)
    teams_exact: dict[str, int] = field(default_factory=dict)
    teams_by_key: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _State:
        User = get_user_model()
        # Whether the password is usable, not the hash itself: as has_usable_password().
        in_use = ExpressionWrapper(
            ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
            | Exists(Response.objects.filter(respondent=OuterRef("pk"))),
            output_field=BooleanField(),
        )
        accounts = {
            values[0]: _Account(*values)
            for values in User.objects.annotate(in_use=in_use)
            .order_by("pk")
            .values_list(*ACCOUNT_FIELDS)
        }
        employees = {
            values[1]: _EmployeeRecord(*values)
            for values in Employee.objects.order_by("pk").values_list(*EMPLOYEE_FIELDS)
        }
        team_names = dict(Team.objects.order_by("pk").values_list("pk", "name"))
        memberships: dict[int, dict[int, tuple[int, str]]] = {}
        for pk, user_id, team_id, role in Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "team_id", "role"
        ):
            memberships.setdefault(user_id, {})[team_id] = (pk, role)
        state = cls(accounts, employees, team_names, memberships)
        for account in accounts.values():
            if account.email:
                state.by_email[account.email.lower()] = account.pk
            state.by_username.setdefault(account.username.lower(), set()).add(account.pk)
        for employee in employees.values():
            if employee.employee_id:
                state.by_employee_id[employee.employee_id] = employee.user_id
        for pk, name in team_names.items():
            state.teams_exact[name] = pk
            state.teams_by_key.setdefault(people_csv.team_key(name), pk)
        return state

    def team(self, name: str) -> int | None:
        """The team a file names: the one of that exact name, else one differing in case."""
        return self.teams_exact.get(name, self.teams_by_key.get(people_csv.team_key(name)))


# --- the plan -----------------------------------------------------------------------------


@dataclass
class _NewPerson:
    row: people_csv.Row
    username: str
    teams: list[tuple[int | str, str]]  # (team id, or a new team's key; role)


@dataclass
class _Work:
    """The writes a plan needs; ``int`` refers to an existing row, ``str`` to a new team."""

    now: datetime
    state: _State
    new_teams: dict[str, str] = field(default_factory=dict)  # key → name
    new_people: list[_NewPerson] = field(default_factory=list)
    account_updates: dict[int, dict] = field(default_factory=dict)  # user id → changes
    new_employees: list[tuple[int, str]] = field(default_factory=list)  # (user id, id)
    employee_updates: dict[int, dict] = field(default_factory=dict)  # user id → changes
    delete_memberships: list[int] = field(default_factory=list)
    role_updates: dict[int, str] = field(default_factory=dict)  # membership id → role
    new_memberships: list[tuple[int, int | str, str]] = field(default_factory=list)

    def team_ref(self, name: str) -> int | str:
        pk = self.state.team(name)
        if pk is not None:
            return pk
        key = people_csv.team_key(name)
        self.new_teams.setdefault(key, name)
        return key


def _username(account: _Account | None, email: str) -> str:
    """The user name of a person the file gives none: a new person's is their address in
    lower case, and it follows the address as long as it is the account's address."""
    if account is None or (account.email and account.username == account.email.lower()):
        return email.lower()
    return account.username


def _label(first_name: str | None, last_name: str | None, email: str) -> str:
    name = " ".join(part for part in (first_name, last_name) if part)
    return f"{name} <{email}>" if name else email


def _team_label(name: str, role: str) -> str:
    return f"{name} (manager)" if role == Membership.Role.MANAGER else name


def _plan(
    parsed: people_csv.PeopleFile,
    state: _State,
    *,
    full: bool,
    importer: AbstractBaseUser | None,
) -> tuple[PeoplePlan, _Work]:
    """Match the file's people with the accounts and work out every difference."""
    work = _Work(now=timezone.now(), state=state)
    problems = list(parsed.problems)
    # HR may not change the log-in of a staff account, nor of anyone who has set a
    # password or answered (the user admin forbids it too): with a new address and a
    # password reset, they could sign in as an administrator or read someone's results.
    restricted = importer is not None and not importer.is_superuser
    matched: dict[int, int] = {}  # user id → line
    claimed: dict[str, int] = {}  # user names being given, lower-cased → line
    created: list[Entry] = []
    changed: list[Entry] = []
    reactivated: list[Entry] = []
    still_inactive: list[Entry] = []
    unchanged = 0

    for row in parsed.rows:
        uid, found = _find(row, state, matched)
        account = state.accounts.get(uid)
        username = row.username or _username(account, row.email)
        found += _login_problems(row, uid, username, state, claimed, restricted=restricted)
        if uid is not None:
            matched.setdefault(uid, row.line)
        if found:
            problems += found
            continue

        wanted = [(work.team_ref(name), role, name) for name, role in row.teams]
        if account is None:
            work.new_people.append(
                _NewPerson(row, username, [(ref, role) for ref, role, _ in wanted])
            )
            created.append(
                Entry(
                    _label(row.first_name, row.last_name, row.email),
                    row.line,
                    tuple(_team_label(name, role) for _, role, name in wanted),
                )
            )
            continue

        changes, updates, employee_updates = _account_changes(row, account, username, state)
        if account.pk not in state.employees:
            work.new_employees.append((account.pk, row.employee_id))
            changes.append("now kept up to date by imports")
        changes += _team_changes(account.pk, wanted, work)

        employee = state.employees.get(account.pk)
        back = (
            not account.is_active and employee is not None and employee.deactivated_at is not None
        )
        # As with deactivating (see _leavers): only an administrator's import does it.
        staff_kept_out = back and restricted and (account.is_staff or account.is_superuser)
        back = back and not staff_kept_out
        if back:
            updates["is_active"] = True
            employee_updates["deactivated_at"] = None
        if updates:
            work.account_updates[account.pk] = updates
        if employee is not None and (changes or back):
            # Not for the unchanged: importing the same file again must write nothing, so
            # this is when an import last changed the person, not when it last listed them.
            employee_updates["imported_at"] = work.now
            work.employee_updates[account.pk] = employee_updates

        label = _label(
            account.first_name if row.first_name is None else row.first_name,
            account.last_name if row.last_name is None else row.last_name,
            row.email,
        )
        if back:
            reactivated.append(Entry(label, row.line, tuple(changes)))
        elif changes:
            changed.append(Entry(label, row.line, tuple(changes)))
        else:
            unchanged += 1
        if staff_kept_out:
            still_inactive.append(
                Entry(
                    label,
                    row.line,
                    ("a staff account: only an administrator's import reactivates one",),
                )
            )
        elif not account.is_active and not back:
            still_inactive.append(
                Entry(
                    label,
                    row.line,
                    (
                        "deactivated in the admin, not by an import: activate the account "
                        "there if they are back",
                    ),
                )
            )

    deactivated, spared = ([], []) if not full else _leavers(state, matched, work, importer)
    problems.sort(key=lambda p: p.line or 0)
    plan = PeoplePlan(
        full=full,
        people=parsed.people,
        created=tuple(created),
        changed=tuple(changed),
        reactivated=tuple(reactivated),
        deactivated=tuple(deactivated),
        spared=tuple(spared),
        still_inactive=tuple(still_inactive),
        unchanged=unchanged,
        new_teams=tuple(work.new_teams.values()),
        errors=tuple(str(p) for p in problems),
    )
    return plan, work


def _find(
    row: people_csv.Row, state: _State, matched: dict[int, int]
) -> tuple[int | None, list[Problem]]:
    """The account a row describes (by employee id, else by address), or None for a new
    person; and why the match cannot be trusted."""
    problems = []
    uid = state.by_employee_id.get(row.employee_id) if row.employee_id else None
    column = "employee_id"
    if uid is None:
        uid, column = state.by_email.get(row.email.lower()), "email"
        employee = state.employees.get(uid)
        if row.employee_id and employee and employee.employee_id:
            username = state.accounts[uid].username
            problems.append(
                Problem(
                    f"“{row.employee_id}” is not the employee id of the account with this "
                    f"e-mail address ({username}), which is “{employee.employee_id}”. If "
                    f"this is someone new, change {username}'s address in the admin first.",
                    line=row.line,
                    column="employee_id",
                )
            )
    if uid is not None and uid in matched:
        problems.append(
            Problem(f"this is the person on line {matched[uid]} again.", row.line, column)
        )
    return uid, problems


def _login_problems(
    row: people_csv.Row,
    uid: int | None,
    username: str,
    state: _State,
    claimed: dict[str, int],
    *,
    restricted: bool,
) -> list[Problem]:
    """Why the row's address or user name cannot be this account's (or a new one's).

    Log-in takes a user name or an address, so neither may be another account's, in
    either role. ``claimed`` holds the user names given by earlier rows.
    """
    problems = []
    account = state.accounts.get(uid)

    def problem(column: str, message: str) -> None:
        problems.append(Problem(message, line=row.line, column=column))

    holder = state.by_email.get(row.email.lower())
    email_taken = holder is not None and holder != uid
    if email_taken:
        problem(
            "email",
            f"“{row.email}” is the address of another account "
            f"({state.accounts[holder].username}); change that account's address first.",
        )

    # A user name made from a taken address has the address's problem already.
    if (account is None or username != account.username) and not (
        email_taken and not row.username
    ):
        column = "username" if row.username else "email"
        other = state.by_email.get(username.lower())
        if state.by_username.get(username.lower(), set()) - {uid}:
            problem(
                column,
                f"the user name “{username}” is taken by another account"
                + ("." if row.username else "; give this person a username in the file."),
            )
        elif other is not None and other != uid:
            problem(
                column,
                f"the user name “{username}” is the e-mail address of another account "
                f"({state.accounts[other].username}).",
            )
        elif len(username) > people_csv.MAX_LENGTHS["username"]:
            problem(column, "this address is too long for a user name; give a username.")
        first = claimed.setdefault(username.lower(), row.line)
        if first != row.line:
            problem(column, f"the user name “{username}” is also given on line {first}.")
    if (
        (account is None or row.email != account.email)
        and username.lower() != row.email.lower()
        and state.by_username.get(row.email.lower(), set()) - {uid}
    ):
        problem("email", f"“{row.email}” is the user name of another account.")

    if account is not None and restricted:
        # A new spelling of the same address is not a new address: log-in, the unique
        # index and the password reset all take it as the same one.
        new_email = row.email.lower() != account.email.lower()
        new_username = username != account.username
        if (account.is_staff or account.is_superuser) and (
            row.email != account.email or new_username
        ):
            problem(
                "email" if row.email != account.email else "username",
                f"{account.username} is a staff account: only an administrator may change "
                "its e-mail address or user name.",
            )
        elif account.in_use and new_email:
            problem(
                "email",
                "only an administrator can change the address of someone who has already "
                "set a password or answered (the new address could reset their password).",
            )
        elif account.in_use and new_username:
            problem(
                "username",
                "only an administrator can change the user name of someone who has already "
                "set a password or answered.",
            )
    return problems


def _account_changes(
    row: people_csv.Row, account: _Account, username: str, state: _State
) -> tuple[list[str], dict, dict]:
    """What changes on a matched account and its employee record, in words and in fields."""
    changes: list[str] = []
    updates: dict = {}
    employee_updates: dict = {}
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        value = getattr(row, name)
        if value is not None and value != getattr(account, name):
            updates[name] = value
            changes.append(f"{label} “{getattr(account, name)}” → “{value}”")
    if row.email != account.email:
        updates["email"] = row.email
        changes.append(f"e-mail {account.email or '(none)'} → {row.email}")
    if username != account.username:
        updates["username"] = username
        changes.append(f"user name {account.username} → {username}")
    employee = state.employees.get(account.pk)
    if employee is not None and row.employee_id and row.employee_id != employee.employee_id:
        employee_updates["employee_id"] = row.employee_id
        changes.append(f"employee id {employee.employee_id or '(none)'} → {row.employee_id}")
    return changes, updates, employee_updates


def _team_changes(uid: int, wanted: list[tuple[int | str, str, str]], work: _Work) -> list[str]:
    """Make the person's memberships exactly ``wanted``; what changes, in words."""
    have = work.state.memberships.get(uid, {})
    names = work.state.team_names
    kept: set[int] = set()
    joined, roles = [], []
    for ref, role, name in wanted:
        if isinstance(ref, int) and ref in have:
            kept.add(ref)
            membership, old = have[ref]
            if old != role:
                work.role_updates[membership] = role
                roles.append(f"{names[ref]}: {old} → {role}")
        else:
            work.new_memberships.append((uid, ref, role))
            joined.append(_team_label(names.get(ref, name), role))
    left = []
    for team, (membership, role) in have.items():
        if team not in kept:
            work.delete_memberships.append(membership)
            left.append(_team_label(names[team], role))
    left.sort()
    if len(joined) == 1 and len(left) == 1:
        return [f"team {left[0]} → {joined[0]}", *roles]
    return [*(f"joins {t}" for t in joined), *(f"leaves {t}" for t in left), *roles]


def _leavers(
    state: _State, matched: dict[int, int], work: _Work, importer: AbstractBaseUser | None
) -> tuple[list[Entry], list[Entry]]:
    """The active people from earlier imports a full file leaves out: those it deactivates,
    and those it spares, with why."""
    restricted = importer is not None and not importer.is_superuser
    deactivated, spared = [], []
    for uid in state.employees:
        account = state.accounts[uid]
        if uid in matched or not account.is_active:
            continue
        if account.is_superuser:
            reason = "a superuser: imports never deactivate one"
        elif importer is not None and uid == importer.pk:
            reason = "you: an import never deactivates the person running it"
        elif restricted and account.is_staff:
            reason = "a staff account: only an administrator's import deactivates one"
        else:
            reason = None
        if reason:
            spared.append(Entry(account.label(), None, (reason,)))
            continue
        work.account_updates[uid] = {"is_active": False}
        work.employee_updates[uid] = {"deactivated_at": work.now}
        teams = []
        for team, (membership, role) in state.memberships.get(uid, {}).items():
            work.delete_memberships.append(membership)
            teams.append(_team_label(state.team_names[team], role))
        details = (f"leaves {', '.join(sorted(teams))}",) if teams else ()
        deactivated.append(Entry(account.label(), None, details))
    deactivated.sort(key=lambda entry: entry.person.casefold())
    spared.sort(key=lambda entry: entry.person.casefold())
    return deactivated, spared


# --- applying it --------------------------------------------------------------------------


def _write(work: _Work) -> None:
    """Every write of a plan, in bulk: the number of statements does not grow with rows."""
    User = get_user_model()
    state, now = work.state, work.now

    made = Team.objects.bulk_create([Team(name=name) for name in work.new_teams.values()])
    new_team_ids = {people_csv.team_key(team.name): team.pk for team in made}

    def team_id(ref: int | str) -> int:
        return ref if isinstance(ref, int) else new_team_ids[ref]

    users = []
    for person in work.new_people:
        user = User(
            username=person.username,
            email=person.row.email,
            first_name=person.row.first_name or "",
            last_name=person.row.last_name or "",
        )
        # They set a password from their invitation; this makes no hash, so it is cheap.
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)

    Employee.objects.bulk_create(
        [
            Employee(user_id=user.pk, employee_id=person.row.employee_id, imported_at=now)
            for user, person in zip(users, work.new_people, strict=True)
        ]
        + [
            Employee(user_id=uid, employee_id=employee_id, imported_at=now)
            for uid, employee_id in work.new_employees
        ]
    )

    if work.delete_memberships:
        Membership.objects.filter(pk__in=work.delete_memberships).delete()
    if work.role_updates:
        Membership.objects.bulk_update(
            [Membership(pk=pk, role=role) for pk, role in work.role_updates.items()],
            ["role"],
            batch_size=UPDATE_BATCH,
        )
    Membership.objects.bulk_create(
        [
            Membership(user_id=user.pk, team_id=team_id(ref), role=role)
            for user, person in zip(users, work.new_people, strict=True)
            for ref, role in person.teams
        ]
        + [
            Membership(user_id=uid, team_id=team_id(ref), role=role)
            for uid, ref, role in work.new_memberships
        ]
    )

    _update(
        User,
        {uid: state.accounts[uid] for uid in work.account_updates},
        work.account_updates,
    )
    _update(
        Employee,
        {state.employees[uid].pk: state.employees[uid] for uid in work.employee_updates},
        {state.employees[uid].pk: changes for uid, changes in work.employee_updates.items()},
    )


def _update(model, current: dict[int, object], updates: dict[int, dict]) -> None:
    """Write ``updates`` (pk → field values): rows given the same values (a timestamp, a
    flag) in one UPDATE each, the others in bulk.

    Django builds a bulk update's CASE branch by branch, about a millisecond a row in
    Python, so sharing an UPDATE matters when thousands of people are touched at once.
    """
    alike: dict[tuple, list[int]] = {}
    for pk, changes in updates.items():
        alike.setdefault(tuple(sorted(changes.items())), []).append(pk)
    each = {}
    for values, pks in alike.items():
        if len(pks) > 1:
            model.objects.filter(pk__in=pks).update(**dict(values))
        else:
            each[pks[0]] = updates[pks[0]]
    fields = sorted({name for changes in each.values() for name in changes})
    if not fields:
        return
    # A bulk update writes every field named to every row: the others keep their values.
    rows = [
        model(pk=pk, **{name: changes.get(name, getattr(current[pk], name)) for name in fields})
        for pk, changes in each.items()
    ]
    model.objects.bulk_update(rows, fields, batch_size=UPDATE_BATCH)


# --- the entry points ---------------------------------------------------------------------


def read_people_file(content: bytes) -> str:
    """A people file's text; ``people_csv.PeopleFileError`` if it is not UTF-8 CSV."""
    return people_csv.decode(content)


def plan_people(
    *, content: str, full: bool, importing_user: AbstractBaseUser | None = None
) -> PeoplePlan:
    """What importing the file would do; writes nothing."""
    plan, _ = _plan(people_csv.parse(content), _State.load(), full=full, importer=importing_user)
    return plan


def import_people(
    *,
    content: str,
    full: bool,
    importing_user: AbstractBaseUser | None = None,
    expected_digest: str | None = None,
    deactivations_confirmed: bool = True,
) -> PeoplePlan:
    """Import the file in one transaction, planned afresh inside it.

    Raises PeopleImportError (the file has problems), PlanChanged (the plan's digest is
    not ``expected_digest``, the preview's) or DeactivationsUnconfirmed (it deactivates
    people, and ``deactivations_confirmed`` is false); in each case nothing is written.
    ``importing_user`` is the person at the admin, or None for an operator's command.
    """
    with transaction.atomic():
        plan, work = _plan(
            people_csv.parse(content), _State.load(), full=full, importer=importing_user
        )
        if plan.errors:
            raise PeopleImportError(plan)
        if expected_digest is not None and plan.digest != expected_digest:
            raise PlanChanged(plan)
        if plan.deactivated and not deactivations_confirmed:
            raise DeactivationsUnconfirmed(plan)
        _write(work)
    return plan


def apply_people_import(
    *,
    people_import: PeopleImport,
    importing_user: AbstractBaseUser | None = None,
    expected_digest: str | None = None,
    deactivations_confirmed: bool = True,
) -> PeoplePlan:
    """Apply a stored import, once, and record when and what it did (see import_people)."""
    with transaction.atomic():
        # Locked, so that two people confirming the same preview apply it once.
        locked = PeopleImport.objects.select_for_update().get(pk=people_import.pk)
        if locked.applied_at is not None:
            applied = timezone.localtime(locked.applied_at)
            raise AlreadyApplied(f"{locked.filename} was applied at {applied:%Y-%m-%d %H:%M}.")
        plan = import_people(
            content=locked.content,
            full=locked.full,
            importing_user=importing_user,
            expected_digest=expected_digest,
            deactivations_confirmed=deactivations_confirmed,
        )
        locked.applied_at = timezone.now()
        locked.summary = plan.summary()
        locked.save(update_fields=["applied_at", "summary"])
    people_import.applied_at, people_import.summary = locked.applied_at, locked.summary
    return plan
