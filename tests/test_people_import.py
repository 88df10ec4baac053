"""The people and teams import: matching, changes, leavers, the command and the admin flow.

A file is all or nothing: with any problem nothing is written. People are found by
employee id, else by e-mail address ignoring case; a full file deactivates the people of
earlier imports it leaves out, who keep their responses and can no longer log in.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.management.commands.seed_demo import DEMO_PEOPLE
from assessments.models import Employee, Membership, PeopleImport, Response, Team
from assessments.services import people
from assessments.services.people import PeopleImportError, import_people, plan_people

from .conftest import make_hr, make_user, start_draft

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "employee_id,email,first_name,last_name,team,role,extra_teams"
ANA = "E1,ana@example.com,Ana,Silva,Sales,manager,"
BEN = "E2,ben@example.com,Ben,Okafor,Sales,,Support"
CLEO = "E3,cleo@example.com,Cleo,Berg,Support,manager,Sales"
WRITES = ("INSERT", "UPDATE", "DELETE")


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def teams_of(email: str) -> dict[str, str]:
    user = User.objects.get(email__iexact=email)
    return dict(user.memberships.values_list("team__name", "role"))


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Employee, Team, Membership, PeopleImport)
    }


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def imported():
    """Ana, Ben and Cleo, imported once."""
    import_people(content=csv(ANA, BEN, CLEO), full=True)


# --- the first import ---------------------------------------------------------------------


def test_new_people_get_an_account_without_a_password_an_employee_record_and_their_teams():
    plan = import_people(content=csv(ANA, BEN, CLEO), full=True)
    assert [e.person for e in plan.created] == [
        "Ana Silva <ana@example.com>",
        "Ben Okafor <ben@example.com>",
        "Cleo Berg <cleo@example.com>",
    ]
    assert plan.new_teams == ("Sales", "Support")
    ana = User.objects.get(email="ana@example.com")
    assert ana.username == "ana@example.com", "no username column: the address, lower-cased"
    assert not ana.has_usable_password(), "they set one from their invitation"
    assert ana.is_active and ana.employee.employee_id == "E1"
    assert teams_of("ben@example.com") == {"Sales": "member", "Support": "member"}
    assert teams_of("cleo@example.com") == {"Support": "manager", "Sales": "member"}


def test_the_username_column_gives_new_accounts_their_user_name():
    import_people(
        content=csv("ana@example.com,ana,Sales", header="email,username,team"), full=True
    )
    assert User.objects.get(email="ana@example.com").username == "ana"


def test_an_address_in_capitals_makes_a_lower_case_user_name():
    import_people(content=csv("Ana.Silva@Example.com,Sales", header="email,team"), full=True)
    assert User.objects.get().username == "ana.silva@example.com"


# --- all or nothing -----------------------------------------------------------------------


def test_nothing_is_written_when_any_row_is_bad(imported):
    """One bad row among good ones: no one is added, changed or deactivated."""
    before = table_counts()
    content = csv(
        "E1,ana@example.com,Ana,Silva-Berg,Support,,",
        "E9,new@example.com,N,,Ops,,",
        "E8,bob@,B,,Ops,,",
    )
    with pytest.raises(PeopleImportError) as raised:
        import_people(content=content, full=True)
    assert raised.value.plan.errors == ("Line 4, email: “bob@” is not an e-mail address.",)
    assert table_counts() == before
    assert teams_of("ana@example.com") == {"Sales": "manager"}
    assert User.objects.filter(is_active=True).count() == 3


@pytest.fixture
def hr_employee(db):
    """An account from an earlier import, with the id E7 and the address hr@example.com."""
    hr = make_user("hr")
    Employee.objects.create(user=hr, employee_id="E7", imported_at=hr.date_joined)
    return hr


def test_a_person_may_not_take_another_accounts_address(imported, hr_employee):
    """E1 is Ana: her new address is already hr's."""
    plan = plan_people(content=csv("E1,hr@example.com,,,Sales,,"), full=False)
    assert plan.errors == (
        "Line 2, email: “hr@example.com” is the address of another account (hr); change "
        "that account's address first.",
    )


def test_an_address_found_under_another_employee_id_is_refused(hr_employee):
    """E9 is nobody yet, but its address belongs to E7: two people, or a typing error."""
    plan = plan_people(content=csv("E9,HR@example.com,,,Sales,,"), full=False)
    assert plan.errors == (
        "Line 2, employee_id: “E9” is not the employee id of the account with this "
        "e-mail address (hr), which is “E7”. If this is someone new, change hr's address "
        "in the admin first.",
    )


