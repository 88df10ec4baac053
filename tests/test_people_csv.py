"""Reading a people file: the format, and every problem found within the file itself.

No database: ``assessments.people_csv`` is plain text in, rows and problems out.
"""

import pytest
from django.contrib.auth import get_user_model

from assessments import people_csv
from assessments.models import Employee, Team
from assessments.people_csv import PeopleFileError, Row, decode, parse

HEADER = "employee_id,email,first_name,last_name,team,role,extra_teams\n"


def problems(text: str) -> list[str]:
    return [str(problem) for problem in parse(text).problems]


def test_a_plain_file_gives_one_row_per_person_with_their_teams():
    """The main team comes first; extra teams carry their own role."""
    text = HEADER + "E1,ana@example.com,Ana,Silva,Sales,Manager,Support|Ops:manager\n"
    assert parse(text).rows == (
        Row(
            line=2,
            email="ana@example.com",
            teams=(("Sales", "manager"), ("Support", "member"), ("Ops", "manager")),
            employee_id="E1",
            first_name="Ana",
            last_name="Silva",
        ),
    )


def test_headers_are_matched_ignoring_case_spaces_and_hyphens_and_unknown_columns_ignored():
    """An HR export's "Employee ID", "E-mail" and "Extra-Teams" are understood; the rest
    of its many columns are left alone."""
    text = (
        "Cost centre,Employee ID,E-mail,First Name,TEAM,Extra-Teams,Hire date\n"
        "4711,E1,ana@example.com,Ana,Sales,Ops,2020-01-01\n"
    )
    (row,) = parse(text).rows
    assert (row.employee_id, row.email, row.first_name) == ("E1", "ana@example.com", "Ana")
    assert row.teams == (("Sales", "member"), ("Ops", "member"))
    assert row.last_name is None, "no column: the account's name is kept"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolons_and_tabs_are_accepted(delimiter):
    """Excel in many European locales separates with semicolons."""
    text = f"email{delimiter}team\nana@example.com{delimiter}Sales, Europe\n"
    assert parse(text).rows[0].teams == (("Sales, Europe", "member"),)


def test_utf8_with_a_byte_order_mark_is_accepted():
    """Excel's "CSV UTF-8" starts with a byte order mark, which must not spoil the header."""
    text = decode("\ufeffemail,team,first_name\nzoe@example.com,Sales,Zoë\n".encode())
    (row,) = parse(text).rows
    assert row.first_name == "Zoë"


def test_a_latin_1_file_is_refused_with_how_to_save_it_as_utf8():
    with pytest.raises(PeopleFileError, match="line 2, character 3 is not UTF-8.*CSV UTF-8"):
        decode("email,team\nzoë@example.com,Sales\n".encode("latin-1"))


def test_the_place_that_is_not_utf8_is_found_after_a_byte_order_mark_too():
    with pytest.raises(PeopleFileError, match="line 2, character 3 is not UTF-8"):
        decode(b"\xef\xbb\xbfemail,team\r\nzo\xeb@example.com,Sales\r\n")


def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv():
    with pytest.raises(PeopleFileError, match="Excel workbook.*CSV UTF-8"):
        decode(b"PK\x03\x04\x14\x00\x06\x00" + bytes(100))


def test_utf16_without_a_byte_order_mark_is_refused():
    """It decodes as UTF-8, with a NUL between the letters."""
    with pytest.raises(PeopleFileError, match="UTF-16"):
        decode("email,team\n".encode("utf-16-le"))


def test_a_missing_required_column_is_named():
    assert problems("email,name\nana@example.com,Ana\n") == [
        "Line 1: The header has no “team” column (it has “email”, “name”). The first row "
        "must name the columns; LVM needs at least email and team."
    ]


def test_an_empty_file_and_a_file_with_nobody_are_problems():
    """A full import of nobody would deactivate everyone."""
    assert problems("") == ["The file is empty."]
    assert problems("email,team\n\n") == ["The file has a header row but nobody in it."]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("E1,bob@,Sales,,", "Line 2, email: “bob@” is not an e-mail address."),
        ("E1,,Sales,,", "Line 2, email: no e-mail address given; every person needs one."),
        ("E1,bob@example.com,  ,,", "Line 2, team: no team given; every person needs one."),
        (
            "E1,bob@example.com,Sales,boss,",
            "Line 2, role: “boss” is not a role: use member or manager (empty means member).",
        ),
        (
            "E1,bob@example.com,Sales,,Support|sales:manager",
            "Line 2, extra_teams: lists “sales” twice for this person: a person is in a team "
            "once, as a member or as a manager.",
        ),
        (
            "E1,bob@example.com,Sales,,Support||Ops",
            "Line 2, extra_teams: team 2 of “Support||Ops” has no name.",
        ),
        (
            f"{'9' * 65},bob@example.com,Sales,,",
            "Line 2, employee_id: 65 characters is too long; at most 64 fit.",
        ),
        (
            "E1,bob@example.com,\u202elivE,,",  # shows as "Evil" the wrong way round
            "Line 2, team: contains an invisible control character (U+202E), which would "
            "make the name show differently from what it is.",
        ),
        (
            "E1,bob@example.com,Sales,,Ops\x07",
            "Line 2, extra_teams: contains an invisible control character (U+0007), which "
            "would make the name show differently from what it is.",
        ),
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_column(row, expected):
    assert problems(f"employee_id,email,team,role,extra_teams\n{row}\n") == [expected]


