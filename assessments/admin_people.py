"""The people import in the admin: HR uploads the HR system's CSV, previews it, confirms.

An upload with problems lists them on the upload page and stores nothing. A good file is
stored as a PeopleImport and its preview shown: who is created, changed, reactivated and
deactivated. The preview is worked out again on confirmation, inside the transaction that
applies it; if the database changed meanwhile so that the import would do something else,
the new preview is shown instead. Applied imports stay as a read-only record, with their
file. The employee records the imports keep are read-only here too.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import slugify

from .admin import ViewOnlyAdmin, person_label
from .admin_guards import BadDatesAreBadFilters
from .models import Employee, PeopleImport
from .people_csv import PeopleFileError
from .services import people
from .services.people import MAX_SHOWN, PeoplePlan


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


class PeopleFileForm(forms.Form):
    file = forms.FileField(label="People file")
    full = forms.BooleanField(
        label="This file lists everyone",
        required=False,
        initial=True,
        help_text="Leave this ticked for a full export: people from earlier imports who are "
        "not in the file are deactivated (they keep their responses and can no longer log "
        "in). Untick it for a file with only some people in it: nobody is deactivated.",
    )

    def __init__(self, *args, max_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_size = max_size
        self.fields["file"].help_text = (
            "A CSV file in UTF-8 with a header row, as exported by the HR system "
            f"(at most {_megabytes(max_size)})."
        )

    def clean_file(self) -> str:
        """The file's text; a file that is not UTF-8 CSV is refused with how to save one."""
        upload = self.cleaned_data["file"]
        if upload.size > self.max_size:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB, more than the "
                f"{_megabytes(self.max_size)} an upload may have. Import a bigger file on "
                "the server with the import_people command (python manage.py import_people "
                "FILE; see “Importing people” in the README)."
            )
        self.filename = upload.name
        try:
            return people.read_people_file(upload.read())
        except PeopleFileError as exc:
            raise ValidationError(str(exc)) from exc


