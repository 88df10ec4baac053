"""The questionnaire form (one page of answers and what the person wants to do next), the
action plan form, the log-in form and the password reset form."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    SetPasswordForm,
    UsernameField,
)
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.exceptions import ValidationError
from django.utils import timezone

ANSWER_FIELD = re.compile(r"q(\d{1,18})")
ACTIONS = ("save", "next", "previous", "submit")
GOTO = re.compile(r"goto-(\d{1,6})")


class AnswersForm(forms.Form):
    """The answers posted from one page of a questionnaire.

    Each statement is a field named ``q<question id>``; the fields are made from what
    was posted, and the service checks that every id belongs to the cycle's
    questionnaire. With a scale, values outside it are refused here already.
    """

    page = forms.IntegerField(required=False, min_value=1)
    action = forms.CharField(required=False, max_length=20)
    owner = forms.CharField(required=False)

    def __init__(self, data, *, scale: tuple[int, int] | None = None):
        super().__init__(data)
        low, high = scale or (None, None)
        message = (
            f"Answers must be between {low} and {high}."
            if scale
            else "The form contained an answer that is not valid."
        )
        errors = {key: message for key in ("invalid", "min_value", "max_value")}
        self.malformed = False
        for key in data:
            if not key.startswith("q"):
                continue
            if not ANSWER_FIELD.fullmatch(key) or len(data.getlist(key)) != 1:
                self.malformed = True
                continue
            self.fields[key] = forms.IntegerField(
                required=False, min_value=low, max_value=high, error_messages=errors
            )

    def clean(self):
        if self.malformed:
            raise ValidationError("The form contained an answer that is not valid.")
        return super().clean()

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def clean_action(self) -> str:
        action = self.cleaned_data["action"] or "save"
        if action not in ACTIONS and not GOTO.fullmatch(action):
            raise ValidationError("The form asked for something that is not possible.")
        return action

    @property
    def answers(self) -> dict[int, int]:
        """{question id: value} for every statement answered; call after ``is_valid``."""
        return {
            int(name[1:]): value
            for name, value in self.cleaned_data.items()
            if ANSWER_FIELD.fullmatch(name) and value is not None
        }

    @property
    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), "")


def next_page(action: str, page: int) -> int:
    """The page to show after ``action`` was asked for on ``page``."""
    goto = GOTO.fullmatch(action)
    if goto:
        return max(1, int(goto.group(1)))
    return max(1, page + {"next": 1, "previous": -1}.get(action, 0))


class SummarisedErrors:
    """A form whose page sums up its errors at the top (includes/_form_error_summary.html).

    Once the form has errors the summary takes the focus, so no field may ask for it too:
    a page has one ``autofocus`` at most.
    """

    def full_clean(self):
        super().full_clean()
        if self._errors:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)


class ActionPlanForm(SummarisedErrors, forms.Form):
    """A team's action plan after a cycle: up to three dimensions, what to try, by when."""

    focus = forms.MultipleChoiceField(
        label="Focus dimensions (up to three)",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one dimension to work on."},
    )
    actions = forms.CharField(
        label="What the team will try",
        max_length=2000,
        error_messages={"required": "Write what the team will try."},
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few concrete steps the team agrees on, in your own words.",
    )
    due = forms.DateField(
        label="By when",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the date to look back at it together.",
    )

    def __init__(self, *args, choices: tuple[tuple[str, str], ...], limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fields["focus"].choices = choices

    def clean_due(self):
        """A date the team can look back at: not centuries off (a typo such as 0026 for 2026,
        or a hand-made form). A past date stays possible: a plan outlives its due date."""
        due = self.cleaned_data["due"]
        if due is not None and abs((due - timezone.localdate()).days) > 5 * 366:
            raise ValidationError("Choose a date within five years of today.")
        return due

    def clean_focus(self) -> list[str]:
        focus = list(dict.fromkeys(self.cleaned_data["focus"]))  # a hand-made repeat counts once
        if len(focus) > self.limit:
            raise ValidationError(
                f"Choose at most {self.limit} dimensions, so the team can focus."
            )
        return focus


class LoginForm(AuthenticationForm):
    """Django's log-in form, asking for an e-mail address or a username.

    The backend (assessments.backends) reads either. The field keeps Django's
    ``autocomplete="username"``, so password managers still fill it in.
    """

    username = UsernameField(
        label="E-mail or username",
        widget=forms.TextInput(attrs={"autofocus": True, "spellcheck": "false"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter a correct e-mail address or username, and its password. "
            "Passwords and usernames are case-sensitive; e-mail addresses are not."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django sizes the field for a username (150); an e-mail address may be longer.
        self.fields["username"].widget.attrs["maxlength"] = 254


class ChangePasswordForm(SummarisedErrors, PasswordChangeForm):
    """Django's form for changing one's password, its errors summed up at the top, in
    plainer words than Django's ("Old password", "New password confirmation")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password2"].help_text = "Type the new password a second time."


class ChoosePasswordForm(SummarisedErrors, SetPasswordForm):
    """Django's form for a new password (an invitation's or a reset link's), with the
    cursor in its first field: the page asks for nothing else."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget.attrs["autofocus"] = True


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's log-in form: an e-mail address or a username, of a staff account."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the e-mail address or username and the password of a staff "
            "account. Passwords and usernames are case-sensitive; e-mail addresses are not."
        ),
    }


def _same_address(first: str, second: str) -> bool:
    """Whether two addresses are one, compared as Django's reset form compares them."""
    return (
        unicodedata.normalize("NFKC", first).casefold()
        == unicodedata.normalize("NFKC", second).casefold()
    )


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, which also sends a link to someone who has no password yet.

    Django skips accounts without a usable password; here that is everyone who was
    imported and has not yet followed their invitation, and whose invitation may have
    expired. The link then sets their first password, as the invitation would have.
    Inactive accounts still get nothing.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"  # the log-in page's spelling

    def get_users(self, email):
        User = get_user_model()
        field = User.get_email_field_name()
        active = User._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (user for user in active if _same_address(email, getattr(user, field)))
