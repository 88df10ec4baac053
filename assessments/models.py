"""The LVM domain: questionnaires, teams, cycles, responses and their stored scores."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from . import scoring
from .rounding import stored_means

# Likert scales run from 1 to scale_points; the database refuses anything outside 1..MAX.
SCALE_MIN = 1
MIN_SCALE_POINTS = 3
MAX_SCALE_POINTS = 7


class Axis(models.TextChoices):
    LEADERSHIP = scoring.LEADERSHIP, "Leadership"
    MANAGEMENT = scoring.MANAGEMENT, "Management"


def unique(*fields: str, name: str, **options) -> models.UniqueConstraint:
    """A unique constraint named after its table, so that names never clash."""
    return models.UniqueConstraint(
        fields=list(fields), name=f"%(app_label)s_%(class)s_{name}", **options
    )


def check(*, condition: Q, name: str, **options) -> models.CheckConstraint:
    """A check constraint named after its table, so that names never clash."""
    return models.CheckConstraint(
        condition=condition, name=f"%(app_label)s_%(class)s_{name}", **options
    )


def on_scale(field: str, *, name: str) -> models.CheckConstraint:
    """``field`` holds a value of some questionnaire's answer scale."""
    low, high = Q(**{f"{field}__gte": SCALE_MIN}), Q(**{f"{field}__lte": MAX_SCALE_POINTS})
    return check(condition=low & high, name=name)


