"""In Chromium, the whole roll-out: HR imports people, opens a cycle and invites everyone;
a new employee follows the e-mailed link, chooses a password, answers and submits; HR
sees the participation go up."""

import os
import re
import shutil
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from .conftest import CHROMIUM, axe_violations, make_hr, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLE = (
    "employee_id,email,first_name,last_name,team,role\n"
    "E100,nina.novak@example.com,Nina,Novak,Sales,member\n"
    "E101,omar.ortiz@example.com,Omar,Ortiz,Sales,member\n"
    "E102,petra.park@example.com,Petra,Park,Sales,member\n"
    "E103,quinn.quist@example.com,Quinn,Quist,Sales,member\n"
    "E104,sam.sato@example.com,Sam,Sato,Sales,member\n"
    "E105,rosa.reyes@example.com,Rosa,Reyes,Sales,manager\n"
)
PASSWORD = "a-winter-passphrase-26"


def log_in_as(page, base, login, password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail or username").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def admin_datetime(page, field, when):
    local = timezone.localtime(when)
    page.locator(f"#id_{field}_0").fill(local.strftime("%Y-%m-%d"))
    page.locator(f"#id_{field}_1").fill(local.strftime("%H:%M:%S"))


def test_hr_rolls_out_a_cycle_and_a_new_employee_answers_from_the_invitation(
    browser, live_server, tmp_path
):
    base = live_server.url
    call_command("load_questionnaire", verbosity=0)
    make_hr("helga")
    with override_settings(SITE_URL=base, LVM_ORGANISATION_NAME="Acme Ltd"):
        hr_context, hr, problems = open_page(browser)
        log_in_as(hr, base, "helga@example.com", "pw-helga")

        # 1. Import the people file: preview, then apply.
        people = tmp_path / "people.csv"
        people.write_text(PEOPLE, encoding="utf-8")
        hr.goto(f"{base}/admin/assessments/peopleimport/")
        hr.get_by_role("link", name="Upload a people file").click()
        hr.get_by_label("People file").set_input_files(str(people))
        hr.get_by_role("button", name="Upload and preview").click()
        hr.get_by_role("heading", name="6 people will be added").wait_for()
        hr.get_by_role("button", name="Apply this import").click()
        hr.get_by_text("Imported people.csv").wait_for()

        # 2. Open a cycle for everyone.
        hr.goto(f"{base}/admin/assessments/cycle/add/")
        hr.get_by_label("Name").fill("Winter 2026")
        hr.get_by_label("Questionnaire").select_option(index=1)
        now = timezone.now()
        admin_datetime(hr, "opens_at", now - timedelta(minutes=1))
        admin_datetime(hr, "closes_at", now + timedelta(days=14))
        hr.get_by_role("button", name="Save", exact=True).click()
        hr.get_by_text("was added successfully").wait_for()

        # 3. Invite: the action on the cycle list.
        hr.get_by_role("row").filter(has_text="Winter 2026").get_by_role("checkbox").check()
        hr.locator("select[name=action]").select_option("invite_participants")
        hr.get_by_role("button", name="Go").click()
        hr.get_by_text("6 people added to the participants; 6 invitations sent.").wait_for()

        hr.goto(f"{base}/participation/")
        assert hr.get_by_text("0 of the 6 people taking part have submitted").is_visible()
        assert not axe_violations(hr)

        # 4. The new employee reads the invitation and follows its link.
        (invitation,) = [m for m in mail.outbox if m.to == ["nina.novak@example.com"]]
        assert invitation.subject == "Acme Ltd: you are invited to the Winter 2026 self-assessment"
        link = re.search(rf"{re.escape(base)}/invitations/\S+", invitation.body).group(0)
        context, page, page_problems = open_page(browser, width=375)
        page.goto(link)
        page.get_by_role("heading", name="Welcome to LVM").wait_for()
        assert "/choose-password/" in page.url  # the token has left the address bar
        assert not axe_violations(page)
        page.locator("#id_new_password1").fill(PASSWORD)
        page.locator("#id_new_password2").fill(PASSWORD)
        page.get_by_role("button", name="Set password and start").click()
        page.get_by_text("Your password is set.").wait_for()

        # 5. Answer every page and submit.
        while True:
            for item in page.locator("fieldset.likert-item").all():
                item.get_by_text("Agree", exact=True).click()
            submit = page.get_by_role("button", name="Submit my answers")
            if submit.count():
                submit.click()
                break
            page.get_by_role("button", name="Save and continue").click()
        page.get_by_role("heading", name=re.compile("Your result")).wait_for()
        context.close()

        # 6. HR sees the participation go up; the new person can log in by e-mail.
        hr.goto(f"{base}/participation/")
        assert hr.get_by_text("1 of the 6 people taking part have submitted").is_visible()
        sales = hr.get_by_role("row").filter(has_text="Sales")
        assert sales.get_by_role("cell").last.inner_text().startswith("20%")  # 1 of 5 members
        hr_context.close()
        assert problems == [] and page_problems == []

        context, page, _ = open_page(browser)
        log_in_as(page, base, "Nina.Novak@example.com", PASSWORD)
        context.close()
