"""Who takes part in a cycle, their invitations and their reminders.

Every mail is claimed on its row before it is sent (``invited_at``, ``reminders_sent``):
two runs at once never send the same mail twice, and a failed send gives the claim back,
so the next run tries again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from .. import mail
from ..models import Cycle, Membership, Participant, Response

User = get_user_model()


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for invitation links: like password reset's, with their own expiry.

    The token covers the password hash, so it is spent once a password is set.
    """

    key_salt = "assessments.services.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            stamp, _ = token.split("-")
            issued = base36_to_int(stamp)
        except ValueError:
            return False
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, issued, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - issued
        return signed and 0 <= age <= settings.LVM_INVITATION_DAYS * 24 * 60 * 60


invitation_tokens = InvitationTokenGenerator()


def invitation_link(*, cycle: Cycle, user) -> str:
    """The one-time link that sets a first password and lands on the cycle's questions."""
    path = reverse(
        "assessments:invitation-accept",
        kwargs={
            "cycle_pk": cycle.pk,
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return mail.site_link(path)


# Within a time limit (the admin's action): the longest wait on the mail server, and how
# many waits a mail may take at worst (a send: MAIL, RCPT, DATA and its end; a fresh
# connection after a failure: connect, greeting, EHLO, STARTTLS, EHLO again and AUTH).
WAIT_WITHIN_LIMIT = 2.0
WAITS_PER_MAIL = 10


@dataclass(frozen=True)
class Mailing:
    """What a run of invitations or reminders did."""

    added: int  # people newly on the cycle's list
    due: int  # mails that were due
    sent: int
    failed: tuple[str, ...]  # addresses whose mail did not go out (tried again next run)
    left: int = 0  # mails not tried because the run's time was up (sent by the next run)
    would_send: tuple[str, ...] = ()  # a dry run's addressees: "address (cycle)"


def eligible_people(cycle: Cycle):
    """Active people with an address in the cycle's teams (every team when none chosen)."""
    memberships = Membership.objects.filter(user=OuterRef("pk"))
    team_ids = list(cycle.teams.values_list("pk", flat=True))
    if team_ids:
        memberships = memberships.filter(team_id__in=team_ids)
    return User.objects.filter(Exists(memberships), is_active=True).exclude(email="")


@transaction.atomic
def add_participants(*, cycle: Cycle, when: datetime | None = None) -> int:
    """Put the members of the cycle's teams on its list of participants; returns how many
    were new. People already on the list stay on it."""
    when = when or timezone.now()
    listed = Participant.objects.filter(cycle=cycle, user=OuterRef("pk"))
    new = list(eligible_people(cycle).exclude(Exists(listed)).values_list("pk", flat=True))
    Participant.objects.bulk_create(
        [Participant(cycle=cycle, user_id=pk, added_at=when) for pk in new],
        ignore_conflicts=True,  # another run added them in the meantime
    )
    return len(new)


def invite_participants(
    *,
    cycle: Cycle,
    when: datetime | None = None,
    progress: mail.Progress | None = None,
    seconds: float | None = None,
) -> Mailing:
    """Fix the cycle's participants and e-mail everyone not yet invited.

    People without a usable password get a one-time link that sets one; the others a
    note that the cycle is open. Nothing is sent for a cycle that is not open.

    With ``seconds``, the run ends within about that long, however slow the mail server
    (a web request must end before its worker is stopped): each wait on the server lasts
    at most ``WAIT_WITHIN_LIMIT`` seconds, and no mail is started once fewer than
    ``WAITS_PER_MAIL`` such waits are left, enough for a send that fails and the new
    connection after it. Those not reached are invited by the next run.
    """
    deadline = timeout = None
    if seconds is not None:
        timeout = min(settings.EMAIL_TIMEOUT or WAIT_WITHIN_LIMIT, WAIT_WITHIN_LIMIT)
        deadline = time.monotonic() + seconds - WAITS_PER_MAIL * timeout
    when = when or timezone.now()
    if not cycle.is_open(when):
        raise ValueError(f"{cycle} is not open, so nobody can answer it yet or any more.")
    added = add_participants(cycle=cycle, when=when)
    waiting = list(
        Participant.objects.filter(cycle=cycle, invited_at__isnull=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )

    tried = 0

    def messages():
        nonlocal tried
        for participant in waiting:
            if deadline is not None and time.monotonic() >= deadline:
                return
            tried += 1
            claimed = Participant.objects.filter(
                pk=participant.pk, invited_at__isnull=True, user__is_active=True
            ).update(invited_at=when)
            if not claimed:
                continue  # another run took it
            yield _invitation(cycle, participant.user), _keep_or_release_invitation(participant)

    outcome = mail.send_each(messages(), total=len(waiting), progress=progress, timeout=timeout)
    return Mailing(
        added=added,
        due=len(waiting),
        sent=outcome.sent,
        failed=outcome.failed,
        left=len(waiting) - tried,
    )


def resend_invitation(*, participant: Participant, when: datetime | None = None) -> bool:
    """Send one person's invitation again (a fresh link); returns whether it went out."""
    when = when or timezone.now()
    cycle = participant.cycle
    if not cycle.is_open(when) or not participant.user.is_active or not participant.user.email:
        return False
    outcome = mail.send_each([(_invitation(cycle, participant.user), lambda ok: None)], total=1)
    if outcome.sent:
        Participant.objects.filter(pk=participant.pk).update(invited_at=when)
    return bool(outcome.sent)


def _invitation(cycle: Cycle, user):
    context = {"cycle": cycle, "person": user, "closes_at": cycle.closes_at}
    if user.has_usable_password():
        context["link"] = mail.site_link(reverse("assessments:response-edit", args=[cycle.pk]))
        return mail.compose(template="cycle_open", to=user.email, context=context)
    context["link"] = invitation_link(cycle=cycle, user=user)
    context["days"] = settings.LVM_INVITATION_DAYS
    return mail.compose(template="invitation", to=user.email, context=context)


def _keep_or_release_invitation(participant: Participant):
    def done(ok: bool) -> None:
        if not ok:
            Participant.objects.filter(pk=participant.pk).update(invited_at=None)

    return done


# --- reminders ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRules:
    """When a reminder is due: every ``every_days`` at most and ``at_most`` in all; in the
    last ``last_call_hours`` before closing, a day after the previous mail at the earliest.
    """

    every_days: int = 3
    at_most: int = 3
    last_call_hours: int = 24

    @classmethod
    def from_settings(cls) -> ReminderRules:
        return cls(
            every_days=settings.LVM_REMINDER_EVERY_DAYS,
            at_most=settings.LVM_REMINDER_MAX,
            last_call_hours=settings.LVM_REMINDER_LAST_CALL_HOURS,
        )

    def due(self, *, last_mail: datetime, closes_at: datetime, when: datetime) -> bool:
        """Whether someone last mailed at ``last_mail`` gets a reminder at ``when``."""
        since = when - last_mail
        if closes_at - when <= timedelta(hours=self.last_call_hours):
            # The last call may come sooner than the interval, but never within a day
            # of the previous mail (the invitation included).
            return since >= timedelta(days=1)
        return since >= timedelta(days=self.every_days)


def _submitted():
    return Response.objects.filter(
        cycle=OuterRef("cycle"),
        respondent=OuterRef("user"),
        status=Response.Status.SUBMITTED,
    )


def waiting_participants(*, when: datetime, rules: ReminderRules):
    """Participants of open cycles, invited, not yet submitted, with reminders left."""
    return (
        Participant.objects.filter(
            cycle__in=Cycle.objects.open_at(when),
            invited_at__isnull=False,
            reminders_sent__lt=rules.at_most,
            user__is_active=True,
        )
        .exclude(user__email="")
        .exclude(Exists(_submitted()))
        .select_related("user", "cycle")
        .order_by("cycle_id", "pk")
    )


def send_reminders(
    *,
    when: datetime | None = None,
    rules: ReminderRules | None = None,
    progress: mail.Progress | None = None,
    dry_run: bool = False,
) -> Mailing:
    """E-mail every participant of an open cycle who has not submitted and is due."""
    when = when or timezone.now()
    rules = rules or ReminderRules.from_settings()
    due = [
        participant
        for participant in waiting_participants(when=when, rules=rules)
        if rules.due(
            last_mail=max(filter(None, [participant.invited_at, participant.last_reminded_at])),
            closes_at=participant.cycle.closes_at,
            when=when,
        )
    ]
    if dry_run:
        return Mailing(
            added=0,
            due=len(due),
            sent=0,
            failed=(),
            would_send=tuple(f"{p.user.email} ({p.cycle.name})" for p in due),
        )

    def messages():
        for participant in due:
            before = participant.reminders_sent
            # Claimed only if nobody reminded them meanwhile and they are still waiting:
            # during a long batch, people submit and imports deactivate.
            claimed = (
                Participant.objects.filter(
                    Q(last_reminded_at=participant.last_reminded_at)
                    if participant.last_reminded_at
                    else Q(last_reminded_at__isnull=True),
                    pk=participant.pk,
                    reminders_sent=before,
                    user__is_active=True,
                )
                .exclude(Exists(_submitted()))
                .update(reminders_sent=F("reminders_sent") + 1, last_reminded_at=when)
            )
            if not claimed:
                continue  # another run reminded them just now
            yield (
                _reminder(participant, last=before + 1 >= rules.at_most),
                _release_reminder(participant),
            )

    outcome = mail.send_each(messages(), total=len(due), progress=progress)
    return Mailing(added=0, due=len(due), sent=outcome.sent, failed=outcome.failed)


def _reminder(participant: Participant, *, last: bool):
    cycle, user = participant.cycle, participant.user
    if user.has_usable_password():
        link = mail.site_link(reverse("assessments:response-edit", args=[cycle.pk]))
    else:
        link = invitation_link(cycle=cycle, user=user)
    context = {
        "cycle": cycle,
        "person": user,
        "closes_at": cycle.closes_at,
        "link": link,
        "needs_password": not user.has_usable_password(),
        "days": settings.LVM_INVITATION_DAYS,
        "last": last,
        # Saved answers to carry on with, or nothing yet (a reminder goes to those who
        # have not submitted).
        "started": Response.objects.filter(cycle=cycle, respondent=user).exists(),
    }
    return mail.compose(template="reminder", to=user.email, context=context)


def _release_reminder(participant: Participant):
    def done(ok: bool) -> None:
        if not ok:
            Participant.objects.filter(pk=participant.pk).update(
                reminders_sent=participant.reminders_sent,
                last_reminded_at=participant.last_reminded_at,
            )

    return done