def test_a_user_name_of_another_account_is_refused(imported):
    User.objects.create_user("ana", email="another.ana@example.com")
    content = csv("dan@example.com,ana,Sales", header="email,username,team")
    plan = plan_people(content=content, full=False)
    assert plan.errors == ("Line 2, username: the user name “ana” is taken by another account.",)


def test_a_user_name_given_twice_in_the_file_is_refused():
    content = csv(
        "dan@example.com,dan,Sales", "dan2@example.com,DAN,Sales", header="email,username,team"
    )
    plan = plan_people(content=content, full=False)
    assert plan.errors == ("Line 3, username: the user name “DAN” is also given on line 2.",)


def test_a_new_persons_address_already_a_user_name_is_refused():
    """The address would become the user name, which someone else has."""
    User.objects.create_user("dan@example.com", email="other@example.com")
    plan = plan_people(content=csv("dan@example.com,Sales", header="email,team"), full=True)
    assert plan.errors == (
        "Line 2, email: the user name “dan@example.com” is taken by another account; give "
        "this person a username in the file.",
    )


def test_the_same_account_found_by_two_rows_is_refused(imported):
    """Line 2 finds Ana by her id, line 3 by her address."""
    content = csv("E1,ana.new@example.com,,,Sales,,", ",ana@example.com,,,Sales,,")
    plan = plan_people(content=content, full=True)
    assert plan.errors == ("Line 3, email: this is the person on line 2 again.",)


def test_problems_are_capped_in_what_is_shown():
    content = csv(*(f"E{i},bad{i}@,,,Sales,," for i in range(150)))
    plan = plan_people(content=content, full=True)
    assert len(plan.errors) == 150
    shown = plan.shown_errors()
    assert len(shown) == 101 and shown[-1] == "… and 50 more."


# --- matching and changes -----------------------------------------------------------------


def test_reimporting_the_same_file_writes_nothing(imported):
    with CaptureQueriesContext(connection) as queries:
        plan = import_people(content=csv(ANA, BEN, CLEO), full=True)
    assert writes(queries.captured_queries) == []
    assert plan.unchanged == 3 and not plan.has_changes


def test_people_are_found_by_employee_id_before_their_address(imported):
    """E2's row carries a new address: it is Ben, whose address changes."""
    plan = import_people(
        content=csv(ANA, "E2,Ben.Okafor@example.com,Ben,Okafor,Sales,,Support", CLEO), full=True
    )
    ben = User.objects.get(employee__employee_id="E2")
    assert ben.email == "Ben.Okafor@example.com"
    assert ben.username == "ben.okafor@example.com", "a user name made from the address follows it"
    assert [e.details for e in plan.changed] == [
        (
            "e-mail ben@example.com → Ben.Okafor@example.com",
            "user name ben@example.com → ben.okafor@example.com",
        )
    ]
    assert User.objects.count() == 3


def test_without_an_id_people_are_found_by_address_ignoring_case():
    """An account made by hand (no employee record) is found and from then on imported."""
    alice = make_user("alice", first_name="Alice")
    plan = import_people(
        content=csv("ALICE@example.com,Alice,Sales", header="email,first_name,team"), full=True
    )
    alice.refresh_from_db()
    assert User.objects.count() == 1
    assert alice.username == "alice", "a chosen user name stays"
    assert alice.email == "ALICE@example.com"
    assert Employee.objects.get().user == alice
    assert plan.changed[0].details == (
        "e-mail alice@example.com → ALICE@example.com",
        "now kept up to date by imports",
        "joins Sales",
    )


def test_an_id_is_recorded_for_a_person_found_by_address(imported):
    Employee.objects.filter(employee_id="E1").update(employee_id="")
    import_people(content=csv(ANA, BEN, CLEO), full=True)
    assert User.objects.get(email="ana@example.com").employee.employee_id == "E1"


