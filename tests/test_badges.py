"""Baked Open Badges: PNG and SVG images carrying a signed Assertion, and revocation.

The images are read back with openbadges-bakery and the signature checked with the public
key the issuer publishes. The last test hands a baked badge to the Open Badges verifier
(openbadges 1.1.2, the IMS reference verifier, installed by CI in a venv of its own because
its pins clash with ours; `OPENBADGES_PYTHON` names that venv's Python), which fetches our
documents over HTTP from the app served on loopback, then revokes the certificate and
checks that the verifier says so.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import RSAKey
from openbadges_bakery import unbake
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from cocourse.certification import certificates
from cocourse.db import get_session
from cocourse.models import Certificate, Role, User

from .conftest import make_app
from .test_certification import CERT_COURSE, certified

# The Python of the verifier's venv. Its `openbadges verify FILE` command ignores the file,
# so the test calls the library's own `verify` on the image, as that command would. The
# verifier loads the Open Badges 2.0 JSON-LD context from w3id.org; it is answered from the
# copy the verifier ships, so that the test needs no internet. Every other document comes
# over HTTP from our server.
VERIFIER = os.environ.get("OPENBADGES_PYTHON", "")
VERIFY = """
import json, sys
from openbadges import verify
from openbadges.verifier import utils
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT, OPENBADGES_CONTEXT_V2_URI)

fetch = utils.CachableDocumentLoader.__call__

def load(self, url):
    if url == OPENBADGES_CONTEXT_V2_URI:
        return {"contextUrl": None, "documentUrl": url,
                "document": json.dumps(OPENBADGES_CONTEXT_V2_DICT)}
    return fetch(self, url)

utils.CachableDocumentLoader.__call__ = load
with open(sys.argv[1], "rb") as image:
    report = verify(image, use_cache=False)
print(json.dumps(report, default=lambda o: o.decode() if isinstance(o, bytes) else str(o)))
"""


def unbaked(content: bytes, kind: str) -> str:
    image = io.BytesIO(content)
    image.name = f"badge.{kind}"
    return str(unbake(image))


@pytest.fixture
def app(engine, database_url: str, tmp_path: Path) -> Any:
    """The app on the small programme course of the certification tests."""
    return make_app(database_url, tmp_path, CONTENT_DIR=str(CERT_COURSE))


def signed_payload(client: Any, token: str) -> dict[str, Any]:
    """The payload of a JWS whose signature the issuer's published key confirms."""
    profile = client.get("/badges/issuer.json").get_json(force=True)
    key_doc = client.get(profile["publicKey"].replace("http://localhost", "")).get_json(force=True)
    assert key_doc["type"] == "CryptographicKey" and key_doc["owner"] == profile["id"]
    key = RSAKey.import_key(key_doc["publicKeyPem"])
    return dict(json.loads(jws.deserialize_compact(token, key, algorithms=["RS256"]).payload))


def revoke(app: Any, certificate: Certificate) -> None:
    with app.app_context():
        db = get_session()
        admin = db.scalar(select(User).where(User.role == Role.ADMIN))
        certificates.revoke(db, certificate.id, admin, "Issued to the wrong person")


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_a_badge_image_carries_the_certificates_signed_assertion(app, auth, session, client, kind):
    user, cert = certified(app, auth, session)
    response = client.get(f"/badges/assertions/{cert.code}.{kind}")
    assert response.status_code == 200
    assert response.mimetype == ("image/png" if kind == "png" else "image/svg+xml")
    assert f'filename="badge-{cert.program}-' in response.headers["Content-Disposition"]
    if kind == "png":
        assert Image.open(io.BytesIO(response.data)).size == (400, 400)
    payload = signed_payload(client, unbaked(response.data, kind))
    hosted = client.get(f"/badges/assertions/{cert.code}.json").get_json(force=True)
    assert payload["id"].startswith("urn:uuid:") and payload["id"] != hosted["id"]
    assert payload["verification"] == {
        "type": "SignedBadge",
        "creator": "http://localhost/badges/key.json",
    }
    same = ("recipient", "badge", "issuedOn", "expires", "evidence")
    assert {k: payload[k] for k in same} == {k: hosted[k] for k in same}
    assert user.email not in json.dumps(payload)


