"""cocourse-webhook: posts learner events from cocourse to a webhook (see README.md)."""

__version__ = "0.1.0"