def test_names_and_teams_change_as_the_file_says(imported):
    """Memberships become exactly the file's: moves, new roles, new and dropped teams."""
    content = csv(
        "E1,ana@example.com,Ana,Silva-Berg,Support,,",
        "E2,ben@example.com,Ben,Okafor,Sales,manager,Ops|Research:manager",
        CLEO,
    )
    plan = import_people(content=content, full=True)
    assert teams_of("ana@example.com") == {"Support": "member"}
    assert teams_of("ben@example.com") == {
        "Sales": "manager",
        "Ops": "member",
        "Research": "manager",
    }
    assert plan.new_teams == ("Ops", "Research")
    assert [(e.person, e.details) for e in plan.changed] == [
        (
            "Ana Silva-Berg <ana@example.com>",
            ("last name “Silva” → “Silva-Berg”", "team Sales (manager) → Support"),
        ),
        (
            "Ben Okafor <ben@example.com>",
            ("joins Ops", "joins Research (manager)", "leaves Support", "Sales: member → manager"),
        ),
    ]
    assert plan.unchanged == 1


def test_an_existing_team_is_found_whatever_the_case_of_its_name(imported):
    import_people(content=csv("E1,ana@example.com,Ana,Silva,  SALES ,manager,"), full=False)
    assert Team.objects.count() == 2
    assert teams_of("ana@example.com") == {"Sales": "manager"}


# --- leavers and returners ----------------------------------------------------------------


def test_leavers_are_deactivated_keep_their_responses_and_cannot_log_in(client, imported, cycle):
    ben = User.objects.get(email="ben@example.com")
    ben.set_password("pw-ben")
    ben.save()
    start_draft(ben, cycle)
    plan = import_people(content=csv(ANA, CLEO), full=True)
    assert [(e.person, e.details) for e in plan.deactivated] == [
        ("Ben Okafor <ben@example.com>", ("leaves Sales, Support",))
    ]
    ben.refresh_from_db()
    assert not ben.is_active and ben.employee.deactivated_at is not None
    assert not ben.memberships.exists()
    assert Response.objects.filter(respondent=ben).count() == 1, "never deleted"
    page = client.post(reverse("login"), {"username": ben.username, "password": "pw-ben"})
    assert page.status_code == 200 and not page.wsgi_request.user.is_authenticated


def test_a_returning_person_is_reactivated(imported):
    import_people(content=csv(ANA, CLEO), full=True)
    plan = import_people(content=csv(ANA, BEN, CLEO), full=True)
    assert [(e.person, e.details) for e in plan.reactivated] == [
        ("Ben Okafor <ben@example.com>", ("joins Sales", "joins Support"))
    ]
    ben = User.objects.get(email="ben@example.com")
    assert ben.is_active and ben.employee.deactivated_at is None
    assert teams_of("ben@example.com") == {"Sales": "member", "Support": "member"}


def test_a_partial_file_deactivates_nobody(imported):
    plan = import_people(content=csv("E1,ana@example.com,Ana,Silva,Support,,"), full=False)
    assert plan.deactivated == ()
    assert User.objects.filter(is_active=True).count() == 3
    assert teams_of("ben@example.com") == {"Sales": "member", "Support": "member"}


def test_accounts_no_import_made_are_left_alone(imported, alice):
    """Alice has no employee record (made by hand): a full file without her keeps her."""
    import_people(content=csv(ANA, BEN, CLEO), full=True)
    alice.refresh_from_db()
    assert alice.is_active and alice.memberships.exists()


def test_superusers_and_the_importer_are_never_deactivated(imported):
    for email in ("ben@example.com", "cleo@example.com"):
        User.objects.filter(email=email).update(
            is_superuser=email.startswith("ben"), is_staff=True
        )
    cleo = User.objects.get(email="cleo@example.com")
    cleo.user_permissions.set(Permission.objects.filter(codename="add_peopleimport"))
    plan = import_people(content=csv(ANA), full=True, importing_user=cleo)
    assert plan.deactivated == ()
    assert [(e.person, e.details) for e in plan.spared] == [
        ("Ben Okafor <ben@example.com>", ("a superuser: imports never deactivate one",)),
        (
            "Cleo Berg <cleo@example.com>",
            ("you: an import never deactivates the person running it",),
        ),
    ]
    assert User.objects.filter(is_active=True).count() == 3


def test_hr_cannot_change_a_staff_accounts_address_by_import(imported):
    """Or HR could give an administrator's account their own address and reset its
    password; an administrator's import may."""
    User.objects.filter(email="ana@example.com").update(is_staff=True)
    content = csv("E1,helga-owns-this@example.com,Ana,Silva,Sales,manager,")
    plan = plan_people(content=content, full=False, importing_user=make_hr())
    assert plan.errors == (
        "Line 2, email: ana@example.com is a staff account: only an administrator may change "
        "its e-mail address or user name.",
    )
    admin = make_user("root", is_staff=True, is_superuser=True)
    assert plan_people(content=content, full=False, importing_user=admin).ok


