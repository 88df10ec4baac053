"""Reading a people file: the CSV an HR system exports, checked row by row and across rows.

Pure: text in, plain values and problems out, no database. What needs the database (who
already has an address or a user name, which teams exist) is checked by
``services.people``. The format:

- a header row naming the columns, in any order and case, spaces and hyphens read as
  underscores ("Employee ID" is ``employee_id``); columns LVM does not know are ignored,
  since HR exports carry many;
- ``email`` and ``team`` are required; ``employee_id``, ``first_name``, ``last_name``,
  ``role`` (``member`` or ``manager``, empty for member: the role in ``team``),
  ``extra_teams`` (more teams, separated by ``|``, each perhaps ending in ``:manager`` or
  ``:member``; any other colon is part of the team's name) and ``username`` are optional;
- UTF-8 with or without a byte order mark, separated by commas, semicolons or tabs (the
  header line says which);
- every row has as many fields as the header, or fewer when only optional or unknown
  columns are left out at the end (they read as empty). More fields than the header
  almost always mean a value with the separator in it that is not in double quotes
  ("Doe, Jr."), which would shift the values after it into the wrong columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

REQUIRED = ("email", "team")
OPTIONAL = ("employee_id", "first_name", "last_name", "role", "extra_teams", "username")
MEMBER, MANAGER = "member", "manager"
ROLES = (MEMBER, MANAGER)
DELIMITERS = (",", ";", "\t")
TEAM_SEPARATOR = "|"
# A role at the end of an extra team ("Ops:manager", "Ops : Member"); any other colon is
# part of the name, as in "R&D: Platform".
ROLE_SUFFIX = re.compile(r"(.*?)\s*:\s*(manager|member)\s*", re.IGNORECASE | re.DOTALL)
# Other names HR systems give the address column.
ALIASES = {"e_mail": "email", "email_address": "email", "e_mail_address": "email"}
# The lengths of the columns these values go to (Employee, Team and Django's User), kept
# here so that this module needs no models; tests/test_people_csv.py checks they agree.
MAX_LENGTHS = {
    "employee_id": 64,
    "email": 254,
    "first_name": 150,
    "last_name": 150,
    "username": 150,
    "team": 120,
}
# Django's own rule for user names (UnicodeUsernameValidator).
USERNAME = re.compile(r"^[\w.@+-]+\Z")

SAVE_AS_CSV = (
    "Save it as CSV in UTF-8: in Excel, File › Save As › “CSV UTF-8 (Comma delimited)”; "
    "in LibreOffice Calc, File › Save As › “Text CSV”, with the character set "
    "“Unicode (UTF-8)”; in Numbers, File › Export To › CSV, with Unicode (UTF-8)."
)


class PeopleFileError(Exception):
    """The file is not text LVM can read (an Excel workbook, say, or not UTF-8)."""


@dataclass(frozen=True)
class Problem:
    """Why the file cannot be imported, at a line and column where there is one."""

    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (f"Line {self.line}" if self.line else "", self.column or "") if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Row:
    """One person as the file describes them; ``None`` for a column the file does not have."""

    line: int
    email: str
    teams: tuple[tuple[str, str], ...]  # (team name, role), the main team first
    employee_id: str = ""
    first_name: str | None = None
    last_name: str | None = None
    username: str = ""  # "": the account's own, or the lower-cased e-mail for a new one


@dataclass(frozen=True)
class PeopleFile:
    """The rows that passed every check here, and the problems of the others."""

    rows: tuple[Row, ...]
    problems: tuple[Problem, ...]
    people: int = 0  # rows of people in the file, good or not


# Bidirectional embeddings, overrides and isolates: in a name they can make it read as
# another (U+202E turns the rest around). Marks that only set a direction (U+200E, U+200F)
# and the joiners that some scripts' names need are allowed.
HIDDEN_CHARACTERS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _hidden(character: str) -> bool:
    """A control character other than white space (which names are trimmed of), or a
    direction override: nothing a name needs, and a way to make one pass for another."""
    if character in HIDDEN_CHARACTERS:
        return True
    return unicodedata.category(character) == "Cc" and not character.isspace()


def decode(content: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark."""
    if content.startswith(b"PK\x03\x04") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise PeopleFileError(f"This is an Excel workbook, not a CSV file. {SAVE_AS_CSV}")
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts the file with a byte order mark.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # utf-8-sig counts from after the byte order mark.
        before = content.removeprefix(codecs.BOM_UTF8)[: exc.start]
        line = before.count(b"\n") + 1
        # The character's place on its line, counting what decodes before it.
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise PeopleFileError(
            f"The file is not UTF-8 text: line {line}, character {column} is not UTF-8 "
            f"(perhaps it was saved as “CSV (Comma delimited)”, which uses another "
            f"encoding). {SAVE_AS_CSV}"
        ) from exc
    if "\x00" in text:  # UTF-16 without a byte order mark decodes, with a NUL every other byte
        raise PeopleFileError(f"The file is not UTF-8 text (it looks like UTF-16). {SAVE_AS_CSV}")
    return text