class Questionnaire(models.Model):
    name = models.CharField(max_length=200)
    version = models.PositiveSmallIntegerField(default=1)
    description = models.TextField(blank=True)
    scale_points = models.PositiveSmallIntegerField(
        default=5,
        help_text=f"Number of answer options ({MIN_SCALE_POINTS} to {MAX_SCALE_POINTS}).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            unique("name", "version", name="unique_version"),
            check(
                condition=Q(scale_points__gte=MIN_SCALE_POINTS)
                & Q(scale_points__lte=MAX_SCALE_POINTS),
                name="scale_points_range",
                violation_error_message=(
                    f"A scale has {MIN_SCALE_POINTS} to {MAX_SCALE_POINTS} points."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def scale_min(self) -> int:
        return SCALE_MIN

    @property
    def scale_max(self) -> int:
        return self.scale_points

    def has_answers(self) -> bool:
        """Once anyone has answered, the scored wording is frozen."""
        return Answer.objects.filter(question__questionnaire=self).exists()

    def scale_choices(self) -> list[tuple[int, str]]:
        """(value, label) for every point of the scale, with a label for each."""
        labels = {s.value: s.label for s in self.scale_labels.all()}
        return [(v, labels.get(v, str(v))) for v in range(self.scale_min, self.scale_max + 1)]


class ScaleLabel(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="scale_labels"
    )
    value = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=60)

    class Meta:
        ordering = ["questionnaire", "value"]
        constraints = [
            unique("questionnaire", "value", name="unique_value"),
            on_scale("value", name="value_range"),
        ]

    def __str__(self) -> str:
        return f"{self.value} = {self.label}"

    def clean(self) -> None:
        if self.questionnaire_id and self.value > self.questionnaire.scale_points:
            raise ValidationError(
                {"value": f"The scale only has {self.questionnaire.scale_points} points."}
            )


class Dimension(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="dimensions"
    )
    code = models.SlugField(max_length=50, help_text="Short stable key, e.g. 'vision'.")
    name = models.CharField(max_length=100)
    axis = models.CharField(max_length=20, choices=Axis)
    description = models.TextField(blank=True)
    development_tip = models.TextField(
        "personal tip", blank=True, help_text="Shown to a person on their own result page."
    )
    team_tip = models.TextField(
        "team tip",
        blank=True,
        help_text="Shown to a manager under “Try this as a team” when the team's dashboard "
        "points at this dimension.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        constraints = [
            unique("questionnaire", "code", name="unique_code"),
            check(condition=Q(axis__in=Axis.values), name="axis_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_axis_display()})"


class QuestionQuerySet(models.QuerySet):
    def active(self) -> QuestionQuerySet:
        return self.filter(is_active=True)


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="questions")
    text = models.TextField(help_text="Plain text, written in the first person.")
    order = models.PositiveSmallIntegerField(default=0)
    reverse_keyed = models.BooleanField(
        default=False, help_text="Agreeing with this item means less of the trait."
    )
    is_active = models.BooleanField(default=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        indexes = [models.Index(fields=["questionnaire", "is_active", "order"])]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    def clean(self) -> None:
        if (
            self.dimension_id
            and self.questionnaire_id
            and self.dimension.questionnaire_id != self.questionnaire_id
        ):
            raise ValidationError({"dimension": "Pick a dimension of this questionnaire."})
        if self.pk:
            frozen = Question.objects.filter(pk=self.pk, answers__isnull=False).values(
                "text", "dimension_id", "reverse_keyed"
            )[:1]
            if frozen:
                before = frozen[0]
                if (
                    before["text"] != self.text
                    or before["dimension_id"] != self.dimension_id
                    or before["reverse_keyed"] != self.reverse_keyed
                ):
                    raise ValidationError(
                        "This question already has answers, so its wording, dimension and "
                        "keying are frozen. Create a new questionnaire version to change them."
                    )
        elif self.questionnaire_id and self.questionnaire.has_answers():
            raise ValidationError(
                "This questionnaire already has answers. Create a new version to add questions."
            )


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_organisation_results", "Can view organisation results (every team's figures)")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessments:team-dashboard", args=[self.pk])


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["team", "role", "user"]
        constraints = [
            unique("user", "team", name="unique_user_team"),
            check(
                condition=Q(role__in=["member", "manager"]),
                name="role_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "role", "user"]),
            # The overlap check walks from a person to their other teams.
            models.Index(fields=["user", "role", "team"], name="assessments_membership_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class CycleQuerySet(models.QuerySet):
    def open_at(self, when=None) -> CycleQuerySet:
        when = when or timezone.now()
        return self.filter(opens_at__lte=when, closes_at__gt=when)

    def started(self, when=None) -> CycleQuerySet:
        return self.filter(opens_at__lte=when or timezone.now())

    def open_to(self, user) -> CycleQuerySet:
        """Cycles the person may answer: every team's, or one of their teams' (or they
        were invited to it)."""
        return self.filter(taken_by(user, cycle=models.OuterRef("pk")))


def taken_by(user, *, cycle) -> Q:
    """A condition on a cycle (an id or an OuterRef): the person takes part in it.

    A cycle without chosen teams is everyone's; otherwise its teams' members and the
    people it invited take part.
    """
    # One level of subquery each, so that an OuterRef reaches the cycle (nested one level
    # deeper, it would name the subquery's own rows).
    chosen = Cycle.teams.through.objects.filter(cycle_id=cycle)
    in_team = chosen.filter(team__memberships__user=user)
    invited = Participant.objects.filter(user=user, cycle_id=cycle)
    return ~models.Exists(chosen) | models.Exists(in_team) | models.Exists(invited)


class Cycle(models.Model):
    name = models.CharField(max_length=120)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="cycles"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    min_group_size = models.PositiveSmallIntegerField(
        "minimum group size",
        default=5,
        help_text="Every group of people behind the published figures holds at least this "
        "many (never below 3). It can't be lowered once people have answered.",
    )
    show_while_open = models.BooleanField(
        "show figures while the cycle is open",
        default=False,
        help_text="Off: team figures are published once, when the cycle closes. On: they are "
        "also published while it is open, in steps of at least the minimum group size, so "
        "people who answer late may not all be counted.",
    )
    leave_out_careless = models.BooleanField(
        "leave responses flagged as careless out of published figures",
        default=False,
        db_default=False,
        help_text="Off: responses flagged as careless (a long run of the same answer, "
        "answered too fast to have been read, or agreeing with statements and their "
        "opposites) are counted like any other, and each publication says how many it "
        "counted. On: they are left out of every team and organisation figure. Employees "
        "never see the flags.",
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="+",
        help_text="Who takes part: the members of these teams (every team when none is "
        "chosen). The list of participants is fixed when the invitations go out.",
    )
    # A fingerprint of the submitted responses that were waiting when a live publication
    # last left them all out; the next read tries again only once they have changed.
    publish_checked = models.BigIntegerField(default=0, editable=False)

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "name"]
        constraints = [
            check(
                condition=Q(min_group_size__gte=3),
                name="min_group_size",
                violation_error_message="The minimum group size can't be below 3.",
            ),
            check(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="closes_after_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "The cycle must close after it opens."})
        if (
            self.pk
            and self.closes_at
            and self.closes_at > timezone.now()
            and self.publications.filter(is_final=True).exists()
        ):
            raise ValidationError(
                {
                    "closes_at": "This cycle's figures were published when it closed, so it "
                    "can't be reopened. Create a new cycle instead."
                }
            )
        if self.pk and self.min_group_size is not None:
            before = Cycle.objects.filter(pk=self.pk).values_list("min_group_size", flat=True)
            stored = before[0] if before else None
            if stored is not None and self.min_group_size < stored and self.responses.exists():
                raise ValidationError(
                    {
                        "min_group_size": (
                            f"People have already answered this cycle expecting groups of at "
                            f"least {stored}, so the minimum group size can't be lowered. "
                            "It can be raised."
                        )
                    }
                )

    def is_open(self, when=None) -> bool:
        when = when or timezone.now()
        return self.opens_at <= when < self.closes_at

    @property
    def k(self) -> int:
        """The minimum group size in force: the cycle's, never below the site's floor."""
        return max(self.min_group_size, settings.LVM_MIN_GROUP_SIZE_FLOOR)


class ResponseQuerySet(models.QuerySet):
    def submitted(self) -> ResponseQuerySet:
        return self.filter(status=Response.Status.SUBMITTED)


class Response(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responses"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The database default is never used by the ORM (Python's comes first); having one
    # makes every INSERT return the stored value, so the upsert that takes the draft's
    # lock at submission also reads when the person started, without another query.
    started_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Stored at submission so that dashboards aggregate small rows.
    leadership_score = models.FloatField(null=True, blank=True)
    management_score = models.FloatField(null=True, blank=True)
    balance = models.FloatField(null=True, blank=True)
    profile = models.CharField(
        max_length=20, blank=True, choices=[(p.value, p.label) for p in scoring.Profile]
    )
    # The publication step from which this response is counted in the cycle's published
    # figures; empty until then, and for good if privacy keeps it out.
    published_step = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # Careless-response indicators (``carelessness``), stored at submission; for HR only.
    longest_run = models.PositiveSmallIntegerField(
        "longest run of one answer", null=True, blank=True, editable=False
    )
    seconds_to_submit = models.PositiveIntegerField(
        "seconds from first answer to submission", null=True, blank=True, editable=False
    )
    reverse_inconsistency = models.FloatField(
        "share of dimensions contradicting their reverse-keyed statements",
        null=True,
        blank=True,
        editable=False,
    )
    # Codes separated by spaces (``carelessness.Flag``); empty when nothing was flagged.
    # The new columns that can't be null have database defaults too, so that rows written
    # without naming them (bulk loads with COPY, code from before them) still go in.
    flags = models.CharField(
        "careless-response flags",
        max_length=100,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            unique("cycle", "respondent", name="one_per_cycle"),
            check(
                condition=Q(status__in=["draft", "submitted"]),
                name="status_valid",
            ),
            # A submitted response carries its scores; a draft carries none.
            check(
                condition=(
                    Q(
                        status="submitted",
                        submitted_at__isnull=False,
                        leadership_score__isnull=False,
                        management_score__isnull=False,
                        balance__isnull=False,
                    )
                    | Q(
                        status="draft",
                        submitted_at__isnull=True,
                        leadership_score__isnull=True,
                        management_score__isnull=True,
                        balance__isnull=True,
                    )
                ),
                name="scores_iff_submitted",
            ),
            check(
                condition=Q(leadership_score__isnull=True)
                | Q(leadership_score__gte=0, leadership_score__lte=100),
                name="leadership_range",
            ),
            check(
                condition=Q(management_score__isnull=True)
                | Q(management_score__gte=0, management_score__lte=100),
                name="management_range",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status", "respondent"]),
            models.Index(fields=["cycle", "published_step"], name="assessments_response_pub"),
        ]

    def __str__(self) -> str:
        return f"{self.respondent} — {self.cycle} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("assessments:result-detail", args=[self.cycle_id])

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class FlaggedResponse(Response):
    """A submitted response seen only for its careless-response flags (HR's admin list).

    The same rows as Response, shown without answers or scores: HR may follow up on a
    flag, never read how someone answered.
    """

    class Meta:
        proxy = True
        verbose_name = "careless-response flag"
        verbose_name_plural = "careless-response flags"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["response_id", "question_id"]
        constraints = [
            unique("response", "question", name="one_per_question"),
            on_scale("value", name="value_in_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


class DimensionScore(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="dimension_scores"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="scores")
    score = models.FloatField()

    class Meta:
        ordering = ["response_id", "dimension_id"]
        constraints = [
            unique("response", "dimension", name="one_per_dimension"),
            check(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension.name}: {self.score:.0f}"


class TeamSnapshot(models.Model):
    """A team the respondent belonged to as a member when they submitted.

    A cycle's team figures always use these rows, so later joins, moves and leavers never
    change them. Whether a response went into a team's published figures follows from its
    ``published_step`` and that publication's ``teams``.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="snapshot")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="snapshots")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="snapshots")

    class Meta:
        # Ids, not relations: ordering by a relation would join its table on every read.
        ordering = ["cycle_id", "team_id", "response_id"]
        constraints = [
            unique("response", "team", name="once_per_team"),
        ]
        indexes = [models.Index(fields=["team", "cycle"], name="assessments_snapshot_team")]

    def __str__(self) -> str:
        return f"{self.response} in {self.team}"


class Publication(models.Model):
    """One publication of a cycle's figures: the whole cycle at close, or a live step.

    Figures are cumulative: step n holds everyone counted at steps 1..n. Nothing is ever
    recomputed from people's rows once published, so erasures and team changes leave it.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="publications")
    step = models.PositiveSmallIntegerField()
    is_final = models.BooleanField(default=False)
    is_latest = models.BooleanField(default=True)  # the one pages read
    published_at = models.DateTimeField(default=timezone.now)
    k = models.PositiveSmallIntegerField()
    submitted = models.PositiveIntegerField(help_text="Submitted responses at publication.")
    in_teams = models.PositiveIntegerField(
        default=0, help_text="Of those, people who were a member of a team when they submitted."
    )
    counted = models.PositiveIntegerField(help_text="Responses in the published figures.")
    careless_counted = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Of those counted, responses flagged as careless."
    )
    careless_left_out = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="Responses flagged as careless and left out of the figures, as the cycle "
        "asks (not counted in any group).",
    )
    # The teams whose figures took in the people first counted at this step (a person is
    # counted in their snapshot teams that are listed here).
    teams = models.JSONField(default=list)

    class Meta:
        ordering = ["cycle_id", "step"]
        get_latest_by = "step"
        constraints = [
            unique("cycle", "step", name="one_per_step"),
            unique("cycle", condition=Q(is_final=True), name="one_final"),
            unique("cycle", condition=Q(is_latest=True), name="one_latest"),
            check(condition=Q(step__gte=1), name="step_positive"),
        ]

    def __str__(self) -> str:
        kind = "final" if self.is_final else f"step {self.step}"
        return f"{self.cycle} ({kind})"

    @property
    def left_out(self) -> int:
        return max(0, self.submitted - self.counted)


class PublishedGroup(models.Model):
    """The published aggregates of one team (or, with no team, the organisation).

    Sums and sums of squares give means and spreads; the counts of profiles and of the
    quadrant cells are stored as they will be shown. Dimension names are copied so that
    a publication reads in one query and stays as it was published.
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="groups")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="publications"
    )
    members = models.PositiveIntegerField(help_text="Members of the team at publication.")
    submitted = models.PositiveIntegerField(help_text="Of those in the team when they submitted.")
    n = models.PositiveIntegerField(help_text="People in these figures.")
    changed_at = models.DateTimeField(help_text="When these figures last changed.")
    leadership_sum = models.FloatField(default=0)
    leadership_sumsq = models.FloatField(default=0)
    management_sum = models.FloatField(default=0)
    management_sumsq = models.FloatField(default=0)
    balance_sum = models.FloatField(default=0)
    balance_sumsq = models.FloatField(default=0)
    # {profile value: people}
    profiles = models.JSONField(default=dict)
    # [[leadership bin, management bin, people], ...] for cells with anyone in them
    quadrant = models.JSONField(default=list)
    # [[dimension id, code, name, axis, n, sum, sum of squares], ...] in questionnaire order
    dimensions = models.JSONField(default=list)
    # The whole numbers of a line of means, worked out from the sums above when saved
    # (rounding.stored_means): {"leadership": 61, "management": 58, "dimensions":
    # [[dimension id, mean], ...]}, or None when nobody is in the group. The overview's
    # heatmap reads these instead of every team's sums.
    means = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["publication_id", "team_id"]
        constraints = [
            unique("publication", "team", condition=Q(team__isnull=False), name="one_per_team"),
            unique("publication", condition=Q(team__isnull=True), name="one_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.team or 'Organisation'} — {self.publication}"

    def save(self, *args, update_fields=None, **kwargs):
        self.means = stored_means(self)
        if update_fields is not None:
            update_fields = {*update_fields, "means"}
        super().save(*args, update_fields=update_fields, **kwargs)


class PasswordResetRequest(models.Model):
    """One accepted password-reset request, kept a day to limit how often they are sent.

    The address is stored as a SHA-256 digest of its lower-case form: the limit needs to
    recognise it, not to read it (and most requested addresses belong to nobody).
    """

    address_digest = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(
                fields=["address_digest", "requested_at"], name="assessments_reset_address"
            ),
            models.Index(fields=["ip_address", "requested_at"], name="assessments_reset_ip"),
        ]

    def __str__(self) -> str:
        return f"password reset request at {self.requested_at:%Y-%m-%d %H:%M}"


class InstrumentReport(models.Model):
    """How well a questionnaire version measures: reliability per dimension, stored.

    Computed from everyone who submitted (never per team) in one cycle, once, on the
    first read after the cycle closes; it never changes. The report of all a version's
    cycles is added up from these, never stored.
    """

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="instrument_reports"
    )
    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    responses = models.PositiveIntegerField()
    # [{code, name, axis, n, alpha, ci_low, ci_high, items: [...], left_out: [...]}, ...]
    dimensions = models.JSONField(default=list)
    # {"flagged": n, "<flag code>": n, ...}: careless-response flags among the responses.
    careless = models.JSONField(default=dict)

    class Meta:
        ordering = ["questionnaire_id", "cycle_id"]

    def __str__(self) -> str:
        return f"Instrument report: {self.questionnaire}, {self.cycle}"


class TeamActionPlan(models.Model):
    """What a team chose to work on after a cycle's figures: up to three dimensions.

    Written by the team's manager; seen by the team's managers and HR. The next cycle's
    dashboard shows it next to how those dimensions changed.
    """

    MAX_FOCUS = 3

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="action_plans")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    focus = models.JSONField(
        "focus dimensions", default=list, help_text="Codes of up to three dimensions."
    )
    actions = models.TextField("what the team will try", max_length=2000)
    due = models.DateField("by when", null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team_id", "cycle_id"]
        constraints = [unique("team", "cycle", name="one_per_cycle")]

    def __str__(self) -> str:
        return f"{self.team} after {self.cycle}"


class Employee(models.Model):
    """What the people import knows of a person beyond their account: the HR system's id.

    Only people with this record are managed by imports: a full import deactivates those
    of them it no longer lists. Accounts made by hand (administrators, say) are left alone.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employee"
    )
    employee_id = models.CharField("employee id", max_length=64, blank=True)
    imported_at = models.DateTimeField(
        help_text="When an import first listed this person or last changed them."
    )
    deactivated_at = models.DateTimeField(
        null=True, blank=True, help_text="When an import found this person gone."
    )

    class Meta:
        ordering = ["employee_id"]
        constraints = [
            unique("employee_id", condition=~Q(employee_id=""), name="unique_employee_id")
        ]

    def __str__(self) -> str:
        return self.employee_id or str(self.user)


class PeopleImport(models.Model):
    """One uploaded people file: kept from its preview to its confirmation, and after."""

    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The file as uploaded, decoded.")
    full = models.BooleanField(
        "lists everyone",
        default=True,
        help_text="On: people from earlier imports who are not in this file are "
        "deactivated. Off: the file only adds and changes people.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    # {"created": n, "changed": n, "deactivated": n, "reactivated": n, "unchanged": n, ...}
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "people import"

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class Participant(models.Model):
    """A person who takes part in a cycle: invited, perhaps reminded, perhaps done.

    The rows are made when the cycle's invitations go out, from the members of its teams
    at that moment; what is sent is recorded here, so no run of the commands sends twice.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    added_at = models.DateTimeField(default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle", "user"]
        constraints = [unique("cycle", "user", name="once_per_cycle")]

    def __str__(self) -> str:
        return f"{self.user} in {self.cycle}"
