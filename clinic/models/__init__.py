"""All models, imported here so Alembic and the app see one metadata."""

from clinic.models.api import ApiKey, IdempotencyRecord
from clinic.models.appointments import Appointment
from clinic.models.audit import AuditEntry
from clinic.models.automation import (
    AssignmentCursor,
    AssignmentRule,
    ReplyTemplate,
    WebhookEndpoint,
)
from clinic.models.availability import (
    AvailabilityException,
    BookingSettings,
    CalendarFeed,
    WeeklyHours,
)
from clinic.models.base import Base, utcnow
from clinic.models.booking import AppointmentReminder
from clinic.models.bulk import BulkAction, BulkActionLead
from clinic.models.consent import ConsentText
from clinic.models.content import Article, PageReview, PageRevision
from clinic.models.counts import LeadCount
from clinic.models.imports import ImportBatch, ImportChunk, ImportMapping
from clinic.models.leads import Inquiry, Lead, LeadEvent
from clinic.models.outbox import OutboxMessage
from clinic.models.profile import ClinicProfile
from clinic.models.services import Clinician, Service
from clinic.models.sign_in import PasswordResetToken, SignInFailure
from clinic.models.staff import StaffUser
from clinic.models.two_factor import RecoveryCode, StaffTwoFactor

__all__ = [
    "ApiKey",
    "Appointment",
    "AppointmentReminder",
    "Article",
    "AssignmentCursor",
    "AssignmentRule",
    "AuditEntry",
    "AvailabilityException",
    "Base",
    "BookingSettings",
    "BulkAction",
    "BulkActionLead",
    "CalendarFeed",
    "ClinicProfile",
    "Clinician",
    "ConsentText",
    "IdempotencyRecord",
    "ImportBatch",
    "ImportChunk",
    "ImportMapping",
    "Inquiry",
    "Lead",
    "LeadCount",
    "LeadEvent",
    "OutboxMessage",
    "PageReview",
    "PageRevision",
    "PasswordResetToken",
    "RecoveryCode",
    "ReplyTemplate",
    "Service",
    "SignInFailure",
    "StaffTwoFactor",
    "StaffUser",
    "WebhookEndpoint",
    "WeeklyHours",
    "utcnow",
]
