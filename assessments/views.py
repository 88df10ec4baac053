"""Thin views: check access, call a query or a service, render one dataclass."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from . import charts, csv_export, services
from .csv_export import csv_response
from .forms import AnswersForm, next_page
from .queries import own


@never_cache
@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    page = own.home_page(user=request.user)
    return render(request, "assessments/home.html", {"page": page, "nav_section": "home"})


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "error.html", {"status": status, "title": title, "text": text}, status=status
    )


def bad_request(request, exception=None):
    return _error(
        request, 400, "Bad request", "The form or link was not valid. Go back and try again."
    )


def permission_denied(request, exception=None):
    return _error(request, 403, "Not allowed", "You don't have access to this page.")


def csrf_failure(request, reason=""):
    """A form sent from a page opened before the last log-in or log-out (or otherwise
    without its security token): say what happened and what to do, in the site's look."""
    return _error(
        request,
        403,
        "This page had expired",
        "The form was opened before you last logged in or out, so it could not be sent and "
        "nothing from it was saved. Open the page again and repeat what you did.",
    )


def page_not_found(request, exception=None):
    return _error(
        request, 404, "Page not found", "This page does not exist, or you don't have access to it."
    )


def server_error(request):
    # No request context: the database may be the thing that is down.
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def _page_number(raw: str | None) -> int:
    try:
        return int(raw or 1)
    except ValueError:
        return 1


PENDING_KEY = "lvm_pending_answers"
OWNER_SALT = "lvm.answers-owner"


def _owner_token(user) -> str:
    """A signed id of the person a questionnaire page is served to (for the time-out)."""
    return signing.dumps(user.pk, salt=OWNER_SALT)


def _answers_owner(token: str) -> int | None:
    """Whose answers a form carries, from its signed token; None if missing or forged."""
    try:
        owner = signing.loads(token, salt=OWNER_SALT)
    except signing.BadSignature:
        return None
    return owner if isinstance(owner, int) else None


def keeps_answers_after_timeout(view):
    """For a save view: answers posted after the session expired are kept for the login.

    Only for the person the page was served to (its signed ``owner`` field): someone
    else may log in next on this browser, and must neither get nor see these answers.
    The replay happens when the questionnaire is next shown (``_replay_pending``).
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, cycle_pk: int) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, cycle_pk)
        form = AnswersForm(request.POST)
        owner = _answers_owner(request.POST.get("owner", ""))
        if owner is not None and form.is_valid() and form.answers:
            request.session[PENDING_KEY] = {
                "cycle": cycle_pk,
                "answers": form.answers,
                "owner": owner,
            }
        messages.warning(
            request, "Your session had expired. Log in again and your answers will be kept."
        )
        return redirect_to_login(reverse("assessments:response-edit", args=[cycle_pk]))

    return wrapper


def _replay_pending(request: HttpRequest, cycle) -> None:
    """Save answers kept from before a time-out, if they are this person's for this cycle."""
    pending = request.session.pop(PENDING_KEY, None)
    if not (
        pending
        and pending.get("owner") == request.user.pk
        and pending.get("cycle") == cycle.pk
        and pending.get("answers")
    ):
        return
    try:
        answers = {int(k): v for k, v in pending["answers"].items()}
        services.save_draft(user=request.user, cycle=cycle, answers=answers)
        messages.success(request, "Your answers from before the time-out are saved.")
    except (services.AssessmentError, ValueError):
        pass


