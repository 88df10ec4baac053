from django.urls import path

from . import team_views, views

app_name = "assessments"

urlpatterns = [
    path("", views.home, name="home"),
    path("cycles/<int:cycle_pk>/answers/", views.response_edit, name="response-edit"),
    path("cycles/<int:cycle_pk>/result/", views.result_detail, name="result-detail"),
    path("cycles/<int:cycle_pk>/result.csv", views.result_export, name="result-export"),
    path("teams/", team_views.team_list, name="team-list"),
    path("teams/<int:team_pk>/", team_views.team_dashboard, name="team-dashboard"),
    path("teams/<int:team_pk>/export.csv", team_views.team_export, name="team-export"),
    path("organisation/", team_views.organisation_overview, name="organisation-overview"),
]
