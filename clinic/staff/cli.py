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

from clinic.database import write_transaction
from clinic.models.staff import ROLES
from clinic.staff import accounts, passwords, two_factor
from clinic.templating import local_time

users_cli = AppGroup("users", help="Staff accounts: create, deactivate, reset passwords.")


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
    """Development only: on an empty database, create an admin and print its password once."""
    config = current_app.config
    if config.get("CLINIC_ENV") == "production":
        raise click.ClickException("ensure-demo-admin never runs in production; nothing created.")
    if not (config.get("DEMO_ADMIN") and config.get("CLINIC_ENV") == "development"):
        click.echo("Demo admin is off for this configuration; nothing created.")
        return
    with write_transaction():
        created = accounts.create_demo_admin()
    if created is None:
        click.echo("Staff accounts already exist; no demo admin created.")
        return
    user, password = created
    rule = "=" * 64
    click.echo(
        f"\n{rule}\n"
        "  Demo admin created (development only). Sign in at\n"
        f"    {config['CLINIC_PUBLIC_URL']}/staff/login\n"
        f"  email:     {user.email}\n"
        f"  password:  {password}\n"
        "  This password is shown only now. Change it under 'Your account'.\n"
        f"{rule}\n"
    )
