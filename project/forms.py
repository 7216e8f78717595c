"""Forms of the account pages that Django's own do not get right for us."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from viewflow.contrib.auth import AuthenticationForm


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username django-axes records (AXES_USERNAME_CALLABLE), cut to its 255-character column.

    Every path to ``authenticate`` (our login, the admin's, signing, password change) reaches
    axes; no username that long exists, so the cut loses nothing and no form can crash it.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    return None if username is None else str(username)[:255]


class LoginForm(AuthenticationForm):
    """The login form, with the username's length enforced.

    Django's form sets ``max_length`` on the username field after the field was built,
    so the length validator is never added: an over-long name reached ``authenticate``
    and django-axes' 255-character column (a 500 on PostgreSQL). Refused here, the form
    shows an error and no attempt is recorded.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class PasswordRulesAsText:
    """The new password's rules as plain sentences under the field.

    Django gives them as an HTML list, which viewflow's form renderer prints as text: the page showed the tags.
    """

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = password_validation.password_validators_help_texts()
        self.fields["new_password1"].help_text = " ".join(str(rule) for rule in rules)


class NewPasswordForm(PasswordRulesAsText, SetPasswordForm):
    """Setting a new password from a reset link."""


class ThrottledPasswordChangeForm(PasswordRulesAsText, PasswordChangeForm):
    """Django's password change, with the old password checked the way a login is.

    Django's form calls ``user.check_password``, which django-axes never sees, so the
    page would answer "wrong password" as often as asked: a password oracle for anyone
    holding a session. Here the old password goes through ``authenticate`` with the
    request, so a failure counts toward the same lockout as a failed login (username
    and address), and once locked out even the right password is refused.
    """

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        authenticated = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if authenticated is None or authenticated.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return str(old_password)