LOCKED = (
    "Line 2, email: only an administrator can change the address of someone who has "
    "already set a password or answered (the new address could reset their password)."
)
ANA_MOVED = "E1,helga-owns-this@example.com,Ana,Silva,Sales,manager,"


def test_hr_cannot_change_the_address_of_someone_with_a_password_by_import(imported):
    """Or HR could give Ana's account their own address, reset her password and read her
    results."""
    ana = User.objects.get(email="ana@example.com")
    ana.set_password("pw-ana")
    ana.save()
    helga = make_hr()
    plan = plan_people(content=csv(ANA_MOVED), full=False, importing_user=helga)
    assert plan.errors == (LOCKED,)
    with pytest.raises(PeopleImportError):
        import_people(content=csv(ANA_MOVED), full=False, importing_user=helga)
    assert User.objects.get(employee__employee_id="E1").email == "ana@example.com"


def test_hr_cannot_change_the_address_of_someone_who_answered_by_import(imported, cycle):
    """Answers without a password (an administrator removed it): still theirs."""
    start_draft(User.objects.get(email="ana@example.com"), cycle)
    plan = plan_people(content=csv(ANA_MOVED), full=False, importing_user=make_hr())
    assert plan.errors == (LOCKED,)


def test_hr_cannot_change_the_user_name_of_someone_with_a_password_by_import(imported):
    User.objects.filter(email="ana@example.com").update(password="md5$x$y")
    content = csv("E1,ana@example.com,ana.silva,Sales", header="employee_id,email,username,team")
    plan = plan_people(content=content, full=False, importing_user=make_hr())
    assert plan.errors == (
        "Line 2, username: only an administrator can change the user name of someone who "
        "has already set a password or answered.",
    )


def test_an_administrator_and_the_command_may_change_the_address_of_someone_in_use(
    imported, cycle, people_file
):
    ana = User.objects.get(email="ana@example.com")
    ana.set_password("pw-ana")
    ana.save()
    start_draft(ana, cycle)
    root = make_user("root", is_staff=True, is_superuser=True)
    assert plan_people(content=csv(ANA_MOVED), full=False, importing_user=root).ok
    call_command("import_people", people_file(csv(ANA_MOVED)), "--partial", stdout=StringIO())
    ana.refresh_from_db()
    assert ana.email == "helga-owns-this@example.com"


def test_hr_may_change_the_address_of_someone_without_a_password_or_answers(imported):
    """Nothing of theirs to read yet: a wrong address from the HR system is put right."""
    plan = import_people(content=csv(ANA_MOVED), full=False, importing_user=make_hr())
    assert [e.details for e in plan.changed] == [
        (
            "e-mail ana@example.com → helga-owns-this@example.com",
            "user name ana@example.com → helga-owns-this@example.com",
        )
    ]


def test_hr_may_change_the_capitals_of_an_address_in_use(imported):
    """The same address for log-in, the unique index and the password reset."""
    User.objects.filter(email="ana@example.com").update(password="md5$x$y")
    content = csv("E1,Ana@Example.com,Ana,Silva,Sales,manager,")
    import_people(content=content, full=False, importing_user=make_hr())
    ana = User.objects.get(employee__employee_id="E1")
    assert (ana.email, ana.username) == ("Ana@Example.com", "ana@example.com")


def test_hr_cannot_reactivate_a_staff_account_by_import(imported):
    """As HR's import never deactivates one; an administrator's import reactivates it."""
    import_people(content=csv(ANA, CLEO), full=True)
    User.objects.filter(email="ben@example.com").update(is_staff=True)
    plan = import_people(content=csv(ANA, BEN, CLEO), full=True, importing_user=make_hr())
    assert plan.reactivated == ()
    assert [(e.person, e.line, e.details) for e in plan.still_inactive] == [
        (
            "Ben Okafor <ben@example.com>",
            3,
            ("a staff account: only an administrator's import reactivates one",),
        )
    ]
    ben = User.objects.get(email="ben@example.com")
    assert not ben.is_active and ben.employee.deactivated_at is not None

    root = make_user("root", is_staff=True, is_superuser=True)
    plan = import_people(content=csv(ANA, BEN, CLEO), full=True, importing_user=root)
    assert [e.person for e in plan.reactivated] == ["Ben Okafor <ben@example.com>"]
    assert User.objects.get(email="ben@example.com").is_active


