from django.urls import path, register_converter

from . import invitation_views, team_views, views


class IdConverter:
    """A database id: digits that fit a 64-bit integer (longer ones simply do not match)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "assessments"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "invitations/<id:cycle_pk>/<uidb64>/<token>/",
        invitation_views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path("cycles/<id:cycle_pk>/answers/", views.response_edit, name="response-edit"),
    path("cycles/<id:cycle_pk>/answers/save/", views.response_save, name="response-save"),
    path("cycles/<id:cycle_pk>/result/", views.result_detail, name="result-detail"),
    path("cycles/<id:cycle_pk>/result.csv", views.result_export, name="result-export"),
    path("teams/", team_views.team_list, name="team-list"),
    path("teams/<id:team_pk>/", team_views.team_dashboard, name="team-dashboard"),
    path("teams/<id:team_pk>/export.csv", team_views.team_export, name="team-export"),
    path("teams/<id:team_pk>/plan/", team_views.team_plan, name="team-plan"),
    path("teams/<id:team_pk>/plan/done/", team_views.team_plan_done, name="team-plan-done"),
    path("participation/", team_views.participation_page, name="participation"),
    path("organisation/", team_views.organisation_overview, name="organisation-overview"),
    path("organisation/instrument/", team_views.instrument_report, name="instrument-report"),
    path("organisation/instrument.csv", team_views.instrument_export, name="instrument-export"),
]
