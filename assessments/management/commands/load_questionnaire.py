"""Load the default questionnaire (or another one from a JSON file).

Why this exists: a fresh installation needs a questionnaire before anyone can take an
assessment, and HR should not have to type forty questions into the admin. Running it
again changes nothing: a version that already exists is left as it is, because once a
version has answers its wording is frozen. Publish changed wording as a new version.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments.models import Dimension, Question, Questionnaire, ScaleLabel

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "default_questionnaire.json"


def load(data: dict) -> tuple[Questionnaire, bool]:
    """Create the questionnaire described by ``data`` unless that version exists."""
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


class Command(BaseCommand):
    help = "Load the default leadership/management questionnaire (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="JSON file to load.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen, change nothing."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        with transaction.atomic():
            questionnaire, created = load(data)
            if dry_run:
                transaction.set_rollback(True)
        verb = "Would create" if dry_run and created else "Created" if created else "Kept"
        self.stdout.write(
            f"{verb} {questionnaire} with {len(data['dimensions'])} dimensions and "
            f"{sum(len(d['questions']) for d in data['dimensions'])} questions."
        )
