"""Participants, invitations with one-time links, and reminders that respect their limits."""

import re
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Participant
from assessments.services.invitations import ReminderRules, invitation_tokens
from tests.conftest import add_members, make_cycle, make_member, start_draft, submit_levels

User = get_user_model()
SITE = "https://lvm.example.org"


def newcomer(username, *teams):
    """A person from the people import: an account without a usable password."""
    person = make_member(username, *teams, first_name=username.title())
    person.set_unusable_password()
    person.save(update_fields=["password"])
    return person


def link_in(message) -> str:
    return re.search(rf"{re.escape(SITE)}\S+", message.body).group(0)


@pytest.fixture(autouse=True)
def _site():
    with override_settings(SITE_URL=SITE, LVM_ORGANISATION_NAME="Acme Ltd"):
        yield


# --- who takes part ---------------------------------------------------------------------


def test_every_team_takes_part_when_the_cycle_names_none(cycle, alice, bob, charlie):
    """Members and managers of all teams are on the list; a second run adds nobody."""
    assert services.add_participants(cycle=cycle) == 3
    assert services.add_participants(cycle=cycle) == 0
    assert set(Participant.objects.values_list("user__username", flat=True)) == {
        "alice",
        "bob",
        "charlie",
    }


def test_only_the_chosen_teams_take_part(cycle, alpha, alice, bob, charlie):
    cycle.teams.set([alpha])
    services.add_participants(cycle=cycle)
    assert set(Participant.objects.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_deactivated_people_and_people_without_an_address_are_left_out(cycle, alpha, alice):
    make_member("gone", alpha, is_active=False)
    make_member("nomail", alpha)
    User.objects.filter(username="nomail").update(email="")
    services.add_participants(cycle=cycle)
    assert list(Participant.objects.values_list("user__username", flat=True)) == ["alice"]


# --- invitations ------------------------------------------------------------------------


def test_a_new_person_gets_a_one_time_link_and_an_existing_one_a_plain_note(cycle, alpha, alice):
    newcomer("nina", alpha)
    mailing = services.invite_participants(cycle=cycle)
    assert (mailing.added, mailing.due, mailing.sent, mailing.failed) == (2, 2, 2, ())
    by_person = {m.to[0]: m for m in mail.outbox}
    invitation, note = by_person["nina@example.com"], by_person["alice@example.com"]
    assert invitation.subject == f"Acme Ltd: you are invited to the {cycle.name} self-assessment"
    assert "/invitations/" in link_in(invitation)
    assert "choose a password" in invitation.body
    assert note.subject == f"Acme Ltd: {cycle.name} is open"
    assert link_in(note) == SITE + reverse("assessments:response-edit", args=[cycle.pk])
    for message in (invitation, note):
        ((html, kind),) = message.alternatives
        assert kind == "text/html"
        assert link_in(message) in html and "Acme Ltd" in html


def test_inviting_twice_sends_nothing_twice(cycle, alice, bob):
    services.invite_participants(cycle=cycle)
    again = services.invite_participants(cycle=cycle)
    assert (again.added, again.due, again.sent) == (0, 0, 0)
    assert len(mail.outbox) == 2
    assert Participant.objects.filter(invited_at__isnull=True).count() == 0


def test_someone_who_joins_a_team_later_is_invited_on_the_next_run(cycle, alpha, alice):
    services.invite_participants(cycle=cycle)
    newcomer("late", alpha)
    again = services.invite_participants(cycle=cycle)
    assert (again.added, again.sent) == (1, 1)
    assert mail.outbox[-1].to == ["late@example.com"]


def test_a_cycle_that_is_not_open_invites_nobody(closed_cycle, alice):
    with pytest.raises(ValueError, match="not open"):
        services.invite_participants(cycle=closed_cycle)
    assert mail.outbox == [] and not Participant.objects.exists()


class RefusingBackend:
    """A mail backend that refuses one address, as a mail server refusing a recipient."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        import smtplib

        for message in messages:
            if message.to == ["alice@example.com"]:
                raise smtplib.SMTPRecipientsRefused({"alice@example.com": (550, b"no")})
            mail.outbox.append(message)
        return len(messages)


@override_settings(EMAIL_BACKEND="tests.test_invitations.RefusingBackend")
def test_a_refused_address_is_logged_skipped_and_tried_again_later(cycle, alice, bob, charlie):
    mail.outbox = []
    with mock.patch("assessments.mail.logger") as log:
        mailing = services.invite_participants(cycle=cycle)
    assert mailing.sent == 2 and mailing.failed == ("alice@example.com",)
    assert "alice@example.com" in str(log.warning.call_args)
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "charlie@example.com"]
    assert list(
        Participant.objects.filter(invited_at__isnull=True).values_list(
            "user__username", flat=True
        )
    ) == ["alice"]


def test_the_admin_action_invites_and_refuses_a_closed_cycle(
    client, helga, cycle, closed_cycle, alice
):
    client.force_login(helga)
    url = reverse("admin:assessments_cycle_changelist")
    response = client.post(
        url,
        {"action": "invite_participants", "_selected_action": [cycle.pk, closed_cycle.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "1 people added to the participants; 1 invitations sent" in text
    assert f"{closed_cycle.name} is not open, so nobody was invited" in text
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_the_admin_action_stops_in_time_and_the_next_run_sends_the_rest(
    client, helga, cycle, alpha, monkeypatch
):
    """A page must answer before the server gives up on it: mail goes out for a set time,
    and the people not reached yet are invited by the next run, nobody twice."""
    from assessments.admin import CycleAdmin

    add_members(alpha, 3, "m")
    client.force_login(helga)
    url = reverse("admin:assessments_cycle_changelist")
    invite = {"action": "invite_participants", "_selected_action": [cycle.pk]}
    monkeypatch.setattr(CycleAdmin, "mail_seconds", 0)
    text = client.post(url, invite, follow=True).content.decode()
    assert "3 people added to the participants; 0 invitations sent." in text
    assert "3 not tried yet: run the action again to send them" in text
    assert not mail.outbox and not Participant.objects.filter(invited_at__isnull=False)

    monkeypatch.undo()  # the action's own limit
    text = client.post(url, invite, follow=True).content.decode()
    assert "3 invitations sent." in text and "not tried yet" not in text
    assert sorted(m.to[0] for m in mail.outbox) == [f"m{i}@example.com" for i in range(3)]


def test_hr_can_send_one_invitation_again(client, helga, cycle, alpha):
    nina = newcomer("nina", alpha)
    services.invite_participants(cycle=cycle)
    client.force_login(helga)
    participant = Participant.objects.get(user=nina)
    response = client.post(
        reverse("admin:assessments_participant_changelist"),
        {"action": "resend_invitation", "_selected_action": [participant.pk]},
        follow=True,
    )
    assert "Sent again to 1 person: a link to choose a password" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["nina@example.com"]] * 2


# --- the link ---------------------------------------------------------------------------


def accept(client, message):
    """Open the link (it moves the token into the session) and return the form's URL."""
    path = link_in(message).removeprefix(SITE)
    response = client.get(path)
    assert response.status_code == 302
    return response["Location"]


def test_the_link_sets_a_password_and_lands_on_the_questionnaire(client, cycle, alpha):
    nina = newcomer("nina", alpha)
    services.invite_participants(cycle=cycle)
    form_url = accept(client, mail.outbox[0])
    assert "choose-password" in form_url and "/invitations/" in form_url
    page = client.get(form_url).content.decode()
    assert "Welcome to LVM" in page
    # Whose account, for the person and for their password manager.
    assert re.search(
        r'<input type="email" id="account-address" name="username" '
        r'class="form-control-plaintext fw-semibold" '
        r'value="nina@example.com" autocomplete="username" readonly',
        page,
    )
    assert re.search(r'<input type="password" name="new_password1"[^>]* autofocus', page)
    response = client.post(
        form_url, {"new_password1": "a-long-passphrase-9", "new_password2": "a-long-passphrase-9"}
    )
    assert response["Location"] == reverse("assessments:response-edit", args=[cycle.pk])
    landed = client.get(response["Location"]).content.decode()
    assert "log in with your e-mail address and this password" in landed
    nina.refresh_from_db()
    assert nina.check_password("a-long-passphrase-9")
    assert client.get(response["Location"]).status_code == 200  # logged in


def test_a_used_link_no_longer_works(client, cycle, alpha):
    newcomer("nina", alpha)
    services.invite_participants(cycle=cycle)
    message = mail.outbox[0]
    form_url = accept(client, message)
    client.post(form_url, {"new_password1": "pass-phrase-77", "new_password2": "pass-phrase-77"})
    client.logout()
    page = client.get(link_in(message).removeprefix(SITE))
    assert page.status_code == 200
    assert "This invitation link no longer works" in page.content.decode()


def test_a_link_expires_after_the_set_number_of_days(client, cycle, alpha):
    nina = newcomer("nina", alpha)
    token = invitation_tokens.make_token(nina)
    later = timezone.now().replace(tzinfo=None)
    with override_settings(LVM_INVITATION_DAYS=14):
        with mock.patch.object(
            invitation_tokens, "_now", return_value=later + timedelta(days=13, hours=23)
        ):
            assert invitation_tokens.check_token(nina, token)
        with mock.patch.object(
            invitation_tokens, "_now", return_value=later + timedelta(days=14, hours=1)
        ):
            assert not invitation_tokens.check_token(nina, token)


def test_a_tampered_token_or_a_password_reset_token_is_refused(alpha):
    from django.contrib.auth.tokens import default_token_generator

    nina = newcomer("nina", alpha)
    token = invitation_tokens.make_token(nina)
    assert not invitation_tokens.check_token(nina, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not invitation_tokens.check_token(nina, default_token_generator.make_token(nina))
    assert not invitation_tokens.check_token(nina, "garbage")


def test_a_deactivated_person_cannot_use_their_link(client, cycle, alpha):
    nina = newcomer("nina", alpha)
    services.invite_participants(cycle=cycle)
    User.objects.filter(pk=nina.pk).update(is_active=False)
    page = client.get(link_in(mail.outbox[0]).removeprefix(SITE))
    assert "This invitation link no longer works" in page.content.decode()


# --- reminders --------------------------------------------------------------------------


def invited_days_ago(cycle, days):
    services.invite_participants(cycle=cycle)
    Participant.objects.update(invited_at=timezone.now() - timedelta(days=days))
    mail.outbox = []


RULES = ReminderRules(every_days=3, at_most=3, last_call_hours=24)


def test_no_reminder_before_the_interval_has_passed(cycle, alice):
    invited_days_ago(cycle, 2)
    assert services.send_reminders(rules=RULES).due == 0


def test_a_reminder_goes_to_those_who_have_not_submitted(cycle, alice, bob, charlie):
    invited_days_ago(cycle, 3)
    submit_levels(charlie, cycle, (3, 3, 3, 3))
    start_draft(bob, cycle)
    mailing = services.send_reminders(rules=RULES)
    assert (mailing.due, mailing.sent) == (2, 2)
    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == ["alice@example.com", "bob@example.com"]
    closes = timezone.localtime(cycle.closes_at)
    assert sent["alice@example.com"].subject == (
        f"Acme Ltd: reminder – {cycle.name} closes on {closes.day} {closes:%B %Y}"
    )
    # Bob has saved answers to carry on with; Alice has not started.
    assert "You have started" in sent["bob@example.com"].body
    assert "Carry on here:" in sent["bob@example.com"].body
    assert "You have not answered" in sent["alice@example.com"].body
    assert "Start here:" in sent["alice@example.com"].body
    assert ">Start</a>" in sent["alice@example.com"].alternatives[0][0]
    assert Participant.objects.get(user=alice).reminders_sent == 1


def test_running_reminders_twice_sends_nothing_twice(cycle, alice):
    invited_days_ago(cycle, 5)
    assert services.send_reminders(rules=RULES).sent == 1
    assert services.send_reminders(rules=RULES).sent == 0
    assert len(mail.outbox) == 1


def test_reminders_respect_the_interval_and_the_maximum_over_many_runs(cycle, alice):
    """Hourly runs for three weeks: one reminder every three days, three in all."""
    start = timezone.now()
    cycle.closes_at = start + timedelta(days=60)
    cycle.save()
    services.invite_participants(cycle=cycle, when=start)
    mail.outbox = []
    sent_at = []
    for hour in range(1, 21 * 24):
        when = start + timedelta(hours=hour)
        if services.send_reminders(rules=RULES, when=when).sent:
            sent_at.append(hour)
    assert sent_at == [72, 144, 216]
    assert Participant.objects.get(user=alice).reminders_sent == 3
    assert "last reminder" in mail.outbox[-1].body
    assert mail.outbox[-1].subject.startswith("Acme Ltd: last reminder – ")


def test_a_last_call_goes_out_before_closing_unless_already_mailed_that_day(cycle, alice):
    with override_settings(TIME_ZONE="UTC"):
        closes = timezone.now().replace(hour=18, minute=0, second=0, microsecond=0) + timedelta(
            days=5
        )
        cycle.closes_at = closes
        cycle.save()
        invited = closes - timedelta(days=1, hours=12)  # the day before, 06:00
        services.invite_participants(cycle=cycle, when=invited)
        mail.outbox = []
        # 12 hours before closing: inside the last call, mailed the day before: sent.
        assert services.send_reminders(rules=RULES, when=closes - timedelta(hours=12)).sent == 1
        # Two hours later, the same day: not again.
        assert services.send_reminders(rules=RULES, when=closes - timedelta(hours=10)).sent == 0


def test_a_submitted_or_deactivated_person_or_a_closed_cycle_gets_no_reminder(
    cycle, alice, bob, charlie
):
    invited_days_ago(cycle, 4)
    submit_levels(alice, cycle, (3, 3, 3, 3))
    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert [
        p.user.username
        for p in services.invitations.waiting_participants(when=timezone.now(), rules=RULES)
    ] == ["charlie"]
    later = cycle.closes_at + timedelta(minutes=1)
    assert services.send_reminders(rules=RULES, when=later).due == 0


def test_a_reminder_to_someone_without_a_password_carries_a_fresh_link(client, cycle, alpha):
    newcomer("nina", alpha)
    invited_days_ago(cycle, 4)
    services.send_reminders(rules=RULES)
    (reminder,) = mail.outbox
    assert "You have not chosen a password yet" in reminder.body
    assert "/invitations/" in link_in(reminder)
    assert client.get(link_in(reminder).removeprefix(SITE)).status_code == 302


@override_settings(EMAIL_BACKEND="tests.test_invitations.RefusingBackend")
def test_a_failed_reminder_is_not_counted_and_is_tried_again(cycle, alice, bob):
    invited_days_ago(cycle, 4)
    mailing = services.send_reminders(rules=RULES)
    assert (mailing.sent, mailing.failed) == (1, ("alice@example.com",))
    assert Participant.objects.get(user=alice).reminders_sent == 0
    assert Participant.objects.get(user=bob).reminders_sent == 1


# --- the commands -----------------------------------------------------------------------


def test_the_invite_command_shows_progress_and_invites_every_open_cycle(cycle, alpha):
    add_members(alpha, 5, "m")
    out = StringIO()
    call_command("invite_participants", stdout=out)
    text = out.getvalue()
    assert "5 of 5 done" in text and "5 added to the participants, 5 of 5 invitations sent" in text
    assert len(mail.outbox) == 5


def test_the_invite_command_dry_run_sends_nothing(cycle, alpha):
    add_members(alpha, 3, "m")
    out = StringIO()
    call_command("invite_participants", str(cycle.pk), "--dry-run", stdout=out)
    assert "3 would be added to the participants and 3 invited" in out.getvalue()
    assert mail.outbox == [] and not Participant.objects.exists()


def test_the_invite_command_refuses_an_unknown_or_closed_cycle(closed_cycle):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No cycle with id 999999"):
        call_command("invite_participants", "999999")
    with pytest.raises(CommandError, match="Not open"):
        call_command("invite_participants", str(closed_cycle.pk))


def test_the_reminder_command_takes_its_limits_from_options(cycle, alpha):
    add_members(alpha, 2, "m")
    invited_days_ago(cycle, 2)
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "0 reminders due" in out.getvalue()
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--every-days", "1", "-v", "2", stdout=out)
    assert out.getvalue().splitlines() == [
        "2 reminders due (dry run: nothing sent).",
        f"  m0@example.com ({cycle.name})",
        f"  m1@example.com ({cycle.name})",
    ]
    assert mail.outbox == []
    call_command("send_reminders", "--every-days", "1", stdout=out)
    assert "2 of 2 reminders sent." in out.getvalue()
    call_command("send_reminders", "--every-days", "0", "--max", "1", stdout=out)
    assert len(mail.outbox) == 2


def test_a_link_with_another_cycle_in_it_still_sets_the_password_and_goes_home(
    client, cycle, closed_cycle, alpha
):
    newcomer("nina", alpha)
    services.invite_participants(cycle=cycle)
    path = link_in(mail.outbox[0]).removeprefix(SITE)
    tampered = path.replace(f"/invitations/{cycle.pk}/", f"/invitations/{closed_cycle.pk}/")
    form_url = client.get(tampered)["Location"]
    response = client.post(
        form_url, {"new_password1": "pass-phrase-77", "new_password2": "pass-phrase-77"}
    )
    assert response["Location"] == reverse("assessments:home")


# --- who may answer -----------------------------------------------------------------


def test_a_cycle_of_chosen_teams_is_answered_by_their_members_and_its_invitees_only(
    client, cycle, questionnaire, alpha, alice, charlie
):
    """A second cycle, so that its id differs from every other row's involved."""
    pilot = make_cycle(questionnaire, name="Alpha pilot")
    pilot.teams.set([alpha])
    edit = reverse("assessments:response-edit", args=[pilot.pk])
    home = reverse("assessments:home")
    client.force_login(charlie)
    assert client.get(edit).status_code == 404
    text = client.get(home).content.decode()
    assert pilot.name not in text and cycle.name in text
    Participant.objects.create(cycle=pilot, user=charlie)  # invited before a team move
    assert client.get(edit).status_code == 200
    assert pilot.name in client.get(home).content.decode()
    client.force_login(alice)
    assert client.get(edit).status_code == 200
    assert pilot.name in client.get(home).content.decode()


def test_a_cycle_without_chosen_teams_is_everyones(client, cycle, charlie):
    client.force_login(charlie)
    assert client.get(reverse("assessments:response-edit", args=[cycle.pk])).status_code == 200


# --- what HR sees of participants ---------------------------------------------------


def test_hr_does_not_see_reminder_counts_which_would_tell_who_answered(
    client, helga, staff, cycle, alice
):
    services.invite_participants(cycle=cycle)
    url = reverse("admin:assessments_participant_changelist")
    client.force_login(helga)
    html = client.get(url).content.decode()
    # Nor whether someone chose a password: without one, nobody can have answered.
    assert "alice@example.com" in html and "Reminders sent" not in html
    assert "Password chosen" not in html
    assert client.get(url, {"o": "5"}).status_code == 200  # no sorting by a hidden column
    client.force_login(staff)
    html = client.get(url).content.decode()
    assert "Reminders sent" in html and "Password chosen" in html


# --- reminders: late changes --------------------------------------------------------


def test_someone_who_submits_while_the_batch_runs_gets_no_reminder(cycle, alice, bob):
    invited_days_ago(cycle, 4)
    stale = list(services.invitations.waiting_participants(when=timezone.now(), rules=RULES))
    submit_levels(alice, cycle, (3, 3, 3, 3))
    with mock.patch.object(services.invitations, "waiting_participants", return_value=stale):
        mailing = services.send_reminders(rules=RULES)
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert mailing.sent == 1
    assert Participant.objects.get(user=alice).reminders_sent == 0


def test_the_last_call_never_comes_within_a_day_of_the_previous_mail(cycle, alice):
    closes = timezone.now() + timedelta(hours=10)
    cycle.closes_at = closes
    cycle.save()
    services.invite_participants(cycle=cycle, when=closes - timedelta(hours=20))
    mail.outbox = []
    assert services.send_reminders(rules=RULES, when=closes - timedelta(hours=5)).sent == 0
