"""The registry of channels the outbox can deliver on; each channel brings its own sender.

A sender gets a `Delivery` (a plain snapshot of the claimed row, usable outside any database
transaction) and the app config. It returns on success and raises `DeliveryError` on failure;
`permanent=True` means retrying cannot help (a refused address), so the message fails at once.
Any other exception counts as a temporary failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class DeliveryError(Exception):
    """A message could not be delivered; the text says why without naming the recipient."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class Delivery:
    id: int
    claim_token: str
    channel: str
    kind: str
    recipient: str
    subject: str
    body: str
    payload_json: str
    attempts: int

    @property
    def payload(self) -> Any:
        return json.loads(self.payload_json or "{}")


@dataclass(frozen=True)
class Sender:
    channel: str
    send: Callable[[Delivery, Mapping[str, Any]], None]
    # False while the channel lacks its settings: its messages wait instead of failing.
    is_configured: Callable[[Mapping[str, Any]], bool]


SENDERS: dict[str, Sender] = {}


def register_sender(sender: Sender) -> None:
    SENDERS[sender.channel] = sender


def ready_channels(config: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, sender in SENDERS.items() if sender.is_configured(config))
