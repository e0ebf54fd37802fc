"""Forms of two-step sign-in: one class per form. The rules live in two_factor.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class ConfirmSetupForm(FlaskForm):
    code = StringField(
        "Code from your app",
        description="The 6 digits your authenticator app shows for this account now.",
        validators=[InputRequired("Type the 6-digit code from your app."), Length(max=20)],
    )


class SignInCodeForm(FlaskForm):
    code = StringField(
        "Sign-in code",
        description=(
            "The 6 digits your authenticator app shows now. Lost your phone? Type one of your "
            "recovery codes instead, like abcd-efgh-jkmn."
        ),
        validators=[InputRequired("Type the code from your app."), Length(max=40)],
    )


class ProofForm(FlaskForm):
    """Re-proving who you are before a change to your own two-step sign-in."""

    proof = PasswordField(
        "Your password, or a code from your app",
        description="Either one proves it is you at the keyboard.",
        validators=[InputRequired("Type your password or a code from your app.")],
    )
