"""The key that signs Open Badges, and the signing itself (JWS, RS256, with joserfc).

A signed badge carries its whole Assertion, so a verifier needs the issuer's public key and
its revocation list, not the Assertion's URL; this is what lets a verifier say that a badge
was revoked. The private key is a PEM file, created (mode 0600) on first use; every host of
an installation must use the same file. No Flask, no database.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
KEY_BITS = 3072


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> RSAKey:
    return RSAKey.import_key(Path(path).read_bytes())


def signing_key(path: str | os.PathLike[str]) -> RSAKey:
    """The private key in `path`, created there first if the file does not exist.

    Several processes starting at once agree on one key: each writes a complete file under a
    temporary name and links it into place; only the first link wins.
    """
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        pem = RSAKey.generate_key(KEY_BITS).as_pem(private=True)
        tmp = file.with_name(f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _load(str(file), file.stat().st_mtime_ns)


def public_pem(key: RSAKey) -> str:
    """The public half of the key, as PEM text."""
    return key.as_pem(private=False).decode("ascii")


def sign(document: dict[str, Any], key: RSAKey) -> str:
    """The document as a compact JWS signed with the key."""
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jws.serialize_compact({"alg": ALGORITHM}, payload, key, algorithms=[ALGORITHM])
