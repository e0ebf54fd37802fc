"""Automation that keeps every lead moving: assignment, stale leads, webhooks, saved replies."""
