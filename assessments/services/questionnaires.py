"""Questionnaires: loading one from a file, and copying a version to change its wording.

Once a version has answers its wording is frozen (the admin enforces it); both writes
here make a new version instead of touching an existing one.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from ..models import Dimension, Question, Questionnaire, ScaleLabel

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "default_questionnaire.json"


class QuestionnaireFileError(Exception):
    """The file could not be read or does not describe a questionnaire."""


def read_questionnaire_file(path: Path) -> dict:
    """The questionnaire described by a JSON file, checked for the keys loading needs."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QuestionnaireFileError(f"Cannot read {path}: {exc}") from exc
    missing = [key for key in ("name", "version", "scale", "dimensions") if key not in data]
    if missing:
        raise QuestionnaireFileError(f"{path} has no {', '.join(missing)}.")
    return data


@transaction.atomic
def load_questionnaire(data: dict) -> tuple[Questionnaire, bool]:
    """Create the questionnaire described by ``data`` unless that version exists.

    Returns the questionnaire and whether it was created. An existing version is left
    as it is: it may have answers, and then its wording must not change.
    """
    existing = Questionnaire.objects.filter(name=data["name"], version=data["version"]).first()
    if existing:
        return existing, False
    questionnaire = Questionnaire.objects.create(
        name=data["name"],
        version=data["version"],
        description=data.get("description", ""),
        scale_points=len(data["scale"]),
    )
    ScaleLabel.objects.bulk_create(
        ScaleLabel(questionnaire=questionnaire, value=point["value"], label=point["label"])
        for point in data["scale"]
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
                    order=order,
                )
            )
        Question.objects.bulk_create(questions)
    return questionnaire, True


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
