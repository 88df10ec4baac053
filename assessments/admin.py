import time

import axes.admin  # noqa: F401 - registers the tables restricted below, whatever the app order
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Value, When
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst, slugify

from . import carelessness, csv_export, services
from .admin_guards import BadDatesAreBadFilters, SafeAutocompleteSelect, SafeRelations
from .backends import users_with_email
from .csv_export import csv_response
from .forms import AdminLoginForm
from .models import (
    Answer,
    Cycle,
    Dimension,
    DimensionScore,
    FlaggedResponse,
    Membership,
    Participant,
    Publication,
    Question,
    Questionnaire,
    Response,
    ScaleLabel,
    Team,
)
from .roles import roles

admin.site.site_header = "LVM administration"
# No side menu: the index lists every model, and lists such as the cycles need the width.
admin.site.enable_nav_sidebar = False
admin.site.site_title = "LVM admin"
admin.site.index_title = "Questionnaires, teams and cycles"
admin.site.login_form = AdminLoginForm

User = get_user_model()


def person_label(user) -> str:
    """A person as pickers show them: full name and e-mail (the username without a name)."""
    name = user.get_full_name() or user.get_username()
    return f"{name} <{user.email}>" if user.email else name


class PeopleByNameAutocomplete(AutocompleteJsonView):
    """The admin's autocomplete, offering people by full name and e-mail rather than by
    username: HR knows colleagues by name, and two Maria Silvas differ by e-mail."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, User):
            result["text"] = person_label(obj)
        return result


def _autocomplete_view(request):
    return PeopleByNameAutocomplete.as_view(admin_site=admin.site)(request)


# The site's own view serves every autocomplete; the site is Django's default, so this
# replaces the view on it rather than subclassing AdminSite.
admin.site.autocomplete_view = _autocomplete_view


class LabelledInlineFormSet(BaseInlineFormSet):
    """Names every input of a tabular inline for assistive technology.

    A tabular inline shows its labels as column headings, which do not name the inputs
    below them; each input gets an aria-label with the heading and its row instead.
    """

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            if field.widget.is_hidden:
                continue
            label = str(field.label or "")
            if index is not None:
                label += f", row {index + 1}"
            # The admin wraps a select of related rows; the wrapped one is what renders.
            getattr(field.widget, "widget", field.widget).attrs["aria-label"] = label


class NamedDateTimeInputs:
    """Django's date-and-time widget labels the pair, and "Date:" and "Time:" beside the
    inputs are plain text: each input gets an aria-label with the field's name instead."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, AdminSplitDateTime):
            name = capfirst(db_field.verbose_name)
            for part, label in zip(widget.widgets, ("date", "time"), strict=True):
                part.attrs["aria-label"] = f"{name}: {label}"
        return formfield