def test_an_account_deactivated_by_hand_stays_inactive(imported):
    """The admin switched it off for a reason an import does not know."""
    User.objects.filter(email="ben@example.com").update(is_active=False)
    plan = import_people(content=csv(ANA, BEN, CLEO), full=True)
    assert [e.person for e in plan.still_inactive] == ["Ben Okafor <ben@example.com>"]
    assert not User.objects.get(email="ben@example.com").is_active


# --- cost ---------------------------------------------------------------------------------


def _people_rows(count: int, *, team_of=lambda i: f"Team {i % 7}") -> str:
    return csv(*(f"E{i},p{i}@example.com,P,{i},{team_of(i)},,Guild {i % 3}" for i in range(count)))


@pytest.mark.parametrize("count", [5, 60])
def test_an_import_takes_the_same_queries_however_many_people(
    count, django_assert_max_num_queries
):
    """Reads in four queries, writes in bulk: no query per person (up to a batch)."""
    with django_assert_max_num_queries(10):
        import_people(content=_people_rows(count), full=True)
    moved = _people_rows(count - 1, team_of=lambda i: f"Unit {i % 5}")
    with django_assert_max_num_queries(12):
        plan = import_people(content=moved, full=True)
    assert len(plan.changed) > 1 and len(plan.deactivated) == 1


# --- the command --------------------------------------------------------------------------


@pytest.fixture
def people_file(tmp_path):
    def write(content: str | bytes, name: str = "people.csv"):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        return str(path)

    return write


def test_the_command_imports_and_keeps_a_record(people_file):
    out = StringIO()
    call_command("import_people", people_file(csv(ANA, BEN)), stdout=out)
    assert "Imported: 2 new, 0 changed" in out.getvalue()
    stored = PeopleImport.objects.get()
    assert stored.applied_at and stored.full and stored.summary["created"] == 2
    out = StringIO()
    call_command("import_people", people_file(csv(ANA, BEN)), stdout=out)
    assert "Nothing to change" in out.getvalue()
    assert PeopleImport.objects.count() == 1, "a night without changes leaves no record"


def test_the_command_dry_run_writes_nothing(people_file):
    out = StringIO()
    call_command("import_people", people_file(csv(ANA, BEN)), "--dry-run", "-v", "2", stdout=out)
    assert "Would import: 2 new" in out.getvalue()
    assert "Ana Silva <ana@example.com> (line 2): Sales (manager)" in out.getvalue()
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_the_command_fails_listing_every_problem_and_writes_nothing(people_file):
    with pytest.raises(CommandError) as raised:
        call_command("import_people", people_file(csv(ANA, "E2,ben@,,,,boss,")), stdout=StringIO())
    message = str(raised.value)
    assert "nothing was imported; 3 problems" in message
    assert "- Line 3, email: “ben@” is not an e-mail address." in message
    assert "- Line 3, role:" in message
    assert not User.objects.exists() and not PeopleImport.objects.exists()


def test_the_command_refuses_a_file_that_is_not_utf8(people_file):
    with pytest.raises(CommandError, match="CSV UTF-8"):
        call_command("import_people", people_file(csv(ANA).encode("utf-16")), stdout=StringIO())


def test_the_command_says_so_when_accounts_change_while_it_runs(people_file, monkeypatch):
    """The database refuses a write (an address taken in the admin meanwhile): all undone."""

    def apply_and_collide(*, people_import, **kwargs):
        people.apply_people_import.__wrapped__(people_import=people_import, **kwargs)
        raise IntegrityError("duplicate key value violates unique constraint")

    real = people.apply_people_import
    apply_and_collide.__wrapped__ = real
    monkeypatch.setattr(people, "apply_people_import", apply_and_collide)
    with pytest.raises(CommandError, match="accounts changed in LVM while the import ran"):
        call_command("import_people", people_file(csv(ANA, BEN)), stdout=StringIO())
    assert table_counts() == dict.fromkeys(table_counts(), 0), "nothing half-written"