@admin.register(PeopleImport)
class PeopleImportAdmin(BadDatesAreBadFilters, admin.ModelAdmin):
    """Uploads and their outcome. Nothing is edited here: an import is applied or not."""

    list_display = ["filename", "uploaded_by", "created_at", "full", "status", "outcome"]
    list_filter = ["full"]
    list_select_related = ["uploaded_by"]
    search_fields = ["filename"]
    date_hierarchy = "created_at"
    fields = [
        "filename",
        "full",
        "uploaded_by",
        "created_at",
        "applied_at",
        "outcome",
        "deactivated_people",
        "new_teams",
        "download",
    ]
    readonly_fields = fields
    change_list_template = "admin/assessments/peopleimport/change_list.html"
    upload_template = "admin/assessments/peopleimport/upload.html"
    preview_template = "admin/assessments/peopleimport/preview.html"
    # 10,000 people take about 1 MB, so this is some 50,000 people. The file is parsed in
    # the request, at upload and again at preview and confirmation (about a second per
    # MB): a bigger one would keep the page waiting, and belongs to the command.
    max_upload_size = 5 * 1024 * 1024

    def get_queryset(self, request):
        # The lists and record pages never show the file itself, which may be megabytes.
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An applied import is the record of who was changed and why.
        applied = obj is not None and obj.applied_at is not None
        return not applied and super().has_delete_permission(request, obj)

    # The database checks "not applied" as it deletes: an import applied in the meantime
    # (its apply holds the row until it commits) is kept.
    def delete_model(self, request, obj):
        PeopleImport.objects.filter(pk=obj.pk, applied_at__isnull=True).delete()

    def delete_queryset(self, request, queryset):
        queryset.filter(applied_at__isnull=True).delete()

    def response_delete(self, request, obj_display, obj_id):
        if PeopleImport.objects.filter(pk=obj_id).exists():  # applied meanwhile: kept
            self.message_user(
                request,
                f"{obj_display} was applied meanwhile, so it was kept: an applied import "
                "is the record of who was changed.",
                messages.ERROR,
            )
            return redirect("admin:assessments_peopleimport_changelist")
        return super().response_delete(request, obj_display, obj_id)

    @admin.display(description="status", ordering="applied_at")
    def status(self, obj):
        if obj.applied_at:
            return f"Applied {date_format(timezone.localtime(obj.applied_at), 'DATETIME_FORMAT')}"
        url = reverse("admin:assessments_peopleimport_preview", args=[obj.pk])
        return format_html('Not applied: <a href="{}">preview</a>', url)

    @admin.display(description="outcome")
    def outcome(self, obj):
        """The counts that are not zero, short enough for the list's column."""
        summary = obj.summary or {}
        if not obj.applied_at or not summary:
            return "–"
        parts = [f"{summary[key]:,} {label}" for key, label in OUTCOME_COUNTS if summary.get(key)]
        teams = len(summary.get("new_teams", []))
        if teams:
            parts.append(f"{teams:,} new team{'s' if teams != 1 else ''}")
        return ", ".join(parts) or "no changes"

    @admin.display(description="deactivated")
    def deactivated_people(self, obj):
        return ", ".join((obj.summary or {}).get("deactivated_people", [])) or "–"

    @admin.display(description="new teams")
    def new_teams(self, obj):
        return ", ".join((obj.summary or {}).get("new_teams", [])) or "–"

    @admin.display(description="file")
    def download(self, obj):
        url = reverse("admin:assessments_peopleimport_file", args=[obj.pk])
        return format_html('<a href="{}">Download {}</a>', url, obj.filename)

    def get_urls(self):
        # Before the default URLs: their "<object_id>/" would swallow these.
        own = [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="assessments_peopleimport_preview",
            ),
            path(
                "<path:object_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="assessments_peopleimport_file",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def _stored(self, request, object_id) -> PeopleImport:
        stored = self.get_object(request, unquote(object_id))
        if stored is None:
            raise Http404("No such import.")
        return stored

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # An import not yet applied is looked at through its preview.
        stored = self.get_object(request, unquote(object_id))
        if stored is not None and stored.applied_at is None and self.has_add_permission(request):
            return redirect("admin:assessments_peopleimport_preview", stored.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        """The upload form; a good file is stored and its preview shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        plan = None
        if request.method == "POST":
            form = PeopleFileForm(request.POST, request.FILES, max_size=self.max_upload_size)
            if form.is_valid():
                content, full = form.cleaned_data["file"], form.cleaned_data["full"]
                plan = people.plan_people(content=content, full=full, importing_user=request.user)
                if plan.ok:
                    # Previews nobody applied within a day are dropped, not kept forever.
                    PeopleImport.objects.filter(
                        applied_at__isnull=True,
                        created_at__lt=timezone.now() - STALE_PREVIEW,
                    ).delete()
                    stored = PeopleImport.objects.create(
                        filename=form.filename[:255],
                        content=content,
                        full=full,
                        uploaded_by=request.user,
                    )
                    return redirect("admin:assessments_peopleimport_preview", stored.pk)
        else:
            form = PeopleFileForm(max_size=self.max_upload_size)
        context = self._context(
            request,
            title="Import people from a CSV file",
            form=form,
            plan=plan,
            errors=plan.shown_errors() if plan else [],
            filename=getattr(form, "filename", ""),
        )
        return TemplateResponse(request, self.upload_template, context)

    def preview_view(self, request, object_id):
        """What a stored import would do (GET), or apply it (POST) if that is still so."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        stored = self._stored(request, object_id)
        if stored.applied_at is not None:
            self.message_user(request, f"{stored.filename} has been imported already.")
            return redirect("admin:assessments_peopleimport_change", stored.pk)
        confirm_missing = False
        if request.method == "POST":
            try:
                plan = people.apply_people_import(
                    people_import=stored,
                    importing_user=request.user,
                    expected_digest=request.POST.get("digest", ""),
                    # Deactivating needs its own tick: a file meant to list only some
                    # people, uploaded as listing everyone, would lock everybody else out.
                    deactivations_confirmed=bool(request.POST.get(CONFIRM_DEACTIVATIONS)),
                )
            except people.PlanChanged as exc:
                plan = exc.plan
                self.message_user(request, PLAN_CHANGED, messages.WARNING)
            except people.DeactivationsUnconfirmed as exc:
                plan, confirm_missing = exc.plan, True
                self.message_user(
                    request,
                    "Nothing was imported: tick the box at the end of the page to confirm "
                    "the deactivations first.",
                    messages.ERROR,
                )
            except people.PeopleImportError as exc:
                plan = exc.plan
            except people.AlreadyApplied:
                self.message_user(request, f"{stored.filename} has been imported already.")
                return redirect("admin:assessments_peopleimport_changelist")
            except IntegrityError:
                # Someone added an account with one of the file's addresses meanwhile.
                plan = people.plan_people(
                    content=stored.content, full=stored.full, importing_user=request.user
                )
                self.message_user(
                    request,
                    "Accounts changed while the import ran, so nothing was imported. "
                    "This is what it would do now: confirm again if it is right.",
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request, f"Imported {stored.filename}: {plan.describe()}", messages.SUCCESS
                )
                return redirect("admin:assessments_peopleimport_changelist")
        else:
            plan = people.plan_people(
                content=stored.content, full=stored.full, importing_user=request.user
            )
        context = self._context(
            request,
            title=f"Preview of {stored.filename}",
            confirm_missing=confirm_missing,
            confirm_name=CONFIRM_DEACTIVATIONS,
            stored=stored,
            plan=plan,
            errors=plan.shown_errors(),
            sections=_sections(plan),
            can_discard=self.has_delete_permission(request, stored),
        )
        return TemplateResponse(request, self.preview_template, context)

    def file_view(self, request, object_id):
        """The file as it was uploaded, for whoever may see the import."""
        stored = self._stored(request, object_id)
        if not self.has_view_permission(request, stored):
            raise PermissionDenied
        response = HttpResponse(stored.content, content_type="text/csv; charset=utf-8")
        name = slugify(stored.filename.rsplit(".", 1)[0]) or "people"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


# An applied import's counts in the list, in this order (zeros left out).
OUTCOME_COUNTS = (
    ("created", "new"),
    ("changed", "changed"),
    ("reactivated", "reactivated"),
    ("deactivated", "deactivated"),
    ("unchanged", "unchanged"),
)

PLAN_CHANGED = (
    "People or teams changed in LVM since this preview was made, so the import would now "
    "do something else. This is what it would do now: confirm again if it is right."
)

# A preview not applied for this long is deleted when the next file is uploaded.
STALE_PREVIEW = timedelta(days=1)

# The preview's tick box that confirms the deactivations an import makes.
CONFIRM_DEACTIVATIONS = "confirm_deactivations"


def _sections(plan: PeoplePlan) -> list[dict]:
    """The preview's lists, each with a heading, a sentence and at most MAX_SHOWN people."""
    sections = [
        (
            "created",
            f"{_people(len(plan.created))} will be added",
            "Each gets an account without a password, and sets one from their invitation.",
            plan.created,
        ),
        ("changed", f"{_people(len(plan.changed))} will change", "", plan.changed),
        (
            "reactivated",
            f"{_people(len(plan.reactivated))} will be reactivated",
            "An earlier import deactivated them; they can log in again.",
            plan.reactivated,
        ),
        (
            "deactivated",
            f"{_people(len(plan.deactivated))} will be deactivated",
            f"{_people(len(plan.deactivated))} from earlier imports "
            f"{'is' if len(plan.deactivated) == 1 else 'are'} not in this file and will be "
            "deactivated: they keep their responses and can no longer log in. They leave "
            "their teams.",
            plan.deactivated,
        ),
        (
            "spared",
            f"{_people(len(plan.spared))} not in this file will stay active",
            "",
            plan.spared,
        ),
        (
            "still-inactive",
            f"{_people(len(plan.still_inactive))} in this file will stay inactive",
            "",
            plan.still_inactive,
        ),
    ]
    return [
        {
            "id": key,
            "heading": heading,
            "note": note,
            "entries": [str(entry) for entry in entries[:MAX_SHOWN]],
            "more": max(0, len(entries) - MAX_SHOWN),
        }
        for key, heading, note, entries in sections
        if entries
    ]


@admin.register(Employee)
class EmployeeAdmin(ViewOnlyAdmin):
    """The people imports manage, with the HR system's ids: written by imports only."""

    list_display = ["employee_id", "person", "active", "imported_at", "deactivated_at"]
    list_filter = ["user__is_active"]
    search_fields = [
        "employee_id",
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
    ]
    list_select_related = ["user"]
    fields = ["user", "employee_id", "imported_at", "deactivated_at", "teams"]
    readonly_fields = fields

    @admin.display(description="person", ordering="user__last_name")
    def person(self, obj):
        return person_label(obj.user)

    @admin.display(description="active", boolean=True, ordering="user__is_active")
    def active(self, obj):
        return obj.user.is_active

    @admin.display(description="teams")
    def teams(self, obj):
        memberships = obj.user.memberships.select_related("team")
        return (
            ", ".join(
                m.team.name + (" (manager)" if m.role == m.Role.MANAGER else "")
                for m in memberships
            )
            or "–"
        )
