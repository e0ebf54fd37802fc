"""The email sentences live in the domain (clinic.leads.email_errors) since the lead-capture API
tells its callers the same words as the form; the form's modules import them from here."""

from clinic.leads.email_errors import *  # noqa: F403
from clinic.leads.email_errors import email_error

__all__ = ["email_error"]