def test_an_employee_id_or_address_twice_in_the_file_is_a_problem_on_the_later_line():
    """Addresses are compared ignoring case, as accounts are."""
    text = (
        "employee_id,email,team\n"
        "E1,ana@example.com,Sales\n"
        "E1,bea@example.com,Sales\n"
        "E3,ANA@example.com,Sales\n"
    )
    assert problems(text) == [
        "Line 3, employee_id: “E1” is also on line 2.",
        "Line 4, email: “ANA@example.com” is also on line 2 (addresses are compared "
        "ignoring case).",
    ]
    assert [row.line for row in parse(text).rows] == [2]


def test_every_problem_of_the_file_is_listed_not_just_the_first():
    text = "email,team,role\nbob@,,boss\nok@example.com,Sales,\nzed@,Sales,\n"
    assert [p.split(":")[0] for p in problems(text)] == [
        "Line 2, email",
        "Line 2, team",
        "Line 2, role",
        "Line 4, email",
    ]


def test_line_numbers_count_blank_lines_and_values_spanning_lines():
    """The line is where the row starts in the file, as a text editor shows it."""
    text = 'email,team\n\n"ana@example.com","Sales\nEurope"\nbob@,Sales\n'
    assert parse(text).rows[0].line == 3
    assert problems(text) == ["Line 5, email: “bob@” is not an e-mail address."]


def test_team_names_are_trimmed_and_compared_ignoring_case():
    assert people_csv.team_name("  Sales   Europe ") == "Sales Europe"
    assert people_csv.team_key("sales europe") == people_csv.team_key(" Sales  Europe")


def test_a_username_must_be_one_django_accepts():
    text = "email,team,username\nana@example.com,Sales,ana silva\n"
    assert problems(text) == [
        "Line 2, username: “ana silva” is not a valid user name: use letters, digits and "
        "@ . + - _ only."
    ]


def test_the_length_limits_are_those_of_the_columns():
    """people_csv repeats the models' lengths so as not to import them; they must agree."""
    User = get_user_model()
    lengths = {
        "employee_id": Employee._meta.get_field("employee_id").max_length,
        "email": User._meta.get_field("email").max_length,
        "first_name": User._meta.get_field("first_name").max_length,
        "last_name": User._meta.get_field("last_name").max_length,
        "username": User._meta.get_field("username").max_length,
        "team": Team._meta.get_field("name").max_length,
    }
    assert lengths == people_csv.MAX_LENGTHS


@pytest.mark.parametrize(
    ("extra", "teams"),
    [
        ("Ops:manager", (("Ops", "manager"),)),
        ("Ops : MANAGER ", (("Ops", "manager"),)),
        ("Ops:Member", (("Ops", "member"),)),
        ("R&D: Platform", (("R&D: Platform", "member"),)),
        ("R&D: Platform:manager", (("R&D: Platform", "manager"),)),
        ("Support:lead", (("Support:lead", "member"),)),
        ("EMEA:Sales|Ops:manager", (("EMEA:Sales", "member"), ("Ops", "manager"))),
    ],
)
def test_only_a_final_role_is_read_from_an_extra_team_and_other_colons_are_its_name(extra, teams):
    """A team may have a colon in its name; only ":manager" or ":member" at the end is
    a role, in any capitals and with spaces around it."""
    text = f"email,team,extra_teams\nana@example.com,Sales,{extra}\n"
    (row,) = parse(text).rows
    assert row.teams == (("Sales", "member"), *teams)


def test_an_extra_team_that_is_only_a_role_has_no_name():
    text = "email,team,extra_teams\nana@example.com,Sales,Ops|:manager\n"
    assert problems(text) == ["Line 2, extra_teams: team 2 of “Ops|:manager” has no name."]


def test_a_row_with_more_fields_than_the_header_is_refused():
    """An unquoted comma in "Doe, Jr." would put every later value in the wrong column."""
    text = (
        HEADER
        + "E1,ana@example.com,Ana,Silva,Sales,,\n"
        + "E2,john@example.com,John,Doe, Jr.,Sales,,\n"
        + 'E3,jane@example.com,Jane,"Doe, Jr.",Sales,,\n'
    )
    assert problems(text) == [
        "Line 3: 8 fields where the header has 7; a value with a comma (or the separator) "
        "in it must be in double quotes."
    ]
    assert [row.last_name for row in parse(text).rows] == ["Silva", "Doe, Jr."]


def test_the_field_count_message_holds_for_other_separators():
    text = "email;team\nana@example.com;Sales;Europe\n"
    assert problems(text) == [
        "Line 2: 3 fields where the header has 2; a value with a comma (or the separator) "
        "in it must be in double quotes."
    ]


def test_a_row_may_leave_out_optional_columns_at_its_end():
    """Read as empty, as a spreadsheet would have written them."""
    text = HEADER + "E1,ana@example.com,Ana,Silva,Sales\n"
    (row,) = parse(text).rows
    assert row.teams == (("Sales", "member"),) and row.last_name == "Silva"


def test_a_row_that_ends_before_a_required_column_is_refused():
    text = HEADER + "E1,ana@example.com,Ana\n" + "E2\n"
    assert problems(text) == [
        "Line 2: 3 fields where the header has 7, so there is no “team”; only optional "
        "columns at the end of a row may be left out.",
        "Line 3: 1 field where the header has 7, so there is no “email” and no “team”; "
        "only optional columns at the end of a row may be left out.",
    ]


def test_names_in_scripts_that_need_joiners_or_direction_marks_are_accepted():
    """Zero-width joiners (Persian, Indic names) and direction marks are part of names."""
    names = "first_name,email,team\nمی\u200cخواهم,sara@example.com,\u200fفروش\n"
    assert problems(names) == []
