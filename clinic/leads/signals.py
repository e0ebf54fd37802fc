"""What the domain announces, so the layers above react without leads/ importing them.

Each signal is sent from one place, inside the transaction that made the change, with ids and
plain values (never ORM objects) as keyword arguments; the sender is the current app. Receivers
(connected by ``notify.init_app`` and ``automation.init_app`` in ``create_app``) run in that same
transaction, so what they queue is saved with the change or rolled back with it.

- ``inquiry_recorded``: intake stored an inquiry (``lead_id``, ``inquiry_id``, ``reference``,
  ``created_lead``, ``reopened_from``, ``email``, ``owner_id``, ``now``); ``owner_id`` is the
  owner a new lead was written with, None otherwise. A reopened lead has sent
  ``lead_status_changed`` before it.
- ``lead_status_changed``: a lead moved to another stage (``lead_id``, ``previous_status``,
  ``status``, ``actor_id``, ``now``).
- ``lead_assigned``: a lead got another owner (``lead_id``, ``previous_owner_id``, ``owner_id``,
  ``actor_id``, ``created``, ``now``); ``actor_id`` None means assigned automatically, and
  ``created`` that the lead is new. A new lead written with its owner sends no such signal:
  ``inquiry_recorded`` says it.
- ``lead_erased``: a lead and those merged into it were erased (``lead_ids``, ``actor_id``,
  ``now``).
"""

from __future__ import annotations

from blinker import Namespace
from flask import Flask, current_app

_signals = Namespace()

inquiry_recorded = _signals.signal("inquiry-recorded")
lead_status_changed = _signals.signal("lead-status-changed")
lead_assigned = _signals.signal("lead-assigned")
lead_erased = _signals.signal("lead-erased")


def sender() -> Flask:
    """The app sending a signal, as Flask's own signals name it."""
    # current_app is typed as the Flask it stands for, not as the proxy it is.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app
