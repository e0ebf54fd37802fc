"""`flask --app wsgi check-deploy`: the settings a production site must not get wrong.

Like Django's `check --deploy`: each problem is printed with its fix, and the command exits
non-zero while any remain, so it can gate a deployment script.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from clinic.content.catalogue import published_service_count
from clinic.content.review import unreviewed_condition_pages
from clinic.demo.team import existing_demo_accounts, with_demo_password
from clinic.extensions import db
from clinic.staff.two_factor import REQUIREMENTS

MIN_SECRET_KEY_LENGTH = 32
ONE_YEAR = 365 * 24 * 3600
KNOWN_SECRET_KEYS = {
    "dev-only-not-secret",
    "testing-secret-key-not-for-production",
    "changeme",
    "change-me",
    "secret",
}
NETWORK_FILESYSTEMS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "fuse.sshfs",
    "fuse.s3fs",
    "lustre",
    "davfs",
    "ncpfs",
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
GENERATE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


@dataclass(frozen=True)
class Finding:
    problem: str
    fix: str
    # False for a setting some sites need on purpose: it is printed, but the check still passes.
    blocking: bool = True


def filesystem_type(path: str, mounts_file: str = "/proc/mounts") -> str | None:
    """The type of the filesystem holding `path` (the longest matching mount point wins)."""
    try:
        lines = Path(mounts_file).read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, best_type = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fields[2]
    return best_type


def check_sqlite(path: str | None, journal_mode: str | None, mounts_file: str) -> list[Finding]:
    if not path or path == ":memory:":
        return [
            Finding(
                "The database is SQLite in memory: every inquiry vanishes when the app stops.",
                "Set DATABASE_URL to a file on local disk (sqlite:////var/lib/clinic/clinic.db) "
                "or to PostgreSQL.",
            )
        ]
    findings = []
    fs_type = filesystem_type(str(Path(path).parent), mounts_file)
    if fs_type in NETWORK_FILESYSTEMS:
        findings.append(
            Finding(
                f"The SQLite database is on a network filesystem ({fs_type}): its locking is "
                "unreliable there and the database can be corrupted.",
                "Move the database file to a local disk, or use PostgreSQL "
                "(DATABASE_URL=postgresql+psycopg://…) for several app servers.",
            )
        )
    if journal_mode is not None and journal_mode.lower() != "wal":
        findings.append(
            Finding(
                f"SQLite runs in journal mode '{journal_mode}', not WAL: readers block writers "
                "and busy patients get errors.",
                "Keep the database on a local filesystem that supports WAL (the app switches "
                "WAL on by itself on every connection).",
            )
        )
    return findings


def check_settings(config: Mapping[str, Any], debug: bool) -> list[Finding]:
    """Everything that can be judged from the configuration alone."""
    found = []

    def problem(text: str, fix: str) -> None:
        found.append(Finding(text, fix))

    if config.get("CLINIC_ENV") != "production":
        problem(
            f"The {config.get('CLINIC_ENV')} configuration is in use, not production.",
            "Set CLINIC_CONFIG=production.",
        )
    key = config.get("SECRET_KEY") or ""
    if key in KNOWN_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        problem(
            "SECRET_KEY is missing, a known default or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters: sessions could be forged.",
            f"Set SECRET_KEY to a long random value, e.g. the output of {GENERATE_KEY}",
        )
    if debug or config.get("DEBUG"):
        problem(
            "Debug mode is on: an error page would show code and let a visitor run commands.",
            "Unset FLASK_DEBUG and never pass --debug in production.",
        )
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(name):
            problem(f"{name} is off: the cookie would travel over plain HTTP.", f"Set {name}=true.")
    for name in ("SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY"):
        if not config.get(name):
            problem(f"{name} is off: page scripts could read the cookie.", f"Set {name}=True.")
    for name in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        if config.get(name) not in ("Lax", "Strict"):
            problem(f"{name} is not Lax or Strict.", f"Set {name}='Lax'.")
    if int(config.get("HSTS_SECONDS") or 0) < ONE_YEAR:
        problem(
            "Strict-Transport-Security is off or shorter than a year.",
            f"Set HSTS_SECONDS={ONE_YEAR} (the production default) and serve only HTTPS.",
        )
    if not config.get("TRUSTED_HOSTS"):
        problem(
            "TRUSTED_HOSTS is not set: any Host header is accepted.",
            "Set TRUSTED_HOSTS to the site's host names, e.g. TRUSTED_HOSTS=clinic.example.org.",
        )
    public = urlsplit(config.get("CLINIC_PUBLIC_URL") or "")
    if public.scheme != "https" or (public.hostname or "") in LOCAL_HOSTS:
        problem(
            f"CLINIC_PUBLIC_URL ({config.get('CLINIC_PUBLIC_URL')}) is not the public HTTPS "
            "address: links in staff emails would not work.",
            "Set CLINIC_PUBLIC_URL=https://<your host>.",
        )
    found.extend(check_rate_limits(config))
    found.extend(check_mail(config))
    found.extend(check_webhooks(config))
    found.extend(check_two_factor(config))
    return found


def check_two_factor(config: Mapping[str, Any]) -> list[Finding]:
    setting = str(config.get("STAFF_REQUIRE_2FA") or "").strip().lower()
    if setting == "none":
        return [
            Finding(
                "STAFF_REQUIRE_2FA=none: an admin's password alone opens every patient's record "
                "and the staff accounts.",
                "Set STAFF_REQUIRE_2FA=admins (the production default) or all.",
            )
        ]
    if setting not in REQUIREMENTS:
        return [
            Finding(
                f"STAFF_REQUIRE_2FA={setting!r} is not known; the app treats it as 'all'.",
                f"Set STAFF_REQUIRE_2FA to one of: {', '.join(REQUIREMENTS)}.",
            )
        ]
    return []


def check_webhooks(config: Mapping[str, Any]) -> list[Finding]:
    """A note, not a problem: a clinic may need a receiver on its own network."""
    if not config.get("WEBHOOK_ALLOW_PRIVATE"):
        return []
    return [
        Finding(
            "WEBHOOK_ALLOW_PRIVATE is on: an admin can point webhooks (with patient data, if "
            "ticked) at this server and at private networks, over plain http too.",
            "Keep it only while a webhook receiver runs on the clinic's own network; "
            "otherwise unset it.",
            blocking=False,
        )
    ]


def check_rate_limits(config: Mapping[str, Any]) -> list[Finding]:
    if not config.get("RATELIMIT_ENABLED"):
        return [
            Finding(
                "Rate limiting is off: one script can flood the inquiry form and sign-in.",
                "Unset RATELIMIT_ENABLED (it is on by default).",
            )
        ]
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://"):
        if int(config.get("WEB_CONCURRENCY") or 0) != 1:
            return [
                Finding(
                    "Rate limits are counted in memory, so each app process (and each server) "
                    "counts separately and the limits multiply.",
                    "Set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0, or WEB_CONCURRENCY=1 "
                    "if exactly one single-process app server runs.",
                )
            ]
        return []
    try:
        reachable = storage_from_string(uri).check()
    except Exception:  # any driver or URI error means the same thing here
        reachable = False
    if not reachable:
        return [
            Finding(
                "The rate-limit storage (RATELIMIT_STORAGE_URI) does not answer.",
                "Start Redis or correct RATELIMIT_STORAGE_URI.",
            )
        ]
    return []


def check_mail(config: Mapping[str, Any]) -> list[Finding]:
    found = []
    server = config.get("MAIL_SERVER") or ""
    if not server:
        found.append(
            Finding(
                "No mail server is configured: staff alerts and acknowledgements wait unsent.",
                "Set MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME and MAIL_PASSWORD.",
            )
        )
    elif server not in LOCAL_HOSTS and not config.get("MAIL_USE_TLS"):
        found.append(
            Finding(
                f"Mail to {server} is sent without STARTTLS.",
                "Set MAIL_USE_TLS=true (or relay through a local mail server).",
            )
        )
    sender = config.get("MAIL_DEFAULT_SENDER") or ""
    if sender.endswith("@localhost") or "@" not in sender:
        found.append(
            Finding(
                f"MAIL_DEFAULT_SENDER ({sender}) is not a real address: mail will be rejected.",
                "Set MAIL_DEFAULT_SENDER to an address of the clinic's domain.",
            )
        )
    if not config.get("CLINIC_NOTIFY_EMAILS"):
        found.append(
            Finding(
                "No notification recipients: nobody hears about new inquiries.",
                "Set CLINIC_NOTIFY_EMAILS to the coordinators' addresses, comma-separated.",
            )
        )
    return found


def check_database(app: Flask, mounts_file: str) -> list[Finding]:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with db.engine.connect() as connection:
            journal_mode = None
            if url.get_backend_name() == "sqlite":
                journal_mode = connection.execute(text("PRAGMA journal_mode")).scalar()
            else:
                connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return [
            Finding(
                f"The database does not answer ({type(error).__name__}).",
                "Check DATABASE_URL and that the database server is running.",
            )
        ]
    found = check_demo_accounts() + check_unreviewed_pages() + check_published_services()
    if url.get_backend_name() == "sqlite":
        found += check_sqlite(url.database, journal_mode, mounts_file)
    return found


def check_demo_accounts() -> list[Finding]:
    """Demo accounts (coordinators, editor, reviewer) copied from a development database still
    open with the password the README publishes."""
    try:
        exposed = with_demo_password(existing_demo_accounts())
    except SQLAlchemyError:  # not migrated yet: there are no accounts to check
        db.session.rollback()
        return []
    if not exposed:
        return []
    return [
        Finding(
            f"{len(exposed)} demo account(s) still sign in with the published demo "
            f"password: {', '.join(user.email for user in exposed)}.",
            "Deactivate them (flask users deactivate EMAIL) or give each a new password "
            "(flask users set-password EMAIL).",
        )
    ]


def check_unreviewed_pages() -> list[Finding]:
    """Medical pages patients can read that no clinician at the clinic has approved (shipped
    text published by `content sync`)."""
    try:
        slugs = unreviewed_condition_pages()
    except SQLAlchemyError:  # not migrated yet: there are no pages to check
        db.session.rollback()
        return []
    if not slugs:
        return []
    return [
        Finding(
            f"{len(slugs)} published condition page(s) have no clinician's approval: "
            f"{', '.join(slugs)}.",
            "Have a clinical reviewer (an admin marks them in Users) review each under Pages "
            "(/staff/content), or unpublish it.",
        )
    ]


def check_published_services() -> list[Finding]:
    """A clinic that charges patients must say for what and how much, and whether each
    treatment is approved, part of a registered trial, or neither (/services)."""
    try:
        published = published_service_count()
    except SQLAlchemyError:  # not migrated yet: nothing can be published
        db.session.rollback()
        return []
    if published:
        return []
    return [
        Finding(
            "No service is published: patients can't see what the clinic offers, what it "
            "costs, or whether a treatment is FDA-approved or part of a registered trial.",
            "Add the consultation and each treatment programme with its price and regulatory "
            "standing under Clinic → Services and prices (/staff/settings/services), and "
            "publish them.",
        )
    ]


def find_problems(app: Flask, mounts_file: str = "/proc/mounts") -> list[Finding]:
    return check_settings(app.config, app.debug) + check_database(app, mounts_file)


@click.command("check-deploy")
def check_deploy() -> None:
    """Check the production settings; print each problem with its fix, exit 1 if any."""
    findings = find_problems(current_app._get_current_object())  # type: ignore[attr-defined]
    problems = [finding for finding in findings if finding.blocking]
    if problems:
        click.echo(f"check-deploy: {len(problems)} problem(s) found.\n")
        for number, finding in enumerate(problems, 1):
            click.echo(f"{number}. {finding.problem}\n   Fix: {finding.fix}\n")
    else:
        click.echo("check-deploy: no problems found.\n")
    for finding in findings:
        if not finding.blocking:
            click.echo(f"Note: {finding.problem}\n   {finding.fix}\n")
    if problems:
        sys.exit(1)