def column_name(heading: str) -> str:
    """A header's column name: "Employee ID" and "employee-id" are ``employee_id``."""
    name = re.sub(r"[\s-]+", "_", heading.strip().lower())
    return ALIASES.get(name, name)


def team_name(name: str) -> str:
    """A team's name as stored: spaces trimmed and runs of spaces made one."""
    return " ".join(name.split())


def team_key(name: str) -> str:
    """What two spellings of one team share: "Sales " and "sales" are the same team."""
    return team_name(name).casefold()


def sniff_delimiter(header: str) -> str:
    """The delimiter of the header line: whichever of comma, semicolon or tab it has most."""
    return max(DELIMITERS, key=header.count)


def parse(text: str) -> PeopleFile:
    """The people in a file's text, each row checked, and the file checked across rows."""
    text = text.removeprefix("\ufeff")
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    if not header_line:
        return PeopleFile((), (Problem("The file is empty."),))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header_line))
    header: list[str] = []
    for fields in reader:
        if any(field.strip() for field in fields):
            header = fields
            break
    columns, problems = _columns(header, line=reader.line_num)
    if problems:
        return PeopleFile((), tuple(problems))

    rows: list[Row] = []
    people = 0
    seen: dict[str, dict[str, int]] = {"employee_id": {}, "email": {}}
    read_to = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"cannot be read as CSV ({exc}).", line=reader.line_num))
            break
        line, read_to = read_to + 1, reader.line_num  # a quoted value may span lines
        if not any(field.strip() for field in fields):
            continue
        people += 1
        miscounted = _field_count_problem(fields, header, columns, line=line)
        if miscounted is not None:
            # The values cannot be trusted to be in their columns: nothing else is checked.
            problems.append(miscounted)
            continue
        values = {
            name: fields[index].strip() if index < len(fields) else ""
            for name, index in columns.items()
        }
        row, row_problems = _row(values, line=line, seen=seen)
        problems += row_problems
        if row is not None:
            rows.append(row)
    if not people and not problems:
        problems.append(Problem("The file has a header row but nobody in it."))
    return PeopleFile(tuple(rows), tuple(problems), people)


