"""Questionnaires: files in and out, and copying a version to change its wording.

A questionnaire file is the JSON of ``data/default_questionnaire.json``: the name, version,
description, the scale (one label per point, 1 to n) and the dimensions in the order they
are shown, each with its questions in order. A question switched off in the admin is
kept, marked ``"active": false``, so that export then import gives the same questionnaire.

Once a version has answers its wording is frozen (the admin enforces it); every write
here makes a new version instead of touching an existing one.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.db.models import Max, Prefetch

from ..models import (
    MAX_SCALE_POINTS,
    MIN_SCALE_POINTS,
    Axis,
    Dimension,
    Question,
    Questionnaire,
    ScaleLabel,
)

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "default_questionnaire.json"

REQUIRED_KEYS = ("name", "version", "scale", "dimensions")
OPTIONAL_KEYS = ("description",)
DIMENSION_KEYS = (
    "code",
    "axis",
    "name",
    "description",
    "development_tip",
    "team_tip",
    "questions",
)
QUESTION_KEYS = ("text", "reverse_keyed", "active")
# Orders are stored in steps of 10 in small integer columns (at most 32767).
MAX_QUESTIONS = 1000
# Past this many, a list of problems helps nobody: the file is not a questionnaire.
MAX_PROBLEMS = 50


class QuestionnaireFileError(Exception):
    """The file could not be read or does not describe a questionnaire.

    ``problems`` lists every problem found, each a sentence in plain words.
    """

    def __init__(self, problems: str | list[str], *, source: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = where + self.problems[0]
        else:
            listed = "\n".join(f"- {problem}" for problem in self.problems)
            message = f"{where}{len(self.problems)} problems:\n{listed}"
        super().__init__(message)


# --- reading and checking a file --------------------------------------------------------


def parse_questionnaire_json(content: bytes | str, *, source: str = "") -> dict:
    """The questionnaire in a file's content (UTF-8 JSON), checked by validation."""
    where = source or "the file"
    if isinstance(content, bytes):
        try:
            # utf-8-sig: editors on Windows like to start a UTF-8 file with a BOM.
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise QuestionnaireFileError(
                f"Cannot read {where}: it is not UTF-8 text (byte {exc.start + 1})."
            ) from exc
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise QuestionnaireFileError(
            f"Cannot read {where}: it is not valid JSON "
            f"({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from exc
    except RecursionError as exc:
        raise QuestionnaireFileError(f"Cannot read {where}: it is nested too deeply.") from exc
    except ValueError as exc:  # e.g. a number of more than 4,300 digits
        raise QuestionnaireFileError(f"Cannot read {where}: {exc}.") from exc
    problems = validate_questionnaire_data(data)
    if problems:
        raise QuestionnaireFileError(problems, source=source)
    return data


def read_questionnaire_file(path: Path) -> dict:
    """The questionnaire described by a JSON file, checked by validation."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise QuestionnaireFileError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return parse_questionnaire_json(content, source=str(path))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_problem(value, *, what: str, max_length: int | None = None, required=True) -> str | None:
    """Why ``value`` is not acceptable text for ``what``, or None."""
    if not isinstance(value, str):
        return f"{what} must be text in quotes."
    if required and not value.strip():
        return f"{what} is empty."
    if max_length and len(value) > max_length:
        return f"{what} is {len(value)} characters long; at most {max_length} fit."
    return None


def _unknown_keys(item: dict, known, *, where: str) -> list[str]:
    unknown = [key for key in item if key not in known]
    if not unknown:
        return []
    allowed = ", ".join(f'"{k}"' for k in known)
    names = ", ".join(f'"{k}"' for k in unknown)
    keys = "keys" if len(unknown) > 1 else "key"
    return [f"{where} has the unknown {keys} {names} (allowed: {allowed})."]


def _scale_problems(scale) -> list[str]:
    if not isinstance(scale, list):
        return ['"scale" must be a list of points, each like {"value": 1, "label": "Disagree"}.']
    problems = []
    points = len(scale)
    if not MIN_SCALE_POINTS <= points <= MAX_SCALE_POINTS:
        problems.append(
            f"The scale has {points} point{'s' if points != 1 else ''}; "
            f"it needs {MIN_SCALE_POINTS} to {MAX_SCALE_POINTS}."
        )
    values = []
    for n, point in enumerate(scale, start=1):
        where = f"Scale point {n}"
        if not isinstance(point, dict):
            problems.append(f'{where} must be an object like {{"value": {n}, "label": "…"}}.')
            continue
        problems += _unknown_keys(point, ("value", "label"), where=where)
        value = point.get("value")
        if not _is_int(value):
            problems.append(f"{where} has no whole-number value.")
        else:
            values.append(value)
        problem = _text_problem(point.get("label"), what=f"{where}'s label", max_length=60)
        if problem:
            problems.append(problem)
    expected = list(range(1, points + 1))
    if len(values) == points and sorted(values) != expected:
        found = ", ".join(str(v) for v in values)
        problems.append(
            f"The scale's values must be 1 to {points}, each once, to match its {points} "
            f"points; the file has {found}."
        )
    return problems


def _question_problems(items, *, where: str, seen_texts: dict[str, str]) -> list[str]:
    """The problems of one dimension's questions; ``seen_texts`` spans the whole file."""
    if not isinstance(items, list):
        return [f"{where}: questions must be a list."]
    if not items:
        return [f"{where} has no questions; every dimension needs at least one."]
    problems = []
    for i, item in enumerate(items, start=1):
        at = f"{where}, question {i}"
        if not isinstance(item, dict):
            problems.append(f'{at} must be an object like {{"text": "…"}}.')
            continue
        problems += _unknown_keys(item, QUESTION_KEYS, where=at)
        text = item.get("text")
        problem = _text_problem(text, what=f"{at}'s text")
        if problem:
            problems.append(problem if "text" in item else f"{at} has no text.")
        elif text.strip() in seen_texts:
            problems.append(f"{at} has the same text as {seen_texts[text.strip()]}.")
        else:
            seen_texts[text.strip()] = at[0].lower() + at[1:]
        for key in ("reverse_keyed", "active"):
            if key in item and not isinstance(item[key], bool):
                problems.append(f"{at}: {key} must be true or false.")
    return problems


def _dimension_problems(dimensions) -> list[str]:
    if not isinstance(dimensions, list) or not dimensions:
        return ['"dimensions" must be a list with at least one dimension.']
    problems = []
    seen_codes: dict[str, int] = {}
    seen_texts: dict[str, str] = {}
    axes = set()
    for n, dim in enumerate(dimensions, start=1):
        if not isinstance(dim, dict):
            problems.append(f"Dimension {n} must be an object with a code, axis, name, questions.")
            continue
        code = dim.get("code")
        where = f'Dimension {n} ("{code}")' if isinstance(code, str) and code else f"Dimension {n}"
        problems += _unknown_keys(dim, DIMENSION_KEYS, where=where)
        missing = [k for k in ("code", "axis", "name", "questions") if k not in dim]
        if missing:
            problems.append(f"{where} has no {', '.join(missing)}.")
        if "code" in dim:
            problem = _text_problem(code, what=f"{where}'s code", max_length=50)
            if problem:
                problems.append(problem)
            elif not code.isascii() or not code.replace("-", "").replace("_", "").isalnum():
                problems.append(f'{where}: a code has only letters, digits, "-" and "_".')
            elif code in seen_codes:
                problems.append(
                    f'Two dimensions have the code "{code}" (dimensions {seen_codes[code]} and '
                    f"{n}); each code must be different."
                )
            else:
                seen_codes[code] = n
        if "name" in dim:
            problem = _text_problem(dim["name"], what=f"{where}'s name", max_length=100)
            if problem:
                problems.append(problem)
        if "axis" in dim:
            if isinstance(dim["axis"], str) and dim["axis"] in Axis.values:
                axes.add(dim["axis"])
            else:
                allowed = " or ".join(f'"{a}"' for a in Axis.values)
                problems.append(f"{where} has the axis {json.dumps(dim['axis'])}; use {allowed}.")
        for key in ("description", "development_tip", "team_tip"):
            if key in dim:
                problem = _text_problem(dim[key], what=f"{where}'s {key}", required=False)
                if problem:
                    problems.append(problem)
        if "questions" in dim:
            problems += _question_problems(dim["questions"], where=where, seen_texts=seen_texts)
    for axis in Axis:
        if axis.value not in axes:
            problems.append(
                f"No dimension is on the {axis.label.lower()} axis; a questionnaire needs at "
                f'least one dimension with "axis": "{axis.value}".'
            )
    questions = sum(
        len(d["questions"])
        for d in dimensions
        if isinstance(d, dict) and isinstance(d.get("questions"), list)
    )
    if questions > MAX_QUESTIONS:
        problems.append(f"The file has {questions} questions; at most {MAX_QUESTIONS} fit.")
    return problems


def validate_questionnaire_data(data) -> list[str]:
    """Every reason ``data`` is not a questionnaire we can load, in plain words."""
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a text", bool: "true or false"}.get(type(data), "a number")
        if data is None:
            kind = "null"
        return [f"The file must hold one JSON object (in braces {{…}}); it holds {kind}."]
    problems = []
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        problems.append(f"The file has no {', '.join(missing)}.")
    problems += _unknown_keys(data, REQUIRED_KEYS + OPTIONAL_KEYS, where="The file")
    if "name" in data:
        problem = _text_problem(data["name"], what="The name", max_length=200)
        if problem:
            problems.append(problem)
    if "version" in data and not (_is_int(data["version"]) and 1 <= data["version"] <= 32767):
        problems.append("The version must be a whole number from 1 to 32767.")
    if "description" in data:
        problem = _text_problem(data["description"], what="The description", required=False)
        if problem:
            problems.append(problem)
    if "scale" in data:
        problems += _scale_problems(data["scale"])
    if "dimensions" in data:
        problems += _dimension_problems(data["dimensions"])
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [f"…and {more} more problems."]
    return problems


def _check(data) -> None:
    problems = validate_questionnaire_data(data)
    if problems:
        raise QuestionnaireFileError(problems)


# --- writing ----------------------------------------------------------------------------


def _create(data: dict, *, version: int) -> Questionnaire:
    """The questionnaire in (validated) ``data``, saved as ``version`` of its name."""
    questionnaire = Questionnaire.objects.create(
        name=data["name"],
        version=version,
        description=data.get("description", ""),
        scale_points=len(data["scale"]),
    )
    ScaleLabel.objects.bulk_create(
        ScaleLabel(questionnaire=questionnaire, value=point["value"], label=point["label"])
        for point in sorted(data["scale"], key=lambda point: point["value"])
    )
    order = 0
    for dim_order, dim in enumerate(data["dimensions"], start=1):
        dimension = Dimension.objects.create(
            questionnaire=questionnaire,
            code=dim["code"],
            name=dim["name"],
            axis=dim["axis"],
            description=dim.get("description", ""),
            development_tip=dim.get("development_tip", ""),
            team_tip=dim.get("team_tip", ""),
            order=dim_order * 10,
        )
        questions = []
        for item in dim["questions"]:
            order += 10
            questions.append(
                Question(
                    questionnaire=questionnaire,
                    dimension=dimension,
                    text=item["text"],
                    reverse_keyed=item.get("reverse_keyed", False),
                    is_active=item.get("active", True),
                    order=order,
                )
            )
        Question.objects.bulk_create(questions)
    return questionnaire


@transaction.atomic
def load_questionnaire(data: dict) -> tuple[Questionnaire, bool]:
    """Create the questionnaire described by ``data`` unless that version exists.

    Returns the questionnaire and whether it was created. An existing version is left
    as it is: it may have answers, and then its wording must not change. Raises
    QuestionnaireFileError, writing nothing, if ``data`` is not a valid questionnaire.
    """
    _check(data)
    existing = Questionnaire.objects.filter(name=data["name"], version=data["version"]).first()
    if existing:
        return existing, False
    return _create(data, version=data["version"]), True


@transaction.atomic
def import_questionnaire(data: dict) -> Questionnaire:
    """The questionnaire in ``data`` as a new version of its name, whatever version it says.

    The next version after the highest of that name, or the file's version if the name is
    new. Raises QuestionnaireFileError, writing nothing, if ``data`` is not valid.
    """
    _check(data)
    latest = Questionnaire.objects.filter(name=data["name"]).aggregate(v=Max("version"))["v"]
    return _create(data, version=data["version"] if latest is None else latest + 1)


def questionnaire_to_data(questionnaire: Questionnaire) -> dict:
    """The questionnaire as a file's data, in the format of the default file.

    Dimensions and their questions come in the order they are shown; a switched-off
    question carries ``"active": false``. Importing the result gives the same questionnaire.
    """
    dimensions = questionnaire.dimensions.order_by("order", "id").prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("order", "id"))
    )
    data_dimensions = []
    for dim in dimensions:
        questions = []
        for question in dim.questions.all():
            item = {"text": question.text, "reverse_keyed": question.reverse_keyed}
            if not question.is_active:
                item["active"] = False
            questions.append(item)
        data_dimensions.append(
            {
                "code": dim.code,
                "axis": dim.axis,
                "name": dim.name,
                "description": dim.description,
                "development_tip": dim.development_tip,
                "team_tip": dim.team_tip,
                "questions": questions,
            }
        )
    return {
        "name": questionnaire.name,
        "version": questionnaire.version,
        "description": questionnaire.description,
        # Every point gets a label (its number if none was set), so the file validates.
        "scale": [{"value": v, "label": label} for v, label in questionnaire.scale_choices()],
        "dimensions": data_dimensions,
    }


