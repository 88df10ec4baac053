"""Log-in with an e-mail address (in any case) or, for the accounts that have one, a username."""

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower


def users_with_email(address: str) -> QuerySet:
    """The accounts whose e-mail address is ``address``, ignoring case.

    The database lowers both sides, as the unique index on ``LOWER(email)`` does, so this
    finds exactly the accounts that the index would call the same address.
    """
    return (
        get_user_model()
        ._default_manager.exclude(email="")
        .alias(email_lower=Lower("email"))
        .filter(email_lower=Lower(Value(address)))
    )


class EmailOrUsernameBackend(ModelBackend):
    """Django's ModelBackend, which also takes an e-mail address where the username goes.

    An exact username is tried first, so every account logs in as it did before; text
    with an @ that is nobody's username is then read as an e-mail address. Either way the
    password is checked once and inactive accounts are refused.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = self.account(username)
        if user is None:
            # Hash once anyway, so that a missing account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)

    @staticmethod
    def account(identifier: str):
        """The account whose username is ``identifier``, else whose e-mail address it is."""
        User = get_user_model()
        try:
            return User._default_manager.get_by_natural_key(identifier)
        except User.DoesNotExist:
            pass
        if "@" not in identifier:
            return None
        try:
            return users_with_email(identifier).get()
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            # The unique index allows one at most; were it missing, guessing which of two
            # people is typing would be worse than refusing both.
            return None
