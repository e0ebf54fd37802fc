"""`flask --app wsgi api-keys …`: lead-capture API keys from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from clinic import audit
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.leads import api_keys
from clinic.models import ApiKey
from clinic.staff.cli import _operator
from clinic.templating import local_time

api_keys_cli = AppGroup("api-keys", help="Lead-capture API keys: create, list, revoke.")


@api_keys_cli.command("create")
@click.argument("name")
@click.option("--source", default=None, help="The source its leads show (default: the name).")
@click.option(
    "--rate-limit",
    default=api_keys.DEFAULT_RATE_LIMIT,
    show_default=True,
    help="Requests per period for this key, such as 60/minute or 1000/day.",
)
def create(name: str, source: str | None, rate_limit: str) -> None:
    """Make a key. It is printed once, on the last line: only its hash is kept."""
    operator = _operator()
    try:
        with write_transaction():
            made = api_keys.create_key(
                name, source_name=source, rate_limit=rate_limit, created_by=operator
            )
            audit.record(
                "api_key_created",
                actor_email=operator,
                detail=f"Key “{made.key.name}” ({made.key.prefix}…), source "
                f"“{made.key.source_name}”, limit {made.key.rate_limit}",
            )
    except api_keys.ApiKeyError as error:
        raise click.ClickException(str(error)) from error
    key = made.key
    click.echo(
        f"API key #{key.id} “{key.name}” made: source “{key.source_name}”, limit "
        f"{key.rate_limit}. Copy it now; it is not shown again:"
    )
    click.echo(made.secret)


@api_keys_cli.command("list")
def list_keys() -> None:
    """Every key with its last use; revoked ones last."""
    keys = api_keys.all_keys()
    if not keys:
        click.echo("No API keys yet.")
    for key in keys:
        used = local_time(key.last_used_at) if key.last_used_at else "never used"
        state = f"revoked {local_time(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(
            f"#{key.id}  {key.prefix}…  {key.name}  source “{key.source_name}”  "
            f"{key.rate_limit}  last used: {used}  {state}"
        )


@api_keys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Refuse the key with this id (see `list`) from now on."""
    operator = _operator()
    with write_transaction():
        key = db.session.get(ApiKey, key_id)
        if key is None:
            raise click.ClickException(f"There is no API key #{key_id}.")
        revoked = api_keys.revoke(key)
        if revoked:
            audit.record(
                "api_key_revoked", actor_email=operator, detail=f"Key “{key.name}” ({key.prefix}…)"
            )
    click.echo(
        f"API key #{key_id} “{key.name}” " + ("revoked." if revoked else "was already revoked.")
    )
