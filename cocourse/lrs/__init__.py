"""Forwarding the activity log to a learning record store (xAPI)."""