def _columns(header: list[str], *, line: int) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column is, and what is wrong with the header."""
    columns: dict[str, int] = {}
    problems = []
    for index, heading in enumerate(header):
        name = column_name(heading)
        if name not in REQUIRED + OPTIONAL:
            continue
        if name in columns:
            problems.append(Problem(f"The header names the column “{name}” twice.", line=line))
        columns[name] = index
    found = ", ".join(f"“{heading.strip()}”" for heading in header)
    if len(found) > 200:
        found = found[:200] + "…"
    for name in REQUIRED:
        if name not in columns:
            problems.append(
                Problem(
                    f"The header has no “{name}” column (it has {found or 'nothing'}). The "
                    f"first row must name the columns; LVM needs at least "
                    f"{' and '.join(REQUIRED)}.",
                    line=line,
                )
            )
    return columns, problems


def _field_count_problem(
    fields: list[str], header: list[str], columns: dict[str, int], *, line: int
) -> Problem | None:
    """Why a row's fields do not line up with the header's columns, if they do not.

    A shorter row is read as if its missing fields were empty, unless a required column
    is among them: spreadsheets write every field, so such a row was cut short or lost a
    separator, and its values may well be in the wrong columns.
    """
    if len(fields) > len(header):
        return Problem(
            f"{len(fields)} fields where the header has {len(header)}; a value with a comma "
            "(or the separator) in it must be in double quotes.",
            line=line,
        )
    missing = [name for name in REQUIRED if columns[name] >= len(fields)]
    if missing:
        return Problem(
            f"{len(fields)} field{'s' if len(fields) != 1 else ''} where the header has "
            f"{len(header)}, so there is no {' and no '.join(f'“{m}”' for m in missing)}; "
            "only optional columns at the end of a row may be left out.",
            line=line,
        )
    return None


def _row(
    values: dict[str, str], *, line: int, seen: dict[str, dict[str, int]]
) -> tuple[Row | None, list[Problem]]:
    """One person, or None and why not; ``seen`` remembers ids and addresses across rows."""
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(message, line=line, column=column))

    for column, limit in MAX_LENGTHS.items():
        if len(values.get(column, "")) > limit:
            problem(column, f"{len(values[column])} characters is too long; at most {limit} fit.")

    for column, value in values.items():
        hidden = next((c for c in value if _hidden(c)), None)
        if hidden is not None:
            problem(
                column,
                f"contains an invisible control character (U+{ord(hidden):04X}), which would "
                "make the name show differently from what it is.",
            )

    email = values["email"]
    if not email:
        problem("email", "no e-mail address given; every person needs one.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", f"“{email}” is not an e-mail address.")

    username = values.get("username", "")
    if username and not USERNAME.match(username):
        problem(
            "username",
            f"“{username}” is not a valid user name: use letters, digits and @ . + - _ only.",
        )

    teams = _teams(values, problem)

    for column, key in (
        ("employee_id", values.get("employee_id", "")),
        ("email", email.lower()),
    ):
        if not key:
            continue
        first = seen[column].setdefault(key, line)
        if first != line:
            shown = values[column]
            ignoring_case = " (addresses are compared ignoring case)" if column == "email" else ""
            problem(column, f"“{shown}” is also on line {first}{ignoring_case}.")

    if problems:
        return None, problems
    return (
        Row(
            line=line,
            email=email,
            teams=teams,
            employee_id=values.get("employee_id", ""),
            first_name=values.get("first_name"),
            last_name=values.get("last_name"),
            username=username,
        ),
        [],
    )


def _role(text: str) -> str | None:
    """The role a cell names (empty is member), or None for anything else."""
    role = text.strip().lower() or MEMBER
    return role if role in ROLES else None


def _extra_team(piece: str) -> tuple[str, str]:
    """An extra team's name and role: "Ops:manager" is Ops as a manager, "R&D: Web" the
    team of that name as a member."""
    suffixed = ROLE_SUFFIX.fullmatch(piece)
    if suffixed is None:
        return team_name(piece), MEMBER
    return team_name(suffixed[1]), suffixed[2].lower()


def _teams(values: dict[str, str], problem) -> tuple[tuple[str, str], ...]:
    """The person's (team, role) pairs, main team first; problems go to ``problem``."""
    teams: list[tuple[str, str]] = []
    main = team_name(values["team"])
    if not main:
        problem("team", "no team given; every person needs one.")
    role = _role(values.get("role", ""))
    if role is None:
        problem(
            "role",
            f"“{values['role']}” is not a role: use member or manager (empty means member).",
        )
    if main and role:
        teams.append((main, role))

    extra = values.get("extra_teams", "")
    if extra:
        for n, piece in enumerate(extra.split(TEAM_SEPARATOR), start=1):
            name, extra_role = _extra_team(piece)
            if not name:
                problem("extra_teams", f"team {n} of “{extra}” has no name.")
            elif len(name) > MAX_LENGTHS["team"]:
                problem(
                    "extra_teams",
                    f"the team name “{name[:30]}…” is {len(name)} characters long; at "
                    f"most {MAX_LENGTHS['team']} fit.",
                )
            else:
                teams.append((name, extra_role))

    keys: set[str] = set()
    for name, _ in teams:
        if team_key(name) in keys:
            problem(
                "extra_teams",
                f"lists “{name}” twice for this person: a person is in a team once, "
                "as a member or as a manager.",
            )
        keys.add(team_key(name))
    return tuple(teams)
