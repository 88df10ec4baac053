from django.contrib import admin
from django.contrib.auth.views import LoginView, PasswordChangeView, PasswordResetConfirmView
from django.urls import include, path

from assessments.forms import ChangePasswordForm, ChoosePasswordForm, LoginForm
from assessments.security import LogoutView, PasswordResetView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(form_class=ChoosePasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password_change/",
        PasswordChangeView.as_view(form_class=ChangePasswordForm),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("assessments.urls")),
]

handler400 = "assessments.views.bad_request"
handler403 = "assessments.views.permission_denied"
handler404 = "assessments.views.page_not_found"
handler500 = "assessments.views.server_error"
