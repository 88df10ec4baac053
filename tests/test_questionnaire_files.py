"""Questionnaire files: export, import as a new version, validation and the round trip.

The file format is the one of ``assessments/data/default_questionnaire.json``.
"""

import copy
import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from assessments import services
from assessments.models import Dimension, Question, Questionnaire, ScaleLabel

from .conftest import make_questionnaire, make_user

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:assessments_questionnaire_import"
CHANGELIST_URL = "admin:assessments_questionnaire_changelist"


def default_data() -> dict:
    return json.loads(services.DEFAULT_FILE.read_text(encoding="utf-8"))


def rows(questionnaire) -> dict:
    """Everything a questionnaire shows and scores, in the order it is shown."""
    return {
        "questionnaire": (
            questionnaire.name,
            questionnaire.description,
            questionnaire.scale_points,
        ),
        "labels": list(questionnaire.scale_labels.values_list("value", "label")),
        "dimensions": list(
            questionnaire.dimensions.order_by("order", "id").values_list(
                "code", "name", "axis", "description", "development_tip"
            )
        ),
        "questions": list(
            questionnaire.questions.order_by(
                "dimension__order", "dimension_id", "order", "id"
            ).values_list("dimension__code", "text", "reverse_keyed", "is_active")
        ),
    }


def table_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Questionnaire, ScaleLabel, Dimension, Question))


@pytest.fixture
def traits():
    """A questionnaire with a switched-off item, a seven-point scale and non-ASCII wording."""
    questionnaire = make_questionnaire(name="Traits", per_dimension=3)
    questionnaire.scale_points = 7
    questionnaire.save()
    ScaleLabel.objects.create(questionnaire=questionnaire, value=6, label="Nearly always")
    ScaleLabel.objects.create(questionnaire=questionnaire, value=7, label="Always — without fail")
    first = questionnaire.questions.order_by("order").first()
    first.text = "I say “thank you” in person, even to the café staff."
    first.is_active = False
    first.save()
    return questionnaire


# --- export and round trip --------------------------------------------------------------


def test_the_default_file_passes_validation():
    assert services.validate_questionnaire_data(default_data()) == []


def test_exporting_the_loaded_default_file_gives_the_file_back():
    questionnaire, _ = services.load_questionnaire(default_data())
    assert services.questionnaire_to_data(questionnaire) == default_data()
    assert services.questionnaire_to_json(questionnaire) == services.DEFAULT_FILE.read_text(
        encoding="utf-8"
    )


def test_export_then_import_gives_an_identical_questionnaire(traits):
    exported = services.questionnaire_to_data(traits)
    imported = services.import_questionnaire(copy.deepcopy(exported))
    assert (imported.name, imported.version) == ("Traits", traits.version + 1)
    assert rows(imported) == rows(traits)
    again = services.questionnaire_to_data(imported)
    assert again == {**exported, "version": imported.version}


def test_a_switched_off_question_is_exported_as_inactive_and_stays_so(traits):
    questions = [
        q for d in services.questionnaire_to_data(traits)["dimensions"] for q in d["questions"]
    ]
    assert questions[0]["active"] is False
    assert all("active" not in q for q in questions[1:])


def test_export_follows_the_order_questions_are_shown_in(questionnaire):
    # Move the first dimension last: the file lists dimensions as they are shown.
    first = questionnaire.dimensions.order_by("order").first()
    Dimension.objects.filter(pk=first.pk).update(order=999)
    data = services.questionnaire_to_data(questionnaire)
    assert data["dimensions"][-1]["code"] == first.code
    imported = services.import_questionnaire(data)
    assert rows(imported)["questions"] == rows(questionnaire)["questions"]


# --- import as a new version ------------------------------------------------------------


def test_import_makes_the_next_version_whatever_the_file_says(questionnaire):
    services.copy_as_new_version(questionnaire)  # versions 1 and 2 exist
    data = services.questionnaire_to_data(questionnaire)
    assert data["version"] == 1
    assert services.import_questionnaire(data).version == 3
    assert services.import_questionnaire(data).version == 4