def test_the_command_refuses_to_deactivate_most_people_unless_told_to(people_file):
    """A cut-off nightly export must not lock everyone out."""
    rows = _people_rows(40)
    call_command("import_people", people_file(rows), stdout=StringIO())
    truncated = "\n".join(rows.splitlines()[:25]) + "\n"  # 24 people left out of 40
    for extra in ((), ("--dry-run",)):
        out = StringIO()
        with pytest.raises(CommandError, match=r"would deactivate 16 of the 40 active people"):
            call_command("import_people", people_file(truncated), *extra, stdout=out)
    assert "Deactivated:\n  P 24 <p24@example.com>" in out.getvalue(), "the dry run says whom"
    assert User.objects.filter(is_active=True).count() == 40
    with pytest.raises(CommandError, match="invalid percent value"):
        call_command("import_people", people_file(truncated), "--max-deactivate", "150")
    call_command(
        "import_people", people_file(truncated), "--max-deactivate", "100", stdout=StringIO()
    )
    assert User.objects.filter(is_active=True).count() == 24


def test_the_command_partial_deactivates_nobody(people_file, imported):
    call_command("import_people", people_file(csv(ANA)), "--partial", stdout=StringIO())
    assert User.objects.filter(is_active=True).count() == 3
    assert not PeopleImport.objects.exists(), "nothing changed"


# --- the admin ----------------------------------------------------------------------------


def upload(client, content: str | bytes, *, full=True, name="people.csv"):
    data = {
        "file": SimpleUploadedFile(
            name, content if isinstance(content, bytes) else content.encode()
        )
    }
    if full:
        data["full"] = "on"
    return client.post(reverse("admin:assessments_peopleimport_add"), data)


@pytest.fixture
def hr_client(client, helga):
    client.force_login(helga)
    return client


def test_hr_uploads_previews_and_confirms_an_import(hr_client, helga, imported):
    content = csv(
        "E1,ana@example.com,Ana,Silva,Support,,", BEN, "E4,dan@example.com,Dan,Lee,Ops,,"
    )
    response = upload(hr_client, content)
    stored = PeopleImport.objects.get()
    assert response.url == reverse("admin:assessments_peopleimport_preview", args=[stored.pk])
    assert stored.applied_at is None and stored.uploaded_by == helga
    assert User.objects.count() == 4, "nothing imported before confirming (3 + helga)"

    page = hr_client.get(response.url)
    text = page.content.decode()
    assert "1 person will be added" in text
    assert "Dan Lee &lt;dan@example.com&gt; (line 4): Ops" in text
    assert "1 person will change" in text
    assert "1 person will be deactivated" in text
    assert (
        "1 person from earlier imports is not in this file and will be deactivated: they "
        "keep their responses and can no longer log in." in text
    )
    assert "1 new team" in text

    digest = page.context["plan"].digest
    assert "Yes, deactivate 1 person: they can no longer log in" in text
    unticked = hr_client.post(response.url, {"digest": digest})
    assert unticked.status_code == 200 and "tick the box at the end of the page" in unticked.text
    assert "since this preview was made" not in unticked.text
    assert User.objects.get(email="cleo@example.com").is_active, "nothing applied unticked"
    assert PeopleImport.objects.get().applied_at is None

    confirmed = hr_client.post(
        response.url, {"digest": digest, "confirm_deactivations": "yes"}, follow=True
    )
    assert "Imported people.csv: 1 new, 1 changed, 0 reactivated, 1 deactivated" in (
        confirmed.content.decode()
    )
    stored.refresh_from_db()
    assert stored.applied_at and stored.summary["deactivated_people"] == [
        "Cleo Berg <cleo@example.com>"
    ]
    assert not User.objects.get(email="cleo@example.com").is_active
    assert teams_of("ana@example.com") == {"Support": "member"}


def test_an_unticked_confirmation_also_says_when_the_plan_changed(hr_client, imported):
    """The preview showed no deactivation; meanwhile one became due: say so, apply nothing."""
    response = upload(hr_client, csv(ANA, BEN, CLEO), full=True)
    digest = hr_client.get(response.url).context["plan"].digest
    make_member_of_import = csv(ANA, BEN, CLEO, "E9,zed@example.com,Zed,Z,Sales,,")
    people.import_people(content=make_member_of_import, full=False)  # Zed joins elsewhere
    page = hr_client.post(response.url, {"digest": digest})
    assert "since this preview was made" in page.text
    assert "Yes, deactivate 1 person" in page.text
    assert User.objects.get(email="zed@example.com").is_active