def test_the_signing_key_is_created_once_private_and_published_as_public(app, client):
    profile = client.get("/badges/issuer.json").get_json(force=True)
    assert profile["revocationList"] == "http://localhost/badges/revocations.json"
    pem = client.get("/badges/key.json").get_json(force=True)["publicKeyPem"]
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    key_file = Path(app.config["BADGE_SIGNING_KEY_FILE"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert client.get("/badges/key.json").get_json(force=True)["publicKeyPem"] == pem


def test_a_revoked_certificate_is_on_the_revocation_list_and_gets_no_new_image(
    app, auth, session, client
):
    _user, cert = certified(app, auth, session)
    baked_before = client.get(f"/badges/assertions/{cert.code}.png").data
    signed_id = signed_payload(client, unbaked(baked_before, "png"))["id"]
    listed = client.get("/badges/revocations.json").get_json(force=True)
    assert listed["type"] == "RevocationList" and listed["revokedAssertions"] == []
    revoke(app, cert)
    listed = client.get("/badges/revocations.json").get_json(force=True)
    hosted_id = f"http://localhost/badges/assertions/{cert.code}.json"
    assert listed["revokedAssertions"] == [{"id": signed_id}, {"id": hosted_id}]
    assert "wrong person" not in json.dumps(listed)  # the reason stays private
    for kind in ("png", "svg"):
        assert client.get(f"/badges/assertions/{cert.code}.{kind}").status_code == 410
    assert client.get(f"/badges/assertions/{'x' * 43}.png").status_code == 404
    assert client.get(f"/badges/assertions/{cert.code}.gif").status_code == 404


def in_dutch(app: Any, user: User) -> None:
    with app.app_context():
        db = get_session()
        db.get(User, user.id).language = "nl"
        db.commit()


def test_a_dutch_holders_badge_is_the_programmes_dutch_badge_class(app, auth, session, client):
    user, cert = certified(app, auth, session)
    in_dutch(app, user)
    hosted = client.get(f"/badges/assertions/{cert.code}.json").get_json(force=True)
    assert hosted["badge"] == "http://localhost/badges/programs/facilitator/nl.json"
    dutch = client.get("/badges/programs/facilitator/nl.json").get_json(force=True)
    assert dutch["name"] == "Testfacilitator" and dutch["@language"] == "nl"
    assert dutch["description"] == "Een klein programma voor de tests."
    assert dutch["image"] == "http://localhost/badges/programs/facilitator/nl.svg"
    original = "http://localhost/badges/programs/facilitator.json"
    assert dutch["related"] == [{"type": "BadgeClass", "id": original, "@language": "en"}]
    english = client.get("/badges/programs/facilitator.json").get_json(force=True)
    assert english["name"] == "Test Facilitator" and english["@language"] == "en"
    assert english["related"] == [{"type": "BadgeClass", "id": hosted["badge"], "@language": "nl"}]
    assert "Testfacilitator" in client.get("/badges/programs/facilitator/nl.svg").get_data(True)
    baked = client.get(f"/badges/assertions/{cert.code}.svg").get_data(as_text=True)
    assert "Testfacilitator" in baked and "Test Facilitator" not in baked
    assert signed_payload(client, unbaked(baked.encode(), "svg"))["badge"] == hosted["badge"]
    # A language the programme is not translated into, or none at all, has no BadgeClass.
    for path in ("facilitator/fr.json", "facilitator/xx.json", "facilitator/fr.svg", "x/nl.json"):
        assert client.get(f"/badges/programs/{path}").status_code == 404


def test_an_english_holders_badge_keeps_the_original_badge_class(app, auth, session, client):
    _user, cert = certified(app, auth, session)
    hosted = client.get(f"/badges/assertions/{cert.code}.json").get_json(force=True)
    assert hosted["badge"] == "http://localhost/badges/programs/facilitator.json"


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test app on a real HTTP server on loopback, naming itself by that address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    yield url
    server.shutdown()
    thread.join()


def verify(baked_file: Path) -> dict[str, Any]:
    """The verifier's report on a baked badge image."""
    if not VERIFIER or not Path(VERIFIER).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the Open Badges verifier is missing (OPENBADGES_PYTHON): .ci/run makes it")
        pytest.skip("the Open Badges verifier is not installed (OPENBADGES_PYTHON, see .ci/run)")
    done = subprocess.run(  # noqa: S603 - our own arguments
        [VERIFIER, "-c", VERIFY, str(baked_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def test_the_reference_verifier_accepts_a_baked_badge_and_reports_its_revocation(
    app, auth, session, client, served, tmp_path
):
    _user, cert = certified(app, auth, session)
    for kind in ("png", "svg"):
        baked = tmp_path / f"badge.{kind}"
        baked.write_bytes(client.get(f"/badges/assertions/{cert.code}.{kind}").data)
        report = verify(baked)
        assert report["report"]["valid"] is True, report["report"]["messages"]
        assert report["report"]["errorCount"] == 0
    in_dutch(app, _user)  # the Dutch BadgeClass, with its related original, verifies too
    dutch = tmp_path / "dutch.png"
    dutch.write_bytes(client.get(f"/badges/assertions/{cert.code}.png").data)
    report = verify(dutch)
    assert report["report"]["valid"] is True, report["report"]["messages"]
    badges = [node["name"] for node in report["graph"] if node.get("type") == "BadgeClass"]
    assert badges == ["Testfacilitator"], report["graph"]
    revoke(app, cert)
    report = verify(tmp_path / "badge.png")
    assert report["report"]["valid"] is False
    messages = [m["result"] for m in report["report"]["messages"]]
    assert any("has been revoked in RevocationList" in m for m in messages), messages
