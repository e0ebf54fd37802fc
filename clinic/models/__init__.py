"""All models, imported here so Alembic and the app see one metadata."""

from clinic.models.appointments import Appointment
from clinic.models.audit import AuditEntry
from clinic.models.automation import (
    AssignmentCursor,
    AssignmentRule,
    ReplyTemplate,
    WebhookEndpoint,
)
from clinic.models.base import Base, utcnow
from clinic.models.bulk import BulkAction, BulkActionLead
from clinic.models.content import Article
from clinic.models.counts import LeadCount
from clinic.models.leads import Inquiry, Lead, LeadEvent
from clinic.models.outbox import OutboxMessage
from clinic.models.sign_in import PasswordResetToken, SignInFailure
from clinic.models.staff import StaffUser
from clinic.models.two_factor import RecoveryCode, StaffTwoFactor

__all__ = [
    "Appointment",
    "Article",
    "AssignmentCursor",
    "AssignmentRule",
    "AuditEntry",
    "Base",
    "BulkAction",
    "BulkActionLead",
    "Inquiry",
    "Lead",
    "LeadCount",
    "LeadEvent",
    "OutboxMessage",
    "PasswordResetToken",
    "RecoveryCode",
    "ReplyTemplate",
    "SignInFailure",
    "StaffTwoFactor",
    "StaffUser",
    "WebhookEndpoint",
    "utcnow",
]
