"""Configuration classes. Every setting can be overridden from the environment, read here only."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'clinic.db'}"


class Config:
    """Settings shared by every environment."""

    CLINIC_ENV = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or default_database_url()
    # Engine options on top of the per-database defaults in clinic.database.engine_options_for.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL pool, per app process: gunicorn workers x (size + overflow) must stay under the
    # server's max_connections.
    DB_POOL_SIZE = env_int("DB_POOL_SIZE", 5)
    DB_MAX_OVERFLOW = env_int("DB_MAX_OVERFLOW", 5)
    DB_POOL_TIMEOUT_SECONDS = env_int("DB_POOL_TIMEOUT_SECONDS", 10)
    DB_CONNECT_TIMEOUT_SECONDS = env_int("DB_CONNECT_TIMEOUT_SECONDS", 5)

    # Forms and sessions
    WTF_CSRF_TIME_LIMIT = env_int("CSRF_TIME_LIMIT_SECONDS", 3600 * 8)
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # Lead imports (Leads → Import, admins): the largest file the upload page takes (that page
    # alone; MAX_CONTENT_LENGTH stays for every other), and how long one request of the
    # import's progress page imports before answering (well under GUNICORN_TIMEOUT).
    IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
    IMPORT_STEP_SECONDS = env_int("IMPORT_STEP_SECONDS", 5)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = env_bool("REMEMBER_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 30)
    STAFF_MAX_SESSION_HOURS = env_int("STAFF_MAX_SESSION_HOURS", 8)
    # How staff passwords are stored (a werkzeug method): scrypt at werkzeug's cost. Not read
    # from the environment, so no stray variable can weaken it in production.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)
    # Sign-in throttling (clinic.staff.sign_in_throttle): this many failed passwords for one email
    # from one address within the minutes lock that address (only) out of it meanwhile; failures
    # from many addresses make each attempt for the email wait, doubling up to the maximum.
    STAFF_LOCKOUT_THRESHOLD = env_int("STAFF_LOCKOUT_THRESHOLD", 10)
    STAFF_LOCKOUT_MINUTES = env_int("STAFF_LOCKOUT_MINUTES", 15)
    STAFF_SLOWDOWN_MAX_SECONDS = env_int("STAFF_SLOWDOWN_MAX_SECONDS", 300)
    # Who must sign in with a code from an authenticator app too: admins, all or none.
    STAFF_REQUIRE_2FA = os.environ.get("STAFF_REQUIRE_2FA", "admins").strip().lower()
    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS") or None
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    # Strict-Transport-Security max-age; 0 leaves the header out (plain-HTTP development).
    HSTS_SECONDS = env_int("HSTS_SECONDS", 0)

    # The clinic
    # Name, phone, hours and time zone are first-start defaults only: once an admin saves the
    # clinic's profile (Staff → Clinic), the saved values are used and these are ignored.
    CLINIC_NAME = os.environ.get("CLINIC_NAME", "Northfield Regenerative Medicine Clinic")
    CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "+1 555 010 0199")
    CLINIC_HOURS = os.environ.get("CLINIC_HOURS", "Monday to Friday, 9 am to 5 pm")
    CLINIC_PHONE_REGION = os.environ.get("CLINIC_PHONE_REGION", "US").upper()
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "America/New_York")
    CLINIC_PUBLIC_URL = os.environ.get("CLINIC_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    CLINIC_SPEED_TARGET_MINUTES = env_int("CLINIC_SPEED_TARGET_MINUTES", 15)
    CLINIC_STALE_DAYS = env_int("CLINIC_STALE_DAYS", 7)
    # Each app process counts the leads gone quiet (Today page) at most this often: at a
    # million leads the count reads a week's activity, and a quiet week doesn't change by
    # the minute.
    CLINIC_STALE_COUNT_CACHE_SECONDS = env_int("CLINIC_STALE_COUNT_CACHE_SECONDS", 60)
    # And works out the week's speed to lead (and last week's) at most this often: late in a
    # busy week that reads two weeks of leads.
    CLINIC_SPEED_CACHE_SECONDS = env_int("CLINIC_SPEED_CACHE_SECONDS", 60)
    CLINIC_RETENTION_MONTHS = env_int("CLINIC_RETENTION_MONTHS", 18)
    CLINIC_BUSINESS_HOURS = os.environ.get("CLINIC_BUSINESS_HOURS", "09:00-17:00")
    CLINIC_BUSINESS_DAYS = os.environ.get("CLINIC_BUSINESS_DAYS", "mon,tue,wed,thu,fri")
    # New leads go round-robin to active coordinators (clinic.automation.assignment).
    CLINIC_AUTO_ASSIGN = env_bool("CLINIC_AUTO_ASSIGN", True)
    # Each app process re-reads the published condition list (and re-renders the inquiry form
    # from it) at most this often; `flask content sync` shows on the form within this time.
    CLINIC_CONTENT_CACHE_SECONDS = env_int("CLINIC_CONTENT_CACHE_SECONDS", 10)
    # And re-reads the clinic's profile (name, contact details, time zone: on every page and in
    # every local time) at most this often; the process that saves it shows the change at once.
    CLINIC_PROFILE_CACHE_SECONDS = env_int("CLINIC_PROFILE_CACHE_SECONDS", 10)
    # A clinician's approval of a medical page is this many months old before a new review is
    # due: the page stays public with its date, and reviewers see it on their Today page.
    CONTENT_REVIEW_MONTHS = env_int("CONTENT_REVIEW_MONTHS", 12)
    # Each app process re-reads the booking rules (slot length, buffer, horizon, notice) at most
    # this often; the process that saves them uses the new ones at once.
    CLINIC_BOOKING_SETTINGS_CACHE_SECONDS = env_int("CLINIC_BOOKING_SETTINGS_CACHE_SECONDS", 10)

    # Mail and notifications
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "clinic@localhost")
    MAIL_TIMEOUT_SECONDS = env_int("MAIL_TIMEOUT_SECONDS", 10)
    CLINIC_NOTIFY_EMAILS = env_list("CLINIC_NOTIFY_EMAILS")
    CLINIC_SEND_ACKNOWLEDGEMENT = env_bool("CLINIC_SEND_ACKNOWLEDGEMENT", True)
    # Retries back off 1, 2, 4 … minutes, capped at OUTBOX_MAX_BACKOFF_MINUTES: with the defaults a
    # message keeps trying for about ten hours of mail-server outage before it is marked failed.
    OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
    OUTBOX_MAX_BACKOFF_MINUTES = env_int("OUTBOX_MAX_BACKOFF_MINUTES", 120)
    OUTBOX_SEND_AFTER_RESPONSE = env_bool("OUTBOX_SEND_AFTER_RESPONSE", True)
    OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50)
    # A claimed message not finished within this time (a sender that died) is claimed again.
    OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
    OUTBOX_WORK_INTERVAL_SECONDS = env_int("OUTBOX_WORK_INTERVAL_SECONDS", 30)
    # Delivered messages (which hold addresses) are deleted this many days after sending.
    OUTBOX_KEEP_SENT_DAYS = env_int("OUTBOX_KEEP_SENT_DAYS", 30)
    # Webhooks go only to public internet addresses; on, they may also reach this server and
    # private networks (a receiver on the clinic's own network), never link-local or metadata.
    WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)

    # Rate limits (Flask-Limiter)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "clinic")
    # If Redis is unreachable, count in memory rather than turn a patient away with an error.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_INQUIRY = os.environ.get("RATELIMIT_INQUIRY", "5/minute;30/day")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "20/minute;200/day")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5/minute;50/day")
    # Patients' booking forms (choose, move, cancel a consultation; ask for a fresh link) per
    # client address: each can send an email, so a link can't be used to flood a mailbox.
    RATELIMIT_BOOKING = os.environ.get("RATELIMIT_BOOKING", "10/minute;100/day")

    # The inquiry form framed on the clinic's own site (/embed/inquire): the origins allowed to
    # frame it, comma-separated (https://www.example-clinic.com); empty, no site may. Every
    # other page stays unframeable.
    EMBED_ALLOWED_ORIGINS = env_list("EMBED_ALLOWED_ORIGINS")
    # How long a framed form may stay open before sending asks to press the button again (its
    # signed token stands in for the session cookie a framed page can't count on).
    EMBED_FORM_MAX_AGE_SECONDS = env_int("EMBED_FORM_MAX_AGE_SECONDS", 3600 * 8)
    # The lead-capture API (/api/v1) refuses larger request bodies with 413.
    API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
    # Fetches of private calendar feeds (/calendar/<token>.ics) per client address. Generous:
    # Google and Outlook fetch everyone's feeds from a few shared addresses, while guessing a
    # 256-bit token needs unimaginably more than this.
    RATELIMIT_CALENDAR_FEED = os.environ.get("RATELIMIT_CALENDAR_FEED", "60/minute;5000/day")

    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # How many app processes serve the site (gunicorn reads the same variable for --workers);
    # check-deploy uses it to tell whether in-memory rate limits would be split between them.
    WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 0)
    DEMO_ADMIN = False


class DevelopmentConfig(Config):
    CLINIC_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"  # noqa: S105
    DEMO_ADMIN = env_bool("CLINIC_DEMO_ADMIN", True)
    STAFF_REQUIRE_2FA = os.environ.get("STAFF_REQUIRE_2FA", "none").strip().lower()


class TestingConfig(Config):
    CLINIC_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    RATELIMIT_ENABLED = False
    OUTBOX_SEND_AFTER_RESPONSE = False
    # Tests of manual work start from unassigned leads; the automation tests switch it on.
    CLINIC_AUTO_ASSIGN = False
    # One cheap round: the suite signs people in hundreds of times. Tests of the hashing itself
    # set the real method back.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105 (a method name)
    # Tests that sign in an admin get in with the password; two-step tests switch it on.
    STAFF_REQUIRE_2FA = "none"
    # Tests change articles between requests: read the condition list every time.
    CLINIC_CONTENT_CACHE_SECONDS = 0
    CLINIC_STALE_COUNT_CACHE_SECONDS = 0
    CLINIC_SPEED_CACHE_SECONDS = 0
    # Kept for the whole test (each test has its own app; saving forgets it at once), so query
    # counts never depend on how long a test took.
    CLINIC_PROFILE_CACHE_SECONDS = 3600
    CLINIC_NOTIFY_EMAILS = ["coordinators@clinic.test"]
    LOG_FORMAT = "text"


class ProductionConfig(Config):
    CLINIC_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """Pick the configuration class named by CLINIC_CONFIG (development by default)."""
    name = os.environ.get("CLINIC_CONFIG", "development").strip().lower()
    if name not in CONFIGS:
        raise SystemExit(
            f"CLINIC_CONFIG={name!r} is not known; use one of: {', '.join(sorted(CONFIGS))}."
        )
    return CONFIGS[name]
