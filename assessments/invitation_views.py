"""The invitation link: a new person chooses a password and lands on the questions."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse

from .forms import ChoosePasswordForm
from .models import Cycle
from .services.invitations import invitation_tokens


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Django's password-reset confirmation with the invitation's own tokens.

    Like a reset link, the token leaves the address bar (and the Referer) at once: the
    view keeps it in the session and redirects to a URL without it. Setting the password
    spends the token and logs the person in.
    """

    token_generator = invitation_tokens
    form_class = ChoosePasswordForm
    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "assessments.backends.EmailOrUsernameBackend"
    reset_url_token = "choose-password"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_success_url(self) -> str:
        # The cycle in the link is not signed: check it is open and theirs, else go home.
        cycle_pk = self.kwargs["cycle_pk"]
        if Cycle.objects.open_at().open_to(self.user).filter(pk=cycle_pk).exists():
            return reverse("assessments:response-edit", args=[cycle_pk])
        return reverse("assessments:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Your password is set. From now on, log in with your e-mail address and this "
            "password.",
        )
        return response