def test_import_of_a_new_name_keeps_the_files_version():
    data = {**default_data(), "name": "Pilot", "version": 4}
    assert services.import_questionnaire(data).version == 4


def test_load_is_still_idempotent_by_name_and_version():
    first, created = services.load_questionnaire(default_data())
    again, created_again = services.load_questionnaire(default_data())
    assert created and not created_again and first == again


# --- validation -------------------------------------------------------------------------


def _dims(data):
    return data["dimensions"]


def duplicate_code(data):
    _dims(data)[1]["code"] = _dims(data)[0]["code"]


def question_without_text(data):
    del _dims(data)[2]["questions"][0]["text"]


def question_with_blank_text(data):
    _dims(data)[2]["questions"][1]["text"] = "   "


def no_management_axis(data):
    for dim in _dims(data):
        dim["axis"] = "leadership"


def no_leadership_axis(data):
    for dim in _dims(data):
        dim["axis"] = "management"


def unknown_axis(data):
    _dims(data)[0]["axis"] = "vision"


def scale_of(points):
    def change(data):
        data["scale"] = [{"value": v, "label": f"Point {v}"} for v in range(1, points + 1)]

    change.__name__ = f"scale_of_{points}"
    return change


def value_outside_the_points(data):
    data["scale"][4]["value"] = 6


def value_twice(data):
    data["scale"][4]["value"] = 4


def empty_label(data):
    data["scale"][2]["label"] = ""


def dimension_without_questions(data):
    _dims(data)[3]["questions"] = []


def keying_as_text(data):
    _dims(data)[0]["questions"][0]["reverse_keyed"] = "yes"


def misspelt_key(data):
    _dims(data)[0]["questions"][0]["reversed"] = True


def missing_keys(data):
    del data["scale"], data["dimensions"]


def same_question_twice(data):
    _dims(data)[1]["questions"][0]["text"] = _dims(data)[0]["questions"][0]["text"]


ERRORS = [
    (duplicate_code, 'Two dimensions have the code "vision" (dimensions 1 and 2)'),
    (question_without_text, 'Dimension 3 ("communication"), question 1 has no text.'),
    (question_with_blank_text, 'Dimension 3 ("communication"), question 2\'s text is empty.'),
    (no_management_axis, "No dimension is on the management axis"),
    (no_leadership_axis, "No dimension is on the leadership axis"),
    (unknown_axis, 'Dimension 1 ("vision") has the axis "vision"; use "leadership" or'),
    (scale_of(2), "The scale has 2 points; it needs 3 to 7."),
    (scale_of(8), "The scale has 8 points; it needs 3 to 7."),
    (value_outside_the_points, "values must be 1 to 5, each once, to match its 5 points"),
    (value_twice, "the file has 1, 2, 3, 4, 4"),
    (empty_label, "Scale point 3's label is empty."),
    (dimension_without_questions, "has no questions; every dimension needs at least one."),
    (keying_as_text, "question 1: reverse_keyed must be true or false."),
    (misspelt_key, 'has the unknown key "reversed"'),
    (missing_keys, "The file has no scale, dimensions."),
    (same_question_twice, "has the same text as dimension 1"),
]


@pytest.mark.parametrize(("change", "message"), ERRORS, ids=[e[0].__name__ for e in ERRORS])
def test_a_bad_file_is_refused_with_its_problem_and_writes_nothing(change, message):
    data = default_data()
    change(data)
    problems = services.validate_questionnaire_data(data)
    assert any(message in p for p in problems), problems
    before = table_counts()
    for write in (services.import_questionnaire, services.load_questionnaire):
        with pytest.raises(services.QuestionnaireFileError) as caught:
            write(data)
        assert caught.value.problems == problems
        assert table_counts() == before


