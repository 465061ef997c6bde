"""Prometheus metrics: request latency per endpoint, quiz submissions and queue depth,
served at /metrics to a scraper that knows the token (off unless one is set)."""
