"""Outgoing email: an outbox filled inside write transactions, delivered by a huey worker."""