def questionnaire_to_json(questionnaire: Questionnaire) -> str:
    """The questionnaire file's text: indented like the default file, ending in a newline."""
    return json.dumps(questionnaire_to_data(questionnaire), indent=2, ensure_ascii=False) + "\n"


@transaction.atomic
def copy_as_new_version(questionnaire: Questionnaire) -> Questionnaire:
    """A copy of the questionnaire as the next version of its name, to edit freely."""
    latest = Questionnaire.objects.filter(name=questionnaire.name).aggregate(v=Max("version"))["v"]
    copy = Questionnaire.objects.create(
        name=questionnaire.name,
        version=latest + 1,
        description=questionnaire.description,
        scale_points=questionnaire.scale_points,
    )
    ScaleLabel.objects.bulk_create(
        ScaleLabel(questionnaire=copy, value=s.value, label=s.label)
        for s in questionnaire.scale_labels.all()
    )
    dims = {}
    for dim in questionnaire.dimensions.all():
        old_pk = dim.pk
        dim.pk = None
        dim.questionnaire = copy
        dim.save()
        dims[old_pk] = dim
    Question.objects.bulk_create(
        Question(
            questionnaire=copy,
            dimension=dims[q.dimension_id],
            text=q.text,
            order=q.order,
            reverse_keyed=q.reverse_keyed,
            is_active=q.is_active,
        )
        for q in questionnaire.questions.all()
    )
    return copy
