"""Staff forms for signing in, accounts and administration: one class per form.

The account rules themselves (the password rule, last admin…) live in accounts.py and
passwords.py; these forms only check that the right things were typed.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional, ValidationError

from clinic.staff.accounts import DEGREE_MAX, EMAIL_MAX, NAME_MAX, SPECIALTY_MAX
from clinic.staff.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH

ROLE_CHOICES = [("coordinator", "Coordinator"), ("admin", "Admin"), ("editor", "Editor")]
PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a good password; "
    "common passwords and ones containing the email's name are refused."
)


def new_password_fields(label: str, hint: str) -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation: typed twice so a slip of the finger can't lock
    someone out."""
    return (
        PasswordField(
            label, description=hint, validators=[InputRequired(f"Enter the {label.lower()}.")]
        ),
        PasswordField(
            f"{label} again",
            validators=[
                InputRequired(f"Type the {label.lower()} a second time."),
                EqualTo("password", "The two passwords don't match."),
            ],
        ),
    )


class EmptyForm(FlaskForm):
    """A button that changes something: CSRF token only."""


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="The address you sign in with.",
        validators=[InputRequired("Enter your email address."), Length(max=EMAIL_MAX)],
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields("New password", PASSWORD_HINT)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    password, confirm = new_password_fields("New password", PASSWORD_HINT)


class CreateUserForm(FlaskForm):
    email = EmailField(
        "Email address",
        description="They sign in with this address.",
        validators=[InputRequired("Enter an email address."), Length(max=EMAIL_MAX)],
    )
    name = StringField(
        "Full name",
        validators=[InputRequired("Enter the person's full name."), Length(max=NAME_MAX)],
    )
    role = SelectField(
        "Role",
        choices=ROLE_CHOICES,
        description=(
            "Admins can also manage staff accounts and read the audit log. Editors keep the "
            "educational pages and never see patients' details."
        ),
        validators=[InputRequired("Choose a role.")],
    )
    password, confirm = new_password_fields(
        "Initial password", PASSWORD_HINT + " Give it to them in person; they can change it."
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


class ReviewerForm(FlaskForm):
    reviewer = BooleanField("Clinical reviewer: may approve medical pages for publication")
    degree = StringField(
        "Degree",
        description="As bylines show it, for example MD or DO, PhD. Required for a reviewer.",
        validators=[Optional(), Length(max=DEGREE_MAX)],
    )
    specialty = StringField(
        "Specialty",
        description="Optional, for example Rheumatology.",
        validators=[Optional(), Length(max=SPECIALTY_MAX)],
    )


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string so a filtered view can be bookmarked."""

    class Meta:
        csrf = False

    action = StringField(
        "Action", validators=[Optional(), Length(max=40)], description="For example sign_in."
    )
    actor = EmailField(
        "Staff email",
        validators=[Optional(), Length(max=EMAIL_MAX)],
        description="The whole address of the person who acted.",
    )
    lead = StringField("Lead number", validators=[Optional(), Length(max=10)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_lead(self, field) -> None:
        if field.data and not field.data.isdigit():
            raise ValidationError("Enter a lead number, such as 42.")

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
