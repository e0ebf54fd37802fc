"""Notifications: what the clinic sends (inquiry alerts, acknowledgements, digests) and the
outbox that carries them, so a message is stored with its cause and delivered later."""