def test_every_problem_is_reported_at_once():
    data = default_data()
    duplicate_code(data)
    scale_of(8)(data)
    dimension_without_questions(data)
    problems = services.validate_questionnaire_data(data)
    assert len(problems) == 3, problems
    with pytest.raises(services.QuestionnaireFileError) as caught:
        services.import_questionnaire(data)
    assert str(caught.value).startswith("3 problems:\n- ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "The file must hold one JSON object (in braces {…}); it holds a list."),
        ("text", "it holds a text."),
        (None, "it holds null."),
    ],
)
def test_a_file_that_is_not_an_object_says_so(data, message):
    [problem] = services.validate_questionnaire_data(data)
    assert problem.startswith("The file must hold one JSON object (in braces {…}); ")
    assert problem.endswith(message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"name": "x",', "it is not valid JSON (Expecting property name enclosed in double"),
        (b"{bad", "line 1, column 2"),
        ("{}".encode("utf-16"), "it is not UTF-8 text"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_file_that_is_not_json_says_why(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(services.QuestionnaireFileError, match=r"^Cannot read .*bad\.json") as e:
        services.read_questionnaire_file(path)
    assert message in str(e.value)


def test_a_file_with_a_byte_order_mark_is_read():
    content = services.DEFAULT_FILE.read_text(encoding="utf-8").encode("utf-8-sig")
    assert services.parse_questionnaire_json(content) == default_data()


# --- commands ---------------------------------------------------------------------------


def test_export_command_prints_the_latest_version(questionnaire):
    newer = services.copy_as_new_version(questionnaire)
    out = StringIO()
    call_command("export_questionnaire", "Test", stdout=out)
    assert out.getvalue() == services.questionnaire_to_json(newer)
    out = StringIO()
    call_command("export_questionnaire", "Test", "--version", "1", stdout=out)
    assert json.loads(out.getvalue())["version"] == 1


def test_export_command_writes_a_file(questionnaire, tmp_path):
    target = tmp_path / "test.json"
    call_command("export_questionnaire", "Test", "--output", str(target), stdout=StringIO())
    assert target.read_text(encoding="utf-8") == services.questionnaire_to_json(questionnaire)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nope"], 'No questionnaire is named "Nope". Names: "Test".'),
        (["Test", "--version", "7"], '"Test" has no version 7; it has 1.'),
    ],
)
def test_export_command_names_what_exists(questionnaire, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_questionnaire", *args, stdout=StringIO())


def test_load_command_imports_a_file_as_the_next_version(questionnaire, tmp_path):
    path = tmp_path / "test.json"
    call_command("export_questionnaire", "Test", "--output", str(path), stdout=StringIO())
    out = StringIO()
    call_command("load_questionnaire", "--file", str(path), "--as-new-version", stdout=out)
    imported = Questionnaire.objects.get(name="Test", version=2)
    assert rows(imported) == rows(questionnaire)
    assert "Created Test (v2) with 4 dimensions and 8 questions." in out.getvalue()


def test_load_command_without_as_new_version_keeps_the_existing_version(questionnaire, tmp_path):
    path = tmp_path / "test.json"
    path.write_text(services.questionnaire_to_json(questionnaire), encoding="utf-8")
    out = StringIO()
    call_command("load_questionnaire", "--file", str(path), stdout=out)
    assert "Kept Test (v1)" in out.getvalue()
    assert Questionnaire.objects.count() == 1


def test_load_command_dry_run_as_new_version_writes_nothing(questionnaire, tmp_path):
    path = tmp_path / "test.json"
    path.write_text(services.questionnaire_to_json(questionnaire), encoding="utf-8")
    out = StringIO()
    call_command(
        "load_questionnaire", "--file", str(path), "--as-new-version", "--dry-run", stdout=out
    )
    assert "Would create Test (v2)" in out.getvalue()
    assert Questionnaire.objects.count() == 1


def test_load_command_lists_every_problem_of_a_bad_file(tmp_path):
    data = default_data()
    duplicate_code(data)
    scale_of(2)(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_questionnaire", "--file", str(path), "--as-new-version")
    message = str(caught.value)
    assert "2 problems:" in message
    assert 'Two dimensions have the code "vision"' in message
    assert "The scale has 2 points" in message
    assert not Questionnaire.objects.exists()


# --- admin: import page -----------------------------------------------------------------


def upload(data, name="questionnaire.json") -> SimpleUploadedFile:
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_changelist_links_to_the_import_page(client, staff):
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST_URL))
    assert reverse(IMPORT_URL).encode() in page.content


def test_staff_imports_a_file_as_a_new_version(client, staff, questionnaire):
    client.force_login(staff)
    assert client.get(reverse(IMPORT_URL)).status_code == 200
    data = services.questionnaire_to_data(questionnaire)
    response = client.post(reverse(IMPORT_URL), {"file": upload(data)}, follow=True)
    imported = Questionnaire.objects.get(name="Test", version=2)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:assessments_questionnaire_change", args=[imported.pk]
    )
    assert rows(imported) == rows(questionnaire)
    assert "Imported Test (v2) as a new version." in response.content.decode()


