"""Security headers per kind of page, and numbers in URLs that the database could not hold."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from cocourse.models import Role
from cocourse.web.ids import MAX_ID

from .conftest import make_app

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def check_common(headers):
    for name, value in ALWAYS.items():
        assert headers[name] == value, name
    assert "Strict-Transport-Security" not in headers  # not in development mode


@pytest.mark.parametrize("path", ["/", "/login", "/modules/intro", "/no-such-page"])
def test_anonymous_pages_carry_the_header_set_and_may_be_cached(client, path):
    headers = client.get(path).headers
    check_common(headers)
    assert headers["Content-Security-Policy"] == CSP
    assert "no-store" not in headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "path",
    ["/", "/dashboard", "/modules/intro/first", "/activity", "/activity.csv", "/account/password"],
)
def test_signed_in_pages_are_never_stored(client, auth, path):
    auth.create()
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    check_common(response.headers)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


def test_shared_assets_keep_their_cache_time_when_signed_in(client, auth):
    auth.create()
    auth.login()
    css = client.get("/assets/code.css")
    assert css.headers["Cache-Control"] == "max-age=86400"
    static = client.get("/static/cocourse.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
    check_common(static.headers)


def test_static_files_are_linked_by_content_hash_and_kept_for_a_year(client, auth):
    auth.create()
    auth.login()
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'href="/static/cocourse\.([0-9a-f]{12})\.css"', page)
    assert found, "the stylesheet is not linked under a hashed name"
    body = (Path(client.application.static_folder) / "cocourse.css").read_bytes()
    assert found[1] == hashlib.sha256(body).hexdigest()[:12]
    with client.get(f"/static/cocourse.{found[1]}.css") as hashed:
        assert hashed.status_code == 200 and hashed.data == body
        assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        check_common(hashed.headers)
    for missing in ("/static/nothing.0123456789ab.css", "/static/..%2Fconfig.0123456789ab.py"):
        assert client.get(missing).status_code == 404
    with client.get("/static/cocourse.css") as plain:
        assert plain.data == body and "immutable" not in plain.headers.get("Cache-Control", "")


def test_production_sends_hsts(engine, database_url, tmp_path):
    public = "https://learn.example.org"
    app = make_app(database_url, tmp_path, PRODUCTION=True, HSTS_MAX_AGE=600, PUBLIC_URL=public)
    headers = app.test_client().get("/").headers
    assert headers["Strict-Transport-Security"] == "max-age=600"
    off = make_app(database_url, tmp_path, PRODUCTION=True, HSTS_MAX_AGE=0, PUBLIC_URL=public)
    assert "Strict-Transport-Security" not in off.test_client().get("/").headers


def int_routes(app):
    """Every route with an integer part, as a URL with that part set to `value`."""
    for rule in app.url_map.iter_rules():
        if any(type(c).__name__ == "IdConverter" for c in rule._converters.values()):
            yield rule


@pytest.mark.parametrize("value", [MAX_ID + 1, 2**63, 2**64 + 5, 10**30])
def test_integer_route_parts_beyond_the_database_are_404(app, client, auth, value):
    auth.create("admin@example.org", role=Role.ADMIN)
    auth.login("admin@example.org")
    rules = list(int_routes(app))
    assert len(rules) >= 15  # cohorts, attempts, portfolios, certificates, sessions...
    for rule in rules:
        values = {name: value for name in rule.arguments if name in rule._converters}
        values.update({name: "x" for name in rule.arguments if name not in values})
        _, path = rule.build(values, append_unknown=False)  # type: ignore[misc]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            # GET: no such page. Another method on that path may find werkzeug answering
            # 405 first, as it does for any path it cannot match; never the driver's 500.
            expected = {404} if method == "GET" else {404, 405}
            assert response.status_code in expected, (method, path, response.status_code)


def test_the_largest_id_is_an_ordinary_miss(client, auth):
    auth.create()
    auth.login()
    assert client.get(f"/quiz/attempts/{MAX_ID}").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/admin/users", "/assessor/learners", "/activity", "/admin/certificates", "/admin/audit"],
)
def test_page_numbers_beyond_the_database_are_400(client, auth, path):
    auth.create("admin@example.org", role=Role.ADMIN)
    auth.login("admin@example.org")
    for page in (str(MAX_ID + 1), "9" * 40):
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 400, (path, page)
        assert b"too large" in response.data
    assert client.get(f"{path}?page={MAX_ID}").status_code == 200
