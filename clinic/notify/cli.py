"""`flask --app wsgi outbox …`: deliver queued messages from cron or a long-running worker."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from clinic.extensions import db
from clinic.notify import outbox
from clinic.notify.digest import queue_daily_digests
from clinic.notify.reminders import queue_due_reminders

outbox_cli = AppGroup("outbox", help="Notifications waiting to be delivered.")


def _echo_report(report: outbox.SendReport) -> None:
    click.echo(
        f"outbox: {report.sent} sent, {report.retrying} waiting to retry, {report.failed} failed"
    )
    if report.waiting_unconfigured:
        click.echo(
            f"outbox: {report.waiting_unconfigured} message(s) waiting for a channel that is not "
            "configured (email needs MAIL_SERVER)",
            err=True,
        )


@outbox_cli.command("send")
@click.option("--force", is_flag=True, help="Also send messages still waiting for their retry.")
def send(force: bool) -> None:
    """Deliver every due message once (run it from cron every minute or two), after queuing
    the consultation reminders now due."""
    queue_due_reminders()
    report = outbox.send_due(force=force)
    pruned = outbox.prune_sent(current_app.config["OUTBOX_KEEP_SENT_DAYS"])
    _echo_report(report)
    if pruned:
        click.echo(f"outbox: removed {pruned} delivered message(s) past the keeping period")


@outbox_cli.command("work")
@click.option(
    "--interval",
    type=float,
    default=None,
    help="Seconds between rounds (OUTBOX_WORK_INTERVAL_SECONDS by default).",
)
def work(interval: float | None) -> None:
    """Deliver due messages in a loop until stopped (SIGTERM or Ctrl-C end it between rounds)."""
    interval = (
        interval if interval is not None else current_app.config["OUTBOX_WORK_INTERVAL_SECONDS"]
    )
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"outbox: working, a round every {interval:g} s")
    while not stop.is_set():
        try:
            queue_due_reminders()
            report = outbox.send_due()
            if report.sent or report.retrying or report.failed:
                _echo_report(report)
        except Exception:
            # The database may be down: log, keep going, try again next round.
            current_app.logger.exception("outbox round failed")
        finally:
            db.session.remove()
        stop.wait(interval)
    click.echo("outbox: stopped")


@outbox_cli.command("digest")
def digest() -> None:
    """Queue and send today's follow-up digest to each coordinator (run once each morning)."""
    queued = queue_daily_digests()
    click.echo(f"outbox: {len(queued)} digest(s) queued")
    if queued:
        _echo_report(outbox.send_due(ids=[message.id for message in queued]))


@outbox_cli.command("reminders")
def reminders() -> None:
    """Queue the consultation reminders now due (`send` and `work` do it each round)."""
    click.echo(f"outbox: {queue_due_reminders()} reminder(s) queued")


@outbox_cli.command("status")
def status() -> None:
    """How many messages are pending, sending, sent and failed."""
    counts = outbox.status_counts()
    for name in ("pending", "sending", "sent", "failed"):
        click.echo(f"{name}: {counts.get(name, 0)}")


@outbox_cli.command("retry-failed")
def retry_failed() -> None:
    """Give every failed message a fresh set of attempts (after fixing the mail settings)."""
    count = outbox.retry_failed(by="command line")
    click.echo(f"outbox: {count} failed message(s) queued again")
