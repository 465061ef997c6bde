"""Password rules beyond length: not one of the most common passwords, nothing personal."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

COMMON_FILE = Path(__file__).parent / "data" / "common-passwords.txt"
# Parts of a name or email shorter than this are too common to refuse ("li", "ann").
MIN_PERSONAL = 4


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercase (see data/README.md)."""
    with COMMON_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a new password may not be used, in words for the person; None if it may."""
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return str(
            _(
                "This password is one of the most commonly used passwords, which attackers try "
                "first. Choose another one."
            )
        )
    local = email.strip().lower().split("@")[0]
    if len(local) >= MIN_PERSONAL and local in lowered:
        return str(_("The password contains your email address. Choose one that does not."))
    for part in re.split(r"[\W_]+", name.lower()):
        if len(part) >= MIN_PERSONAL and part in lowered:
            return str(_("The password contains your name. Choose one that does not."))
    return None