def test_a_stale_preview_is_shown_again_instead_of_applied(hr_client, imported):
    """Someone changed Ben by hand after the preview: the new plan is shown, not applied."""
    response = upload(hr_client, csv(ANA, BEN, "E3,cleo@example.com,Cleo,Berg,Ops,,"))
    digest = hr_client.get(response.url).context["plan"].digest
    Membership.objects.filter(user__email="ben@example.com", team__name="Support").delete()
    page = hr_client.post(response.url, {"digest": digest})
    assert page.status_code == 200
    assert "since this preview was made" in page.content.decode()
    assert PeopleImport.objects.get().applied_at is None
    assert Team.objects.filter(name="Ops").count() == 0
    assert hr_client.post(response.url, {"digest": page.context["plan"].digest}).status_code == 302
    assert teams_of("cleo@example.com") == {"Ops": "member"}


def test_a_file_with_problems_lists_them_on_the_upload_page_and_stores_nothing(hr_client):
    page = upload(hr_client, csv(ANA, "E2,ben@,,,,boss,"))
    assert page.status_code == 200
    assert page.context["errors"] == [
        "Line 3, email: “ben@” is not an e-mail address.",
        "Line 3, team: no team given; every person needs one.",
        "Line 3, role: “boss” is not a role: use member or manager (empty means member).",
    ]
    text = page.content.decode()
    assert '<ul class="errorlist" id="file-problems">' in text
    assert "<li>Line 3, email: “ben@” is not an e-mail address.</li>" in text
    assert (
        not PeopleImport.objects.exists()
        and not User.objects.filter(email="ana@example.com").exists()
    )


def test_a_file_that_is_not_utf8_is_refused_on_the_upload_page(hr_client):
    page = upload(hr_client, csv(ANA).encode("cp1252").replace(b"Silva", b"Silv\xe1"))
    assert page.status_code == 200
    assert "CSV UTF-8" in str(page.context["form"].errors["file"])
    assert not PeopleImport.objects.exists()


def test_hr_uploading_a_new_address_for_someone_with_a_password_is_refused(hr_client, imported):
    User.objects.filter(email="ana@example.com").update(password="md5$x$y")
    page = upload(hr_client, csv(ANA_MOVED), full=False)
    assert page.context["errors"] == [LOCKED]
    assert not PeopleImport.objects.exists()


def test_a_file_over_5_mb_is_refused_with_a_pointer_to_the_command(hr_client):
    """Parsing happens in the request, three times over: bigger files go to the command."""
    content = csv(ANA) + "#" * (5 * 1024 * 1024)
    page = upload(hr_client, content)
    assert page.status_code == 200
    assert page.context["form"].errors["file"] == [
        "The file is 5.0 MB, more than the 5 MB an upload may have. Import a bigger file on "
        "the server with the import_people command (python manage.py import_people FILE; "
        "see “Importing people” in the README)."
    ]
    assert not PeopleImport.objects.exists()
    assert "(at most 5 MB)" in hr_client.get(reverse("admin:assessments_peopleimport_add")).text


