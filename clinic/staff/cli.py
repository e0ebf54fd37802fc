"""`flask --app wsgi users …`: staff accounts from the command line, for the first admin and for
resets when nobody can sign in."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from clinic.database import write_transaction
from clinic.demo import team as demo_team
from clinic.extensions import db
from clinic.models import Lead, StaffUser
from clinic.models.staff import ROLES
from clinic.staff import accounts, passwords, two_factor
from clinic.templating import local_time

users_cli = AppGroup("users", help="Staff accounts: create, deactivate, reset passwords.")
# How the commands are typed from the project folder, for the hints they print.
FLASK = ".venv/bin/flask --app wsgi"


@contextmanager
def _account_errors_reported() -> Iterator[None]:
    """An account rule that says no becomes a clear message and a non-zero exit."""
    try:
        yield
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error


def _operator() -> str:
    """Who the audit log names for a command-line change."""
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):
        return "command line"


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password(email: str) -> str:
    """From a hidden, confirmed prompt at a terminal, else the first line of standard input.

    :raise click.ClickException: when nothing usable was given.
    """
    if _stdin_is_terminal():
        password = click.prompt(
            f"Password for {email}", hide_input=True, confirmation_prompt=True, err=True
        )
    else:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException(
                "No password on standard input: give it as one line, "
                f"at least {passwords.MIN_LENGTH} characters."
            )
    with _account_errors_reported():
        accounts.check_new_password(email, password)
    return password


def _existing(email: str):
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no staff account for {email.strip()}.")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What they may do.")
@click.option("--name", required=True, help='Their full name, e.g. "Casey Coordinator".')
def users_create(email: str, role: str, name: str) -> None:
    """Create a staff account; the password is asked for (or read as one line from stdin)."""
    with _account_errors_reported():
        email = accounts.normalise_email(email)
        if accounts.find_by_email(email):
            raise accounts.AccountError(f"An account for {email} already exists.")
        password = _read_password(email)
        with write_transaction():
            user = accounts.create_user(email, name, role, password, by=_operator())
    click.echo(f"Created {user.role} {user.email} ({user.name}).")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Stop someone signing in and end every session they have."""
    with _account_errors_reported(), write_transaction():
        user = _existing(email)
        accounts.deactivate_user(user, by=_operator())
    click.echo(f"Deactivated {user.email}; their sessions have ended.")


@users_cli.command("set-password")
@click.argument("email")
def users_set_password(email: str) -> None:
    """Give someone a new password; their sessions end and any sign-in lock is lifted."""
    user = _existing(email)
    password = _read_password(user.email)
    with _account_errors_reported(), write_transaction():
        user = _existing(email)
        accounts.set_password(user, password, by=_operator())
    click.echo(f"Password changed for {user.email}; their sessions have ended.")


@users_cli.command("reset-two-factor")
@click.argument("email")
def users_reset_two_factor(email: str) -> None:
    """Remove someone's two-step sign-in (a lost phone, and no admin who can sign in)."""
    try:
        with write_transaction():
            user = _existing(email)
            two_factor.reset(user, by=_operator())
    except two_factor.TwoFactorError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Two-step sign-in removed for {user.email}; their sessions have ended.")


@users_cli.command("list")
def users_list() -> None:
    """Every staff account: email, role, status, name, last sign-in (clinic time)."""
    users = accounts.list_users()
    if not users:
        click.echo(
            "No staff accounts yet. Create one with: users create EMAIL --role admin --name …"
        )
        return
    for user in users:
        status = "active" if user.active else "deactivated"
        last = local_time(user.last_login_at) or "never signed in"
        click.echo(f"{user.email}\t{user.role}\t{status}\t{user.name}\t{last}")


@users_cli.command("ensure-demo-admin")
def users_ensure_demo_admin() -> None:
    """Development: on a database without staff, create an admin and print its password; on
    every start, say how to sign in (the demo coordinators' known password included).
    Production refuses, naming any demo account that still signs in with that password."""
    config = current_app.config
    if config.get("CLINIC_ENV") == "production":
        message = "ensure-demo-admin never runs in production; nothing created."
        known = demo_team.with_demo_password(demo_team.existing_demo_accounts())
        if known:
            emails = ", ".join(user.email for user in known)
            message += (
                f" These accounts still sign in with the demo password: {emails}. Deactivate "
                f"them, or give each a new password with `{FLASK} users set-password EMAIL`, "
                "before serving."
            )
        raise click.ClickException(message)
    if not (config.get("DEMO_ADMIN") and config.get("CLINIC_ENV") == "development"):
        click.echo("Demo admin is off for this configuration; nothing created.")
        return
    with write_transaction():
        created = accounts.create_demo_admin()
    rule = "=" * 72
    lines = [rule, f"  Sign in at {config['CLINIC_PUBLIC_URL']}/staff/login (development only)", ""]
    lines += _admin_lines(created)
    lines += _coordinator_lines()
    if db.session.execute(select(Lead.id).limit(1)).first() is None:
        lines += [
            "",
            "  No leads yet. For a realistic inbox and Today (before trying the inquiry",
            "  form: demo data goes into a database without leads only), run",
            f"    {FLASK} demo seed --leads 5000",
        ]
    click.echo("\n".join(["", *lines, rule, ""]))


def _admin_lines(created: tuple[StaffUser, str] | None) -> list[str]:
    if created is not None:
        user, password = created
        return [
            "  Demo admin created:",
            f"  email:     {user.email}",
            f"  password:  {password}",
            "  It is shown only now: change it under 'Your account', or set another with",
            f"    {FLASK} users set-password {user.email}",
        ]
    admin = accounts.find_by_email(accounts.DEMO_ADMIN_EMAIL)
    if admin is None or not admin.active:
        return ["  Staff accounts already exist; no demo admin created."]
    return [
        f"  Admin: {admin.email} (staff accounts already exist), with the password printed",
        "  when it was created. Lost it? Set another:",
        f"    {FLASK} users set-password {admin.email}",
    ]


def _coordinator_lines() -> list[str]:
    """The demo coordinators who still have the demo password, or how to give it back."""
    coordinators = demo_team.existing_coordinators()
    if not coordinators:
        return []
    known = demo_team.with_demo_password(coordinators)
    if not known:
        return [
            "",
            "  The demo coordinators have passwords of their own now; give them the demo",
            f"  password again with: {FLASK} demo coordinators",
        ]
    emails = [user.email for user in known]
    rows = [", ".join(emails[index : index + 3]) for index in range(0, len(emails), 3)]
    lines = [
        "",
        f"  Coordinators (each sees their own leads on Today), password {demo_team.DEMO_PASSWORD}:",
        *(f"    {row}" for row in rows),
    ]
    pages = demo_team.with_demo_password(demo_team.existing_content_team())
    if pages:
        lines += [
            "  Pages (the editor writes, the clinical reviewer approves), same password:",
            f"    {', '.join(user.email for user in pages)}",
        ]
    return lines
