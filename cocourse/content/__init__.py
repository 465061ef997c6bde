"""Course content: Markdown files in, immutable course objects out. No Flask, no database."""