def test_an_applied_import_is_read_only_with_its_file(hr_client, imported):
    upload(hr_client, csv(ANA, BEN, CLEO, "E4,dan@example.com,Dan,Lee,Ops,,"))
    stored = PeopleImport.objects.get()
    preview = reverse("admin:assessments_peopleimport_preview", args=[stored.pk])
    digest = hr_client.get(preview).context["plan"].digest
    hr_client.post(preview, {"digest": digest})
    stored.refresh_from_db()
    listing = hr_client.get(reverse("admin:assessments_peopleimport_changelist")).content.decode()
    assert "1 new, 3 unchanged, 1 new team" in listing  # the counts that are not zero
    detail = hr_client.get(reverse("admin:assessments_peopleimport_change", args=[stored.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    again = hr_client.post(preview, {"digest": digest})
    assert again.status_code == 302, "applied once only"
    assert PeopleImport.objects.get().applied_at == stored.applied_at
    assert User.objects.filter(email="dan@example.com").count() == 1
    download = hr_client.get(reverse("admin:assessments_peopleimport_file", args=[stored.pk]))
    assert download.content.decode() == stored.content


def test_hr_may_discard_a_file_never_applied_but_not_an_applied_one(hr_client, imported):
    upload(hr_client, csv(ANA, BEN, CLEO, "E4,dan@example.com,Dan,Lee,Ops,,"))
    unapplied = PeopleImport.objects.get()
    preview = hr_client.get(reverse("admin:assessments_peopleimport_preview", args=[unapplied.pk]))
    delete_url = reverse("admin:assessments_peopleimport_delete", args=[unapplied.pk])
    assert f'href="{delete_url}"' in preview.text and "Discard this file" in preview.text
    assert hr_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not PeopleImport.objects.exists()
    assert not User.objects.filter(email="dan@example.com").exists(), "nothing applied"

    applied = PeopleImport.objects.create(
        filename="old.csv", content=csv(ANA), applied_at=timezone.now()
    )
    assert (
        hr_client.get(
            reverse("admin:assessments_peopleimport_delete", args=[applied.pk])
        ).status_code
        == 403
    )
    assert PeopleImport.objects.filter(pk=applied.pk).exists()


def test_a_discard_never_deletes_an_import_applied_meanwhile(hr_client, imported):
    """The discard page was opened before the import was applied elsewhere."""
    from assessments.admin_people import PeopleImportAdmin

    upload(hr_client, csv(ANA, BEN, CLEO, "E4,dan@example.com,Dan,Lee,Ops,,"))
    stored = PeopleImport.objects.get()
    opened_before = PeopleImport.objects.get(pk=stored.pk)  # read while not yet applied
    people.apply_people_import(people_import=stored)
    PeopleImportAdmin(PeopleImport, None).delete_model(None, opened_before)
    PeopleImportAdmin(PeopleImport, None).delete_queryset(None, PeopleImport.objects.all())
    assert PeopleImport.objects.get().applied_at is not None
    # What the delete page then says: kept, not "deleted successfully".
    request = RequestFactory().post("/")
    request.user, request._messages = None, CookieStorage(request)
    admin_ = PeopleImportAdmin(PeopleImport, None)
    response = admin_.response_delete(request, "people.csv", stored.pk)
    assert response.status_code == 302
    assert [str(m) for m in request._messages] == [
        "people.csv was applied meanwhile, so it was kept: an applied import is the record "
        "of who was changed."
    ]


def test_previews_nobody_applied_are_dropped_after_a_day(hr_client, imported):
    old = PeopleImport.objects.create(filename="old.csv", content=csv(ANA))
    PeopleImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    PeopleImport.objects.create(filename="recent.csv", content=csv(ANA))
    kept = PeopleImport.objects.create(
        filename="applied.csv", content=csv(ANA), applied_at=timezone.now()
    )
    PeopleImport.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=30))
    upload(hr_client, csv(ANA, BEN, CLEO, "E4,dan@example.com,Dan,Lee,Ops,,"))
    names = set(PeopleImport.objects.values_list("filename", flat=True))
    assert names == {"recent.csv", "applied.csv", "people.csv"}


def test_a_plain_employee_cannot_open_the_import(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:assessments_peopleimport_add"))
    assert response.status_code == 302 and "/login/" in response.url


def test_staff_without_the_import_permission_are_refused(client):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(reverse("admin:assessments_peopleimport_add")).status_code == 403
    stored = PeopleImport.objects.create(filename="x.csv", content=csv(ANA))
    url = reverse("admin:assessments_peopleimport_preview", args=[stored.pk])
    assert client.post(url, {"digest": "x"}).status_code == 403
    assert not User.objects.filter(email="ana@example.com").exists()


def test_hr_may_read_the_employee_records(hr_client, imported):
    page = hr_client.get(reverse("admin:assessments_employee_changelist"))
    assert page.status_code == 200 and "Ana Silva &lt;ana@example.com&gt;" in page.content.decode()
    employee = Employee.objects.get(employee_id="E2")
    detail = hr_client.get(reverse("admin:assessments_employee_change", args=[employee.pk]))
    assert "Sales, Support" in detail.content.decode()


def test_the_upload_form_says_the_file_lists_everyone_by_default(hr_client):
    page = hr_client.get(reverse("admin:assessments_peopleimport_add"))
    text = page.content.decode()
    assert 'name="full"' in text and "checked" in text
    assert "This file lists everyone" in text
    assert "they keep their responses and can no longer log in" in text


def test_demo_people_come_from_the_demo_file_with_their_logins(demo):
    """seed_demo imports assessments/data/demo_people.csv; the log-ins stay the same."""
    maria = User.objects.get(username="maria")
    assert maria.check_password("lvm-demo-2026")
    assert maria.employee.employee_id
    assert Employee.objects.count() == 37
    emails = [e.lower() for e in User.objects.values_list("email", flat=True)]
    assert len(emails) == len(set(emails))
    content = DEMO_PEOPLE.read_text(encoding="utf-8")
    assert not people.plan_people(content=content, full=True).has_changes