def test_a_bad_upload_shows_every_problem_and_writes_nothing(client, staff, questionnaire):
    client.force_login(staff)
    data = default_data()
    duplicate_code(data)
    no_management_axis(data)
    before = table_counts()
    response = client.post(reverse(IMPORT_URL), {"file": upload(data)})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any("Two dimensions have the code" in e for e in errors)
    assert any("No dimension is on the management axis" in e for e in errors)
    html = response.content.decode()
    assert "No dimension is on the management axis" in html
    assert "The file “questionnaire.json” can't be imported" in html
    assert "correct the 2 problems below" in html
    assert table_counts() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not text", "is not UTF-8 text"),
        (b"{not json", "is not valid JSON"),
        (b" " * (1024 * 1024 + 1), "the limit is 1 MB"),
        (b"1" + b"0" * 5000, "Exceeds the limit"),  # Python refuses a 5,001-digit integer
    ],
    ids=["not-utf8", "not-json", "too-big", "huge-number"],
)
def test_an_unreadable_upload_is_an_error_on_the_form(client, staff, content, message):
    client.force_login(staff)
    response = client.post(reverse(IMPORT_URL), {"file": upload(content)})
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors["file"])
    assert not Questionnaire.objects.exists()


def test_posting_no_file_asks_for_one(client, staff):
    client.force_login(staff)
    response = client.post(reverse(IMPORT_URL), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_staff_without_add_permission_gets_403_and_no_link(client, questionnaire):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_questionnaire"))
    client.force_login(viewer)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    data = services.questionnaire_to_data(questionnaire)
    assert client.post(reverse(IMPORT_URL), {"file": upload(data)}).status_code == 403
    assert Questionnaire.objects.count() == 1
    page = client.get(reverse(CHANGELIST_URL))
    assert page.status_code == 200
    assert reverse(IMPORT_URL).encode() not in page.content


def test_hr_may_import(client, helga):
    client.force_login(helga)
    response = client.post(reverse(IMPORT_URL), {"file": upload(default_data())})
    assert response.status_code == 302
    assert Questionnaire.objects.get().version == 1


def test_an_employee_is_sent_to_the_admin_login(client, alice):
    client.force_login(alice)
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- admin: export action ---------------------------------------------------------------


def export_action(client, *questionnaires, follow=False):
    return client.post(
        reverse(CHANGELIST_URL),
        {"action": "export_json", "_selected_action": [q.pk for q in questionnaires]},
        follow=follow,
    )


def test_export_action_downloads_one_questionnaire_as_json(client, staff, traits):
    client.force_login(staff)
    response = export_action(client, traits)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="traits-v1.json"'
    assert json.loads(response.content.decode("utf-8")) == services.questionnaire_to_data(traits)


def test_export_action_refuses_several_questionnaires(client, staff, questionnaire):
    newer = services.copy_as_new_version(questionnaire)
    client.force_login(staff)
    response = export_action(client, questionnaire, newer, follow=True)
    assert response.redirect_chain
    assert "Select exactly one questionnaire to export" in response.content.decode()