class SuperusersOnly:
    """Tables only a superuser sees, whatever permissions a group is given: account groups
    (rights) and the login throttling records (IP addresses and usernames)."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


def _superusers_only(model) -> None:
    """Register `model` again with its admin restricted to superusers (if it is registered:
    django-axes registers its tables only with AXES_ENABLE_ADMIN)."""
    if not admin.site.is_registered(model):
        return
    registered = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    restricted = type(f"SuperuserOnly{registered.__name__}", (SuperusersOnly, registered), {})
    admin.site.register(model, restricted)


for _model in (Group, AccessAttempt, AccessLog, AccessFailureLog):
    _superusers_only(_model)


def _answered(questionnaire: Questionnaire | None) -> bool:
    """Whether the questionnaire has answers; remembered for the rest of the request."""
    if questionnaire is None:
        return False
    if not hasattr(questionnaire, "_lvm_answered"):
        questionnaire._lvm_answered = questionnaire.has_answers()
    return questionnaire._lvm_answered


class FrozenOnceAnsweredInline(admin.TabularInline):
    """An inline of a questionnaire whose scored parts are frozen once anyone answered."""

    extra = 0
    formset = LabelledInlineFormSet
    frozen_fields: list[str] = []

    def get_readonly_fields(self, request, obj=None):
        return self.frozen_fields if _answered(obj) else []

    def has_add_permission(self, request, obj=None):
        return not _answered(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _answered(obj) and super().has_delete_permission(request, obj)


class ScaleLabelInline(FrozenOnceAnsweredInline):
    model = ScaleLabel
    frozen_fields = ["value", "label"]


class DimensionInline(FrozenOnceAnsweredInline):
    model = Dimension
    fields = ["order", "code", "name", "axis"]
    # Scores are stored per dimension and compared across cycles by code.
    frozen_fields = ["code", "axis"]
    show_change_link = True


class QuestionInline(FrozenOnceAnsweredInline):
    model = Question
    fields = ["order", "text", "dimension", "reverse_keyed", "is_active"]
    frozen_fields = ["text", "dimension", "reverse_keyed"]
    ordering = ["order", "id"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only the dimensions of the questionnaire being edited.
        if db_field.name == "dimension":
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Dimension.objects.filter(questionnaire_id=object_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "version",
        "scale_points",
        "question_count",
        "answered",
        "created_at",
    ]
    search_fields = ["name"]
    inlines = [ScaleLabelInline, DimensionInline, QuestionInline]
    actions = ["copy_as_new_version", "export_json"]
    # Adds "Import from a JSON file" next to "Add questionnaire".
    change_list_template = "admin/assessments/questionnaire/change_list.html"
    import_template = "admin/assessments/questionnaire/import.html"
    # A questionnaire file is a few dozen kilobytes; anything near this is not one.
    max_upload_size = 1024 * 1024

    class ImportForm(forms.Form):
        file = forms.FileField(
            label="Questionnaire file",
            help_text="A JSON file in the format of the export (at most 1 MB).",
        )

        def __init__(self, *args, max_size: int, **kwargs):
            super().__init__(*args, **kwargs)
            self.max_size = max_size

        def clean_file(self):
            """The file's questionnaire, checked in full; every problem is listed."""
            upload = self.cleaned_data["file"]
            if upload.size > self.max_size:
                raise ValidationError(
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                    f"{self.max_size // 1024 // 1024} MB. A questionnaire file is far smaller: "
                    "is this the right file?"
                )
            try:
                return services.parse_questionnaire_json(upload.read(), source=upload.name)
            except services.QuestionnaireFileError as exc:
                raise ValidationError(exc.problems) from exc

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _questions=Count("questions", filter=Q(questions__is_active=True)),
                _answered=Exists(Answer.objects.filter(question__questionnaire=OuterRef("pk"))),
            )
        )

    @admin.display(description="active questions", ordering="_questions")
    def question_count(self, obj):
        return obj._questions

    @admin.display(description="answered (wording frozen)", boolean=True, ordering="_answered")
    def answered(self, obj):
        return obj._answered

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and _answered(obj):
            latest = Questionnaire.objects.filter(name=obj.name).aggregate(v=Max("version"))["v"]
            context["frozen"] = {"next_name": f"{obj.name} (v{latest + 1})"}
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_readonly_fields(self, request, obj=None):
        return ["scale_points"] if _answered(obj) else []

    @admin.action(description="Copy as a new version (to change frozen wording)")
    def copy_as_new_version(self, request, queryset):
        copies = [services.copy_as_new_version(questionnaire) for questionnaire in queryset]
        for copy in copies:
            url = reverse("admin:assessments_questionnaire_change", args=[copy.pk])
            self.message_user(
                request,
                format_html(
                    'Created <a href="{}">{}</a>: no one has answered it, so all of it can be '
                    "edited.",
                    url,
                    copy,
                ),
                messages.SUCCESS,
            )
        if len(copies) == 1:
            return redirect(reverse("admin:assessments_questionnaire_change", args=[copies[0].pk]))
        return None

    @admin.action(description="Export as JSON (one questionnaire)")
    def export_json(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request,
                "Select exactly one questionnaire to export: each version is a file of its own.",
                messages.ERROR,
            )
            return None
        questionnaire = queryset.get()
        response = HttpResponse(
            services.questionnaire_to_json(questionnaire),
            content_type="application/json; charset=utf-8",
        )
        filename = f"{slugify(questionnaire.name) or 'questionnaire'}-v{questionnaire.version}"
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response

    def get_urls(self):
        # Before the default URLs: their "<object_id>/" would swallow "import/".
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="assessments_questionnaire_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request):
        """Upload a questionnaire file; it becomes a new version of its name."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = self.ImportForm(request.POST, request.FILES, max_size=self.max_upload_size)
        else:
            form = self.ImportForm(max_size=self.max_upload_size)
        if form.is_bound and form.is_valid():
            questionnaire = services.import_questionnaire(form.cleaned_data["file"])
            self.message_user(
                request, f"Imported {questionnaire} as a new version.", messages.SUCCESS
            )
            return redirect(
                reverse("admin:assessments_questionnaire_change", args=[questionnaire.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a questionnaire from a JSON file",
            "form": form,
        }
        return TemplateResponse(request, self.import_template, context)


@admin.register(Dimension)
class DimensionAdmin(SafeRelations, admin.ModelAdmin):
    list_display = ["name", "axis", "questionnaire", "order"]
    list_filter = ["axis", "questionnaire"]
    search_fields = ["name", "code", "description"]
    list_select_related = ["questionnaire"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.questionnaire.has_answers():
            return ["questionnaire", "code", "axis"]
        return []


@admin.register(Question)
class QuestionAdmin(SafeRelations, admin.ModelAdmin):
    list_display = ["text", "dimension", "reverse_keyed", "is_active", "order", "questionnaire"]
    list_filter = ["questionnaire", "dimension__axis", "reverse_keyed", "is_active"]
    search_fields = ["text"]
    list_select_related = ["dimension", "questionnaire"]
    ordering = ["questionnaire", "order"]


class PersonAutocompleteSelect(SafeAutocompleteSelect):
    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Shown in an empty picker, and its only name for screen readers (select2's box
        # is not tied to the field's label).
        attrs["data-placeholder"] = "Type a name or e-mail"
        return attrs


class PersonPicker(SafeRelations):
    """Membership forms offer people by full name and e-mail (see PeopleByNameAutocomplete
    for the names found while typing)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs.setdefault(
                "widget",
                PersonAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and field is not None:
            field.label_from_instance = person_label
        return field


class MembershipInline(PersonPicker, admin.TabularInline):
    model = Membership
    extra = 1
    formset = LabelledInlineFormSet
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "managers"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        # "View on site" opens the team's dashboard, which is a 404 to anyone who neither
        # sees the organisation's figures nor manages the team.
        response = super().render_change_form(request, context, *args, obj=obj, **kwargs)
        if obj is not None and not self._sees_dashboard(request.user, obj):
            response.context_data["has_absolute_url"] = False
        return response

    @staticmethod
    def _sees_dashboard(user, team) -> bool:
        return (
            roles(user).sees_organisation
            or team.memberships.filter(user=user, role=Membership.Role.MANAGER).exists()
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_members=Count("memberships"))
            .prefetch_related("memberships__user")
        )

    @admin.display(description="members", ordering="_members")
    def member_count(self, obj):
        return obj._members

    @admin.display(description="managers")
    def managers(self, obj):
        return ", ".join(
            m.user.get_username()
            for m in obj.memberships.all()
            if m.role == Membership.Role.MANAGER
        )


