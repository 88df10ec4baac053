from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assessments.security import LogoutView

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("assessments.urls")),
]

handler400 = "assessments.views.bad_request"
handler403 = "assessments.views.permission_denied"
handler404 = "assessments.views.page_not_found"
handler500 = "assessments.views.server_error"