def with_started_cycle(view):
    """Give the view the cycle and its questions: 404 if unknown, not yet open or not
    the person's (a cycle of other teams), and back home with a message when it has no
    statements yet."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, cycle_pk: int) -> HttpResponse:
        found = services.started_cycle_with_questions(cycle_pk, user=request.user)
        if found is None:
            raise Http404("No such cycle.")
        cycle, questions = found
        if not questions:
            messages.error(request, f"“{cycle.name}” has no statements yet. Please tell HR.")
            return redirect("assessments:home")
        return view(request, cycle, questions)

    return wrapper


@never_cache
@login_required
@require_safe
@with_started_cycle
def response_edit(request: HttpRequest, cycle, questions) -> HttpResponse:
    """One page of a cycle's questionnaire, with the person's saved answers."""
    _replay_pending(request, cycle)
    page = own.questionnaire_page(
        user=request.user,
        cycle=cycle,
        page=_page_number(request.GET.get("page")),
        questions=questions,
        check_missing=request.GET.get("check") == "1",
    )
    if page.status == "submitted":
        messages.info(request, "You have already submitted this assessment.")
        return redirect("assessments:result-detail", cycle.pk)
    if not cycle.is_open():
        messages.error(request, f"“{cycle.name}” is closed; answers can no longer be given.")
        return redirect("assessments:home")
    context = {"page": page, "nav_section": "home", "owner": _owner_token(request.user)}
    return render(request, "assessments/response_form.html", context)


@never_cache
@require_POST
@keeps_answers_after_timeout
@with_started_cycle
def response_save(request: HttpRequest, cycle, questions) -> HttpResponse:
    """Keep the answers of one page, then go where the person asked: on, back, or submit."""
    q = cycle.questionnaire
    form = AnswersForm(request.POST, scale=(q.scale_min, q.scale_max))
    if not form.is_valid():
        return _error(request, 400, "Answers not accepted", form.first_error)
    action, page = form.cleaned_data["action"], form.cleaned_data["page"]
    try:
        if action == "submit":
            outcome = services.submit_response(
                user=request.user, cycle=cycle, answers=form.answers, questions=questions
            )
            if outcome.submitted:
                messages.success(request, "Thank you: your answers are submitted.")
                return redirect("assessments:result-detail", cycle.pk)
            # Kept as a draft: back to the same page, with the unanswered marked.
            return _to_page(cycle, page, check=True)
        services.save_draft(
            user=request.user, cycle=cycle, answers=form.answers, questions=questions
        )
    except services.InvalidAnswers as exc:
        return _error(request, 400, "Answers not accepted", str(exc))
    except services.AlreadySubmitted as exc:
        messages.info(request, str(exc))
        return redirect("assessments:result-detail", cycle.pk)
    except (services.CycleClosed, services.NotReady) as exc:
        messages.error(request, str(exc))
        return redirect("assessments:home")
    if action == "save":
        messages.success(request, _saved_for_later(cycle))
    return _to_page(cycle, next_page(action, page))


def _saved_for_later(cycle) -> str:
    """The confirmation of "Save for later", with the way home."""
    return format_html(
        'Your answers are saved. You can come back at any time until {}. <a href="{}" '
        'class="alert-link">Back to my assessments</a>',
        date_format(localtime(cycle.closes_at), "j F Y"),
        reverse("assessments:home"),
    )


def _to_page(cycle, page: int, *, check: bool = False) -> HttpResponse:
    url = reverse("assessments:response-edit", args=[cycle.pk])
    return redirect(f"{url}?page={page}" + ("&check=1" if check else ""))


def _own_result(read, request: HttpRequest, cycle_pk: int):
    """What ``read`` finds of the person's own submitted result; 404 for anything else."""
    found = read(user=request.user, cycle_pk=cycle_pk)
    if found is None:
        raise Http404("No submitted result for this cycle.")
    return found


@never_cache
@login_required
@require_safe
def result_detail(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    """The person's own result for one cycle; anyone else's answers 404."""
    data = _own_result(own.result_page, request, cycle_pk)
    bars = [
        charts.DimensionBar(label=d.name, axis=d.axis, score=d.score, previous=d.previous)
        for d in data.dimensions
    ]
    context = {
        "page": data,
        "nav_section": "home",
        "dimension_chart": charts.dimension_bars(
            bars, title="Your score per dimension (0–100)", id_prefix="dims"
        ),
        "quadrant_chart": charts.balance_quadrant(
            leadership=data.leadership,
            management=data.management,
            previous=(data.previous.leadership, data.previous.management)
            if data.previous
            else None,
            title="Where you stand between leadership and management",
            id_prefix="quad",
        ),
    }
    return render(request, "assessments/result_detail.html", context)


@never_cache
@login_required
@require_safe
def result_export(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    """The person's own answers and scores for one cycle, as CSV."""
    export = _own_result(own.personal_export, request, cycle_pk)
    return csv_response(f"lvm-my-result-{cycle_pk}.csv", csv_export.personal_rows(export))