@admin.register(Membership)
class MembershipAdmin(PersonPicker, admin.ModelAdmin):
    list_display = ["person", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "team__name",
    ]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "team"]

    @admin.display(description="person", ordering="user__first_name")
    def person(self, obj):
        return person_label(obj.user)


class CycleStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return CycleAdmin.STATUSES.items()

    def queryset(self, request, queryset):
        value = self.value()
        if value not in CycleAdmin.STATUSES:
            return queryset
        now = timezone.now()
        return queryset.filter(
            {
                "upcoming": Q(opens_at__gt=now),
                "open": Q(opens_at__lte=now, closes_at__gt=now),
                "closed": Q(closes_at__lte=now),
            }[value]
        )


@admin.register(Cycle)
class CycleAdmin(BadDatesAreBadFilters, SafeRelations, NamedDateTimeInputs, admin.ModelAdmin):
    # What HR looks for first comes first; the questionnaire's long name goes last, so
    # that the dates stay in view beside the filters at 1280 px.
    list_display = [
        "name",
        "status",
        "submitted_count",
        "draft_count",
        "opens_at",
        "closes_at",
        "group_size",
        "questionnaire",
    ]
    list_filter = [CycleStatusFilter, "questionnaire", "show_while_open", "leave_out_careless"]
    list_select_related = ["questionnaire"]
    search_fields = ["name"]
    date_hierarchy = "opens_at"
    autocomplete_fields = ["teams"]
    actions = ["invite_participants"]
    # In the order they come: sorting by status puts upcoming cycles first.
    STATUSES = {"upcoming": "Upcoming", "open": "Open", "closed": "Closed"}

    def get_queryset(self, request):
        now = timezone.now()
        return (
            super()
            .get_queryset(request)
            .annotate(
                _status=Case(
                    When(opens_at__gt=now, then=Value(0)),
                    When(closes_at__gt=now, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                ),
                _submitted=Count(
                    "responses", filter=Q(responses__status=Response.Status.SUBMITTED)
                ),
                _drafts=Count("responses", filter=Q(responses__status=Response.Status.DRAFT)),
            )
        )

    @admin.display(description="min. group", ordering="min_group_size")
    def group_size(self, obj):
        """The minimum group size, under a heading short enough for the list to fit 1280 px
        (whether figures show while open is a filter beside it)."""
        return obj.min_group_size

    @admin.display(description="status", ordering="_status")
    def status(self, obj):
        return list(self.STATUSES.values())[obj._status]

    @admin.display(description="submitted", ordering="_submitted")
    def submitted_count(self, obj):
        return obj._submitted

    @admin.display(description="in progress", ordering="_drafts")
    def draft_count(self, obj):
        return obj._drafts

    def get_readonly_fields(self, request, obj=None):
        # Answers already given belong to this questionnaire's questions.
        if obj is not None and obj.responses.exists():
            return ["questionnaire"]
        return []

    # The action ends within about this long, for all the cycles chosen, however slow
    # the mail server (see services.invite_participants), then says how many are left:
    # the request must end before the server stops its worker (gunicorn's default: 30 s).
    mail_seconds = 25

    @admin.action(
        description="Invite participants (e-mail everyone not yet invited)",
        permissions=["change"],
    )
    def invite_participants(self, request, queryset):
        started = time.monotonic()
        for cycle in queryset:
            if not cycle.is_open():
                self.message_user(
                    request,
                    f"{cycle} is not open, so nobody was invited to it. Invitations go "
                    "out while a cycle is open: between its opening and closing times.",
                    messages.ERROR,
                )
                continue
            left = max(0.0, self.mail_seconds - (time.monotonic() - started))
            mailing = services.invite_participants(cycle=cycle, seconds=left)
            self.message_user(request, _mailing_message(cycle, mailing), _level(mailing))


def _mailing_message(cycle, mailing) -> str:
    text = (
        f"{cycle}: {mailing.added} people added to the participants; "
        f"{mailing.sent} invitations sent."
    )
    if not mailing.due:
        text += " Everyone on the list had already been invited."
    if mailing.failed:
        text += (
            f" {len(mailing.failed)} could not be sent (the mail server refused them or was "
            "unreachable; see the log). Run the action again to retry them."
        )
    if mailing.left:
        text += (
            f" {mailing.left} not tried yet: run the action again to send them (for "
            "thousands of people, the invite_participants command sends them all in one go)."
        )
    return text


def _level(mailing) -> int:
    return messages.WARNING if mailing.failed or mailing.left else messages.SUCCESS


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes; people with the view permission may read them, no more."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(ViewOnlyAdmin):
    """Publications are made by the application (on the first read after a cycle closes,
    or by ``manage.py publish_results``) and never edited: they are read-only here."""

    list_display = ["cycle", "step", "is_final", "published_at", "counted", "submitted", "k"]
    list_filter = ["is_final"]
    list_select_related = ["cycle"]


@admin.register(Participant)
class ParticipantAdmin(ViewOnlyAdmin):
    """Who takes part in each cycle, and when they were invited.

    Nothing here may tell who has answered: reminders stop when someone submits, so
    their count and date are shown to superusers only. HR sees participation per team,
    as counts, on the participation page.
    """

    # Shown to superusers only: reminders stop when someone submits, and someone who has
    # never chosen a password cannot have answered.
    REMINDERS = ("password_chosen", "reminders_sent", "last_reminded_at")
    list_display = ["person", "cycle", "invited_at", *REMINDERS]
    list_filter = ["cycle"]
    list_select_related = ["user", "cycle"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "user__username"]
    actions = ["resend_invitation"]

    @admin.display(description="person", ordering="user__last_name")
    def person(self, obj):
        return person_label(obj.user)

    @admin.display(description="password chosen", boolean=True)
    def password_chosen(self, obj):
        """Whether the invitation's link has been used (or the account had a password)."""
        return obj.user.has_usable_password()

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if request.user.is_superuser:
            return shown
        return [field for field in shown if field not in self.REMINDERS]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return [field for field in fields if field not in self.REMINDERS]

    def get_sortable_by(self, request):
        return self.get_list_display(request)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("assessments.change_participant")

    @admin.action(description="Re-send the invitation", permissions=["resend"])
    def resend_invitation(self, request, queryset):
        sent = failed = 0
        for participant in queryset.select_related("user", "cycle"):
            if services.resend_invitation(participant=participant):
                sent += 1
            else:
                failed += 1
        if sent:
            self.message_user(
                request,
                f"Sent again to {sent} {'person' if sent == 1 else 'people'}: a link to "
                "choose a password for anyone who has none yet, else the cycle's link.",
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                f"{failed} not sent: the cycle is not open, the person is deactivated or "
                "has no e-mail address, or the mail server refused it (see the log).",
                messages.WARNING,
            )


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under a response, never edited: they are what the person gave."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.fields[0])


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ["question", "value"]
    ordering = ["question__order", "question_id"]


class DimensionScoreInline(ReadOnlyInline):
    model = DimensionScore
    fields = ["dimension", "score"]
    ordering = ["dimension__order", "dimension_id"]


class CarelessFilter(admin.SimpleListFilter):
    """Submitted responses with careless-response flags: any, one in particular, or none."""

    title = "flagged as careless"
    parameter_name = "careless"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Yes (any flag)"),
            *carelessness.FLAG_LABELS.items(),
            ("no", "No"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.exclude(flags="")
        if value == "no":
            return queryset.filter(status=Response.Status.SUBMITTED, flags="")
        if value in carelessness.FLAG_LABELS:
            # Whole codes only: no code is part of another (see carelessness.Flag).
            return queryset.filter(flags__contains=value)
        return queryset


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Read-only: responses are written by the people who answer, never by hand.

    The careless-response indicators are shown here, to whoever may read responses
    (superusers); employees never see them.
    """

    list_display = [
        "respondent",
        "cycle",
        "status",
        "leadership_score",
        "management_score",
        "balance",
        "submitted_at",
        "careless_flags",
    ]
    list_filter = ["status", CarelessFilter, "cycle", "profile"]
    search_fields = ["respondent__username", "respondent__first_name", "respondent__last_name"]
    list_select_related = ["respondent", "cycle"]
    inlines = [DimensionScoreInline, AnswerInline]
    # The result page shows the signed-in person's own result, never someone else's.
    view_on_site = False
    actions = ["export_csv", "delete_selected"]

    def get_readonly_fields(self, request, obj=None):
        # The stored flag codes are shown in words instead.
        fields = [f.name for f in Response._meta.fields if f.name != "flags"]
        return [*fields, "careless_flags"]

    @admin.display(description="careless-response flags")
    def careless_flags(self, obj):
        if obj.longest_run is None:
            return "–"  # a draft, or submitted before the indicators existed
        return "; ".join(carelessness.flag_labels(obj.flags)) or "None"

    def has_module_permission(self, request):
        # HR may erase responses (from the user list) but not read them: without this the
        # admin's index would list "Responses" for them as a row that leads nowhere.
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.delete_responses(Response.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.delete_responses(queryset)

    @admin.action(description="Export selected responses as CSV")
    def export_csv(self, request, queryset):
        rows = csv_export.response_rows(queryset.select_related("respondent", "cycle"))
        return csv_response("lvm-responses.csv", rows)


@admin.register(FlaggedResponse)
class FlaggedResponseAdmin(ViewOnlyAdmin):
    """HR's list of submitted responses with careless-response flags, without any answer
    or score: who, which cycle, which flags and the measures behind them."""

    list_display = [
        "respondent",
        "cycle",
        "submitted_at",
        "careless_flags",
        "longest_run",
        "seconds_to_submit",
        "reverse_inconsistency",
    ]
    fields = list_display
    list_filter = [CarelessFilter, "cycle"]
    search_fields = ["respondent__username", "respondent__first_name", "respondent__last_name"]
    list_select_related = ["respondent", "cycle"]
    actions = None
    view_on_site = False  # as for ResponseAdmin

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Response.Status.SUBMITTED)
            .exclude(flags="")
        )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    careless_flags = ResponseAdmin.careless_flags


admin.site.unregister(User)


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    formset = LabelledInlineFormSet
    fields = ["team", "role"]


class UniqueEmail:
    """Refuses an e-mail address that another account already has, in any capitals, and
    a username or address that is another account's address or username.

    People log in with their address, and the database's unique index would refuse the
    row anyway: this turns that into an error on the field instead of a server error.
    Log-in takes a username or an address, so one account's username may not be another
    account's address either (as the people import checks): which of the two would log
    in would depend on the capitals typed. Like the import, this checks a username or
    address that is new, so an old clash does not stop other edits of the account.
    """

    def _others(self, accounts):
        if self.instance.pk is not None:
            accounts = accounts.exclude(pk=self.instance.pk)
        return accounts

    def _is_new(self, name: str) -> bool:
        return self.instance.pk is None or name in self.changed_data

    def clean_username(self):
        # The add form checks usernames in any capitals; the change form has no check.
        own_check = getattr(super(), "clean_username", None)
        username = own_check() if own_check else self.cleaned_data.get("username", "")
        if username and self._is_new("username"):
            other = self._others(users_with_email(username)).first()
            if other is not None:
                raise ValidationError(
                    f"This is the e-mail address of the account “{other.get_username()}”. "
                    "People log in with a username or an address, so a username may not be "
                    "another account's address, whatever the capitals.",
                    code="unique",
                )
        return username

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        if not email:
            return email
        other = self._others(users_with_email(email)).first()
        if other is not None:
            written = "" if other.email == email else f" (written {other.email})"
            raise ValidationError(
                f"The account “{other.get_username()}” already uses this e-mail "
                f"address{written}. People log in with their address, so no two accounts "
                "may share one, whatever the capitals.",
                code="unique",
            )
        if self._is_new("email"):
            named = self._others(User._default_manager.filter(username__iexact=email)).first()
            if named is not None:
                raise ValidationError(
                    f"This is the username of the account “{named.get_username()}”. People "
                    "log in with a username or an address, so an address may not be another "
                    "account's username, whatever the capitals.",
                    code="unique",
                )
        return email


class UserChangeWithEmailForm(UniqueEmail, UserChangeForm):
    pass


class UserCreationWithEmailForm(UniqueEmail, AdminUserCreationForm):
    pass


@admin.register(User)
class LvmUserAdmin(UserAdmin):
    """People. HR (the "HR" group) may add and edit employees, never anyone's rights.

    Only a superuser may grant staff status, groups, permissions or superuser status, edit
    a staff account, set another person's password, or change the username or address of
    someone who has set a password or answered: otherwise HR could raise their own rights,
    or sign in as an employee (with a password reset sent to a new address) and read
    their results.
    """

    form = UserChangeWithEmailForm
    add_form = UserCreationWithEmailForm
    # The address is asked for from the start: it is what people log in with.
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    inlines = [UserMembershipInline]
    actions = ["erase_responses"]
    RIGHTS = ("is_staff", "is_superuser", "groups", "user_permissions")
    # Written by Django when someone joins or logs in; editing them would only falsify the
    # record (and their split date and time inputs have no label a screen reader can read).
    RECORDED = ("last_login", "date_joined")
    LOG_IN = ("username", "email")
    LOG_IN_LOCKED = (
        "Only an administrator can change this: this person has set a password or "
        "answered, and a new address could be used to reset their password."
    )

    def _log_in_locked(self, request, obj) -> bool:
        """Whether the account's username and address are for a superuser to change."""
        if obj is None or request.user.is_superuser:
            return False
        if not hasattr(obj, "_lvm_in_use"):
            obj._lvm_in_use = obj.has_usable_password() or obj.responses.exists()
        return obj._lvm_in_use

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in self.RIGHTS if f not in fields]
        if self._log_in_locked(request, obj):
            fields += [f for f in self.LOG_IN if f not in fields]
        return fields + [f for f in self.RECORDED if f not in fields]

    def get_form(self, request, obj=None, **kwargs):
        if self._log_in_locked(request, obj):
            # The admin shows a read-only field's help text from the form's Meta.
            kwargs["help_texts"] = {
                **dict.fromkeys(self.LOG_IN, self.LOG_IN_LOCKED),
                **kwargs.get("help_texts", {}),
            }
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        if (
            obj is not None
            and not request.user.is_superuser
            and (obj.is_staff or obj.is_superuser)
        ):
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied("Only an administrator can set another person's password.")
        return super().user_change_password(request, id, form_url)

    @admin.action(
        description="Erase the selected people's assessment responses (answers and scores)",
        permissions=["erase"],
    )
    def erase_responses(self, request, queryset):
        erased = sum(services.delete_responses_of(user=user) for user in queryset)
        self.message_user(
            request,
            f"Erased {erased} response{'s' if erased != 1 else ''} of {queryset.count()} "
            "people. Figures already published stay as they are: they are sums over at "
            "least k people, and changing them would reveal the erased scores.",
            messages.SUCCESS,
        )

    def has_erase_permission(self, request) -> bool:
        """Erasing responses is HR's job: it needs the right to delete responses, not users."""
        return request.user.has_perm("assessments.delete_response")


# The people import and employee records (their own module: the admin has grown long).
from . import admin_people  # noqa: E402, F401
