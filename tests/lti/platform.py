"""An LTI 1.3 learning platform for the tests: a stand-in for Moodle or Canvas that launches
our tool.

The third-party `lti1p3platform` library does the LTI work: it builds the OIDC login
initiation, builds and signs the id_tokens, issues service access tokens, checks the tool's
deep-linking answers and runs Assignment and Grade Services and Names and Role Provisioning
Services. This module only glues it to a small Flask app with a course page, a gradebook and
in-memory state that tests can read and change.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any, cast
from urllib.parse import quote

import jwt
from flask import Flask, Response, redirect, request, session
from flask import Request as FlaskRequest
from jwcrypto.jwk import JWK
from lti1p3platform.exceptions import (
    LineItemNotFoundException,
    LtiDeepLinkingResponseException,
    LtiException,
    MissingRequiredClaim,
    PreflightRequestValidationException,
    UnsupportedGrantType,
)
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.ltiplatform import JWKS, LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LibRequest
from lti1p3platform.request import TRequest
from lti1p3platform.response import Response as ServiceResponse
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import TScore, UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from werkzeug.serving import BaseWSGIServer, make_server

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = ROLE + "Learner"
INSTRUCTOR = ROLE + "Instructor"
DEEP_LINK_HINT = "deep-link"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"
DL_SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CONTEXT_TYPE = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
DEFAULT_SCORE_MAXIMUM = 100
UPDATABLE = (
    "label",
    "scoreMaximum",
    "resourceId",
    "tag",
    "startDateTime",
    "endDateTime",
    "gradesReleased",
)


@dataclass
class ToolRegistration:
    """What the platform knows of the tool."""

    client_id: str
    deployment_id: str
    login_url: str  # the tool's OIDC login initiation URL
    launch_url: str  # the tool's default launch URL (target_link_uri)
    deep_link_url: str  # target_link_uri for deep-linking requests
    jwks_url: str  # the tool's public keys


@dataclass
class PlatformUser:
    """A person enrolled in the platform's course."""

    sub: str
    name: str
    email: str
    roles: list[str]  # full LTI role URIs


@dataclass
class Link:
    """A resource link placed in the course."""

    id: str
    title: str
    url: str
    custom: dict[str, str] = field(default_factory=dict)
    lineitem_id: str | None = None


class _LibraryRequest(LibRequest):
    """The library's view of a request: a Flask request, or a ready-made dict."""

    def build_metadata(self, request: Any) -> TRequest:
        """Copy what the library reads from the request."""
        if isinstance(request, dict):
            return cast(TRequest, request)
        flask_request = cast(FlaskRequest, request)
        return {
            "method": flask_request.method,
            "form_data": flask_request.form.to_dict(),
            "get_data": flask_request.args.to_dict(),
            "headers": flask_request.headers,
            "content_type": flask_request.content_type,
            "path": flask_request.path,
            "json": flask_request.get_json(silent=True),
        }


def _static_request(get_data: dict[str, Any]) -> _LibraryRequest:
    """A library request carrying only query parameters (used outside any HTTP request)."""
    return _LibraryRequest(
        {
            "method": "GET",
            "form_data": {},
            "get_data": get_data,
            "headers": {},
            "content_type": None,
            "path": "/",
            "json": None,
        }
    )


class _PlatformConfig(LTI1P3PlatformConfAbstract):
    """The library's platform configuration over one TestPlatform.

    A new instance is made per request: the library keeps the JWT being checked on the
    instance, so sharing one between server threads would mix requests up.
    """

    def init_platform_config(self, **kwargs: Any) -> None:
        """Remember the platform whose registration this serves."""
        self._platform: TestPlatform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        """The one registration: our tool."""
        return self._platform.registration

    def get_tool_key_set(self) -> JWKS:
        """The tool's JWKS, fetched fresh each time (the tool rotates its keys).

        The library would otherwise cache the first key set on the registration forever.
        """
        return self.fetch_public_key(self._platform.tool.jwks_url)


class _OIDCLogin(OIDCLoginAbstract):
    """OIDC login initiation answered with a Flask redirect."""

    def set_lti_message_hint(self, **kwargs: Any) -> None:
        """Say which message (a link id or the deep-linking hint) the login is for."""
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Any:
        """Send the browser to the tool's login URL."""
        return redirect(url, code=302)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    """A resource-link or deep-linking launch of our tool by one platform user."""

    def __init__(
        self, request: LibRequest, platform_config: _PlatformConfig, platform: TestPlatform
    ) -> None:
        super().__init__(request, platform_config)
        self._platform = platform
        self._registration = platform_config.get_registration()

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        """Fill the claims for the message the login was started for."""
        platform = self._platform
        user = platform.users[preflight_response["login_hint"]]
        hint = preflight_response["lti_message_hint"]
        self.set_user_data(user.sub, list(user.roles), user.name, user.email)
        self.set_launch_context_claim(
            platform.context_id, [CONTEXT_TYPE], platform.context_title, platform.context_label
        )
        if hint == DEEP_LINK_HINT:
            self.set_dl(platform.url + "/deep-link/return", accept_types={"ltiResourceLink"})
            settings = cast(dict[str, Any], self._deep_linking_launch_data)[DL_SETTINGS_CLAIM]
            settings["accept_presentation_document_targets"] = ["window", "iframe"]
            settings["accept_multiple"] = True
            settings["auto_create"] = True
            return
        link = platform.links[hint]
        self.set_launch_url(link.url)
        self.set_resource_link_claim(link.id, title=link.title)
        if link.custom:
            self.set_custom_parameters_claim(dict(link.custom))
        self.set_launch_presentation_claim("window", platform.url + "/")
        lineitem_url = platform.lineitem_url(link.lineitem_id) if link.lineitem_id else None
        self.set_ags(platform.lineitems_url, lineitem_url)
        self.set_nrps(platform.memberships_url)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        """An auto-submitting form that posts the id_token and state to the tool."""
        posted = {
            "url": launch_data["launch_url"],
            "id_token": launch_data["id_token"],
            "state": launch_data["state"],
        }
        with self._platform.lock:
            self._platform.last_launch = posted
        body = (
            '<form id="lti-launch" method="post" action="{url}">'
            '<input type="hidden" name="id_token" value="{id_token}">'
            '<input type="hidden" name="state" value="{state}">'
            '<noscript><button type="submit">Continue to the tool</button></noscript>'
            "</form>"
            "<script>document.getElementById('lti-launch').submit();</script>"
        ).format(**{key: escape(value) for key, value in posted.items()})
        return _html("Launching the tool", body)


class _Grades(AssignmentsGradesService):
    """Assignment and Grade Services over the platform's in-memory line items and scores."""

    def __init__(
        self,
        request: LibRequest,
        platform_config: _PlatformConfig,
        platform: TestPlatform,
        lineitem_id: str | None = None,
    ) -> None:
        super().__init__(
            request,
            platform_config,
            platform.lineitems_url,
            platform.lineitem_url(lineitem_id) if lineitem_id else None,
        )
        self._platform = platform

    def find_lineitems(
        self,
        page: int = 1,
        limit: int | None = None,
        line_item_id: str | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
        **_ignored: Any,
    ) -> TPage:
        """All line items of the context, filtered as the AGS query parameters ask."""
        wanted = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
        with self._platform.lock:
            items = [
                dict(item)
                for key, item in self._platform.lineitems.items()
                if (line_item_id is None or key == line_item_id)
                and all(value is None or item.get(name) == value for name, value in wanted.items())
            ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> TLineItem:
        """One line item, or LineItemNotFoundException."""
        with self._platform.lock:
            item = self._platform.lineitems.get(line_item_id)
            if item is None:
                raise LineItemNotFoundException(line_item_id)
            return cast(TLineItem, dict(item))

    def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
        """Add a line item (a gradebook column)."""
        return cast(TLineItem, self._platform.create_lineitem(dict(creation_data)))

    def update_lineitem(self, update_data: TLineItem) -> TLineItem:
        """Change a line item's fields (its id and resource link stay)."""
        key = update_data["id"]
        with self._platform.lock:
            item = self._platform.lineitems.get(key)
            if item is None:
                raise LineItemNotFoundException(key)
            changes = cast(dict[str, Any], update_data)
            for name in UPDATABLE:
                if name in changes:
                    item[name] = changes[name]
            return cast(TLineItem, dict(item))

    def delete_lineitem(self, line_item_id: str) -> None:
        """Remove a line item and unbind it from its link."""
        with self._platform.lock:
            if self._platform.lineitems.pop(line_item_id, None) is None:
                raise LineItemNotFoundException(line_item_id)
            for link in self._platform.links.values():
                if link.lineitem_id == line_item_id:
                    link.lineitem_id = None

    def update_score(self, line_item_id: str, score: TScore) -> UpdateScoreStatus:
        """Record a score; the latest per user is the one the gradebook shows."""
        platform = self._platform
        with platform.lock:
            if line_item_id not in platform.lineitems:
                raise LineItemNotFoundException(line_item_id)
            user_id = str(score.get("userId", ""))
            if user_id not in platform.users:
                return UpdateScoreStatus.NOTAPPLIED
            previous = platform.latest_score(line_item_id, user_id)
            if previous is not None and _older(score.get("timestamp"), previous.get("timestamp")):
                return UpdateScoreStatus.OLD_TIMESTAMP
            platform.scores.append({**score, "lineitem_id": line_item_id})
        return UpdateScoreStatus.CREATED if previous is None else UpdateScoreStatus.SUCCESS

    def get_results(
        self,
        line_item_id: str,
        page: int = 1,
        limit: int | None = None,
        user_id: str | None = None,
        **_ignored: Any,
    ) -> TPage:
        """The current result of each user on the line item."""
        platform = self._platform
        with platform.lock:
            if line_item_id not in platform.lineitems:
                raise LineItemNotFoundException(line_item_id)
            url = platform.lineitem_url(line_item_id)
            results = []
            for sub in platform.users:
                score = platform.latest_score(line_item_id, sub)
                if score is None or (user_id is not None and sub != user_id):
                    continue
                result: dict[str, Any] = {
                    "id": f"{url}/results/{quote(sub)}",
                    "scoreOf": url,
                    "userId": sub,
                }
                if score.get("scoreGiven") is not None:
                    result["resultScore"] = score["scoreGiven"]
                    result["resultMaximum"] = score.get("scoreMaximum", 1)
                if score.get("comment"):
                    result["comment"] = score["comment"]
                results.append(result)
        return {"content": results, "has_next": False, "next": None}


class _Roster(NamesRoleProvisioningService):
    """Names and Role Provisioning Services over the platform's users."""

    def __init__(
        self, request: LibRequest, platform_config: _PlatformConfig, platform: TestPlatform
    ) -> None:
        super().__init__(request, platform_config, platform.memberships_url)
        self._platform = platform

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
        **_ignored: Any,
    ) -> TPage:
        """Every user (filtered by role, full URI or short name), as NRPS members."""
        with self._platform.lock:
            users = list(self._platform.users.values())
        members = [
            {
                "user_id": user.sub,
                "roles": list(user.roles),
                "name": user.name,
                "email": user.email,
                "status": "Active",
            }
            for user in users
            if role is None or role in user.roles or ROLE + role in user.roles
        ]
        return {"content": members, "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        """The course."""
        platform = self._platform
        return Context(
            id=platform.context_id, label=platform.context_label, title=platform.context_title
        )

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        """A resource link is valid when it is placed in the course."""
        return context_id == self._platform.context_id and resource_link_id in self._platform.links


def _older(new: Any, old: Any) -> bool:
    """Whether timestamp `new` is strictly earlier than `old` (unparseable: not older)."""
    try:
        return datetime.fromisoformat(str(new)) < datetime.fromisoformat(str(old))
    except (TypeError, ValueError):
        return False


def _html(title: str, body: str) -> Response:
    """A small accessible HTML page."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main>{body}</main></body></html>"
    )
    return Response(page, mimetype="text/html")


def _plain(message: str, status: int) -> Response:
    """A plain-text answer (used for errors)."""
    return Response(message + "\n", status=status, mimetype="text/plain")


def _score_text(value: Any) -> str:
    """8.0 -> '8', 7.5 -> '7.5'."""
    return f"{value:g}" if isinstance(value, int | float) else escape(str(value))


class TestPlatform:
    """An LTI 1.3 platform with one course, three users and one registered tool."""

    __test__ = False  # not a pytest test class

    context_id = "course-101"
    context_title = "Co-creation 101"
    context_label = "CC101"

    def __init__(self, tool: ToolRegistration) -> None:
        self.tool = tool
        self.url = ""
        self.lock = threading.RLock()
        self.users: dict[str, PlatformUser] = {
            "student-1": PlatformUser("student-1", "Sam Student", "sam@school.test", [LEARNER]),
            "student-2": PlatformUser("student-2", "Lee Learner", "lee@school.test", [LEARNER]),
            "teacher-1": PlatformUser(
                "teacher-1", "Tess Teacher", "tess@school.test", [INSTRUCTOR]
            ),
        }
        self.links: dict[str, Link] = {}
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []
        self.last_launch: dict[str, Any] | None = None
        self._link_ids = itertools.count(1)
        self._lineitem_ids = itertools.count(1)
        key = JWK.generate(kty="RSA", size=2048)
        self.registration = (
            Registration()
            .set_iss(self.url)
            .set_client_id(tool.client_id)
            .set_deployment_id(tool.deployment_id)
            .set_oidc_login_url(tool.login_url)
            .set_launch_url(tool.launch_url)
            .set_deeplink_launch_url(tool.deep_link_url)
            .set_tool_key_set_url(tool.jwks_url)
            .set_platform_private_key(key.export_to_pem(private_key=True, password=None).decode())
            .set_platform_public_key(key.export_to_pem().decode())
        )
        self.app = self._make_app()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The platform's issuer (`iss`): its base URL."""
        return self.url

    @property
    def auth_login_url(self) -> str:
        """Where the tool sends its OIDC authentication request."""
        return self.url + "/auth"

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint for service access tokens."""
        return self.url + "/token"

    @property
    def jwks_url(self) -> str:
        """The platform's public keys."""
        return self.url + "/jwks"

    @property
    def lineitems_url(self) -> str:
        """The AGS line items container of the course."""
        return f"{self.url}/context/{self.context_id}/lineitems"

    @property
    def memberships_url(self) -> str:
        """The NRPS memberships of the course."""
        return f"{self.url}/context/{self.context_id}/memberships"

    def lineitem_url(self, lineitem_id: str) -> str:
        """One line item's URL (also its AGS `id`)."""
        return f"{self.lineitems_url}/{lineitem_id}"

    # -- running -----------------------------------------------------------------------------

    def start(self) -> TestPlatform:
        """Serve on 127.0.0.1 at a free port, in a daemon thread."""
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.registration.set_iss(self.url)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- state -------------------------------------------------------------------------------

    def add_link(
        self,
        title: str,
        url: str,
        custom: dict[str, str] | None = None,
        with_lineitem: bool = False,
    ) -> Link:
        """Place a resource link in the course, with its own line item if asked."""
        with self.lock:
            link = Link(f"link-{next(self._link_ids)}", title, url, dict(custom or {}))
            self.links[link.id] = link
            if with_lineitem:
                item = self.create_lineitem(
                    {
                        "label": title,
                        "scoreMaximum": DEFAULT_SCORE_MAXIMUM,
                        "resourceLinkId": link.id,
                    }
                )
                link.lineitem_id = item["id"].rsplit("/", 1)[-1]
        return link

    def create_lineitem(self, data: dict[str, Any]) -> dict[str, Any]:
        """Add a line item; its `id` in the JSON is its URL, its key in `lineitems` short."""
        with self.lock:
            key = f"li-{next(self._lineitem_ids)}"
            item = {
                name: data[name]
                for name in (
                    "label",
                    "scoreMaximum",
                    "resourceLinkId",
                    "resourceId",
                    "tag",
                    "startDateTime",
                    "endDateTime",
                    "gradesReleased",
                )
                if data.get(name) is not None
            }
            item["id"] = self.lineitem_url(key)
            self.lineitems[key] = item
            return dict(item)

    def latest_score(self, lineitem_id: str, sub: str) -> dict[str, Any] | None:
        """The last score posted for the user on the line item."""
        with self.lock:
            for score in reversed(self.scores):
                if score["lineitem_id"] == lineitem_id and str(score.get("userId")) == sub:
                    return score
        return None

    # -- signing -----------------------------------------------------------------------------

    def _config(self) -> _PlatformConfig:
        """The library's platform configuration (new per use; see _PlatformConfig)."""
        config = _PlatformConfig(platform=self)
        config.get_registration()
        config.set_accepted_deeplinking_types(["ltiResourceLink"])
        return config

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign arbitrary claims with the platform key (header `kid`), unchanged."""
        return self.registration.platform_encode_and_sign(dict(claims))

    def launch_claims(self, link_id: str, sub: str, nonce: str) -> dict[str, Any]:
        """The claims a normal resource-link launch of the link by the user carries."""
        preflight = {
            "nonce": nonce,
            "state": "",
            "login_hint": sub,
            "lti_message_hint": link_id,
            "client_id": self.tool.client_id,
            "redirect_uri": self.links[link_id].url,
        }
        launch = _Launch(_static_request(preflight), self._config(), self)
        launch.prepare_launch(preflight)
        claims, _state = launch.get_launch_data()
        now = int(time.time())
        claims.update({"iat": now, "exp": now + launch.id_token_expiration})
        return claims

    # -- web ---------------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        """The platform's Flask app."""
        app = Flask(__name__)
        app.secret_key = secrets.token_hex(16)
        # The tool also runs on 127.0.0.1, and cookies ignore ports: use our own name.
        app.config["SESSION_COOKIE_NAME"] = "test_platform_session"
        app.add_url_rule("/", "course", self._course)
        app.add_url_rule("/launch/<link_id>", "launch", self._launch)
        app.add_url_rule("/deep-link", "deep_link", self._deep_link)
        app.add_url_rule("/auth", "auth", self._auth, methods=["GET", "POST"])
        app.add_url_rule(
            "/deep-link/return", "deep_link_return", self._deep_link_return, methods=["POST"]
        )
        app.add_url_rule("/token", "token", self._token, methods=["POST"])
        app.add_url_rule("/jwks", "jwks", self._jwks)
        app.add_url_rule("/gradebook", "gradebook", self._gradebook)
        app.add_url_rule(
            "/context/<context_id>/lineitems",
            "lineitems",
            self._lineitems,
            methods=["GET", "POST"],
        )
        app.add_url_rule(
            "/context/<context_id>/lineitems/<lineitem_id>",
            "lineitem",
            self._lineitem,
            methods=["GET", "PUT", "DELETE"],
        )
        app.add_url_rule(
            "/context/<context_id>/lineitems/<lineitem_id>/scores",
            "scores",
            self._scores,
            methods=["POST"],
        )
        app.add_url_rule(
            "/context/<context_id>/lineitems/<lineitem_id>/results", "results", self._results
        )
        app.add_url_rule("/context/<context_id>/memberships", "memberships", self._memberships)
        return app

    def _course(self) -> Response:
        """The course page: placed links, one launch link per user each."""
        with self.lock:
            links = list(self.links.values())
            users = list(self.users.values())
        items = []
        for link in links:
            launches = "".join(
                f'<li><a class="launch" data-link="{escape(link.id)}" '
                f'data-user="{escape(user.sub)}" '
                f'href="/launch/{quote(link.id)}?as={quote(user.sub)}">'
                f"Open {escape(link.title)} as {escape(user.name)}</a></li>"
                for user in users
            )
            items.append(
                f'<li class="link" data-link="{escape(link.id)}">'
                f"<h3>{escape(link.title)}</h3><ul>{launches}</ul></li>"
            )
        placed = f'<ul id="links">{"".join(items)}</ul>' if items else '<p id="no-links">None.</p>'
        body = (
            f"<h1>{escape(self.context_title)}</h1>"
            f"<h2>Course content</h2>{placed}"
            '<p><a id="add-content" href="/deep-link?as=teacher-1">'
            "Add content from the tool</a></p>"
            '<p><a id="gradebook" href="/gradebook">Gradebook</a></p>'
        )
        return _html(self.context_title, body)

    def _login_as(self) -> PlatformUser | None:
        """Sign the `as` user in to the platform (its own session cookie)."""
        user = self.users.get(request.args.get("as", ""))
        if user is not None:
            session["user"] = user.sub
        return user

    def _launch(self, link_id: str) -> Any:
        """Start a resource-link launch: OIDC login initiation at the tool."""
        link = self.links.get(link_id)
        if link is None:
            return _plain("No such link in the course.", 404)
        user = self._login_as()
        if user is None:
            return _plain("No such user.", 400)
        login = _OIDCLogin(_LibraryRequest(request), self._config())
        login.set_lti_message_hint(hint=link.id)
        login.set_launch_url(link.url)
        return login.initiate_login(user.sub)

    def _deep_link(self) -> Any:
        """Start a deep-linking launch: OIDC login initiation at the tool."""
        user = self._login_as()
        if user is None:
            return _plain("No such user.", 400)
        login = _OIDCLogin(_LibraryRequest(request), self._config())
        login.set_lti_message_hint(hint=DEEP_LINK_HINT)
        login.set_deeplinking_launch_url()
        return login.initiate_login(user.sub)

    def _auth(self) -> Any:
        """The tool's OIDC authentication request, answered with a signed launch."""
        params = request.values.to_dict()
        with self.lock:
            allowed = {self.tool.launch_url, self.tool.deep_link_url}
            allowed |= {link.url for link in self.links.values()}
            hints = set(self.links) | {DEEP_LINK_HINT}
        checks = [
            (params.get("scope") == "openid", "scope must be openid"),
            (params.get("response_type") == "id_token", "response_type must be id_token"),
            (params.get("response_mode") == "form_post", "response_mode must be form_post"),
            (params.get("prompt") == "none", "prompt must be none"),
            (params.get("client_id") == self.tool.client_id, "unknown client_id"),
            (params.get("redirect_uri") in allowed, "redirect_uri is not registered"),
            (
                bool(params.get("login_hint")) and params.get("login_hint") == session.get("user"),
                "login_hint is not the signed-in user",
            ),
            (bool(params.get("nonce")), "nonce is missing"),
            (bool(params.get("state")), "state is missing"),
            (params.get("lti_message_hint") in hints, "unknown lti_message_hint"),
        ]
        for passed, message in checks:
            if not passed:
                return _plain(f"Bad authentication request: {message}.", 400)
        launch = _Launch(_LibraryRequest(request), self._config(), self)
        try:
            return launch.lti_launch()
        except PreflightRequestValidationException:
            return _plain("Bad authentication request.", 400)

    def _deep_link_return(self) -> Any:
        """The tool's deep-linking answer: place the chosen links (and their line items)."""
        token = request.form.get("JWT", "")
        if not token:
            return _plain("Bad deep-linking response: no JWT.", 400)
        config = self._config()
        try:
            items = config.validate_deeplinking_resp({"JWT": token})
            claims = jwt.decode(token, options={"verify_signature": False})
        except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError) as error:
            return _plain(f"Bad deep-linking response: {error or type(error).__name__}", 400)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        problems = [
            (claims.get("iss") != self.tool.client_id, "iss is not the tool's client_id"),
            (self.issuer not in audiences, "aud is not this platform"),
            (claims.get(DEPLOYMENT_CLAIM) != self.tool.deployment_id, "wrong deployment_id"),
        ]
        for failed, message in problems:
            if failed:
                return _plain(f"Bad deep-linking response: {message}.", 400)
        for item in items:
            if not item.get("url"):
                return _plain("Bad deep-linking response: an item has no url.", 400)
        with self.lock:
            for item in items:
                link = self.add_link(
                    item.get("title") or item["url"], item["url"], item.get("custom")
                )
                wanted = item.get("lineItem")
                if isinstance(wanted, dict):
                    created = self.create_lineitem(
                        {
                            "label": wanted.get("label") or link.title,
                            "scoreMaximum": wanted.get("scoreMaximum", DEFAULT_SCORE_MAXIMUM),
                            "resourceId": wanted.get("resourceId"),
                            "tag": wanted.get("tag"),
                            "resourceLinkId": link.id,
                        }
                    )
                    link.lineitem_id = created["id"].rsplit("/", 1)[-1]
        return redirect("/", code=302)

    def _token(self) -> Response:
        """OAuth2 client credentials with a JWT client assertion: a service access token."""
        form = request.form.to_dict()
        config = self._config()
        try:
            answer = config.get_access_token(form)
        except MissingRequiredClaim as error:
            return _json_error("invalid_request", str(error), 400)
        except UnsupportedGrantType:
            return _json_error("unsupported_grant_type", "grant_type", 400)
        except (LtiException, jwt.PyJWTError) as error:
            return _json_error("invalid_client", str(error) or type(error).__name__, 401)
        response = _json(dict(answer), 200)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _jwks(self) -> Response:
        """The platform's public keys."""
        return _json(dict(self._config().get_jwks()), 200)

    def _gradebook(self) -> Response:
        """One row per user, one column per line item, the latest score in each cell."""
        with self.lock:
            columns = list(self.lineitems.items())
            users = list(self.users.values())
            cells = {
                (user.sub, key): self.latest_score(key, user.sub)
                for user in users
                for key, _item in columns
            }
        head = "".join(
            f'<th scope="col" data-lineitem="{escape(key)}">{escape(str(item.get("label", key)))}'
            "</th>"
            for key, item in columns
        )
        rows = []
        for user in users:
            tds = []
            for key, _item in columns:
                score = cells[(user.sub, key)]
                text = ""
                if score is not None and score.get("scoreGiven") is not None:
                    text = (
                        f"{_score_text(score['scoreGiven'])}/"
                        f"{_score_text(score.get('scoreMaximum', ''))}"
                    )
                tds.append(
                    f'<td data-user="{escape(user.sub)}" data-lineitem="{escape(key)}">{text}</td>'
                )
            rows.append(
                f'<tr data-user="{escape(user.sub)}"><th scope="row">{escape(user.name)}</th>'
                f"{''.join(tds)}</tr>"
            )
        body = (
            f"<h1>Gradebook: {escape(self.context_title)}</h1>"
            f'<table id="gradebook"><thead><tr><th scope="col">Person</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
            '<p><a href="/">Back to the course</a></p>'
        )
        return _html("Gradebook", body)

    # -- services ----------------------------------------------------------------------------

    def _serve(self, service: Any, handler: Any, **kwargs: Any) -> Response:
        """Run a library service handler and turn its Response into a Flask one."""
        try:
            answer: ServiceResponse = service.handle_resp(handler, **kwargs)
        except (LtiException, jwt.PyJWTError):
            answer = ServiceResponse(None, 401, "Invalid LTI 1.3 authentication token")
        if answer.code >= 400:
            return _json_error("error", answer.message, answer.code, answer.media_type)
        if answer.code == 204 or answer.result is None:
            return Response(status=answer.code, mimetype=answer.media_type)
        result = answer.result
        headers = {}
        if isinstance(result, dict) and "content" in result and "has_next" in result:
            # The library hands back a page; AGS bodies are plain arrays, paged by Link header.
            if result.get("next"):
                headers["Link"] = generate_next_link(result["next"])
            result = result["content"]
        response = _json(result, answer.code, answer.media_type)
        response.headers.update(headers)
        return response

    def _lineitems(self, context_id: str) -> Response:
        """GET: list line items; POST: create one."""
        if context_id != self.context_id:
            return _plain("No such context.", 404)
        service = _Grades(_LibraryRequest(request), self._config(), self)
        if request.method == "POST":
            data = request.get_json(silent=True)
            if not isinstance(data, dict) or "label" not in data or "scoreMaximum" not in data:
                return _json_error("error", "A line item needs label and scoreMaximum.", 400)
            return self._serve(service, service.handle_create_lineitem)
        return self._serve(service, service.handle_get_lineitems)

    def _lineitem(self, context_id: str, lineitem_id: str) -> Response:
        """GET, PUT or DELETE one line item."""
        if context_id != self.context_id:
            return _plain("No such context.", 404)
        service = _Grades(_LibraryRequest(request), self._config(), self, lineitem_id)
        if request.method == "PUT":
            if not isinstance(request.get_json(silent=True), dict):
                return _json_error("error", "A line item update must be a JSON object.", 400)
            return self._serve(service, service.handle_update_lineitem, line_item_id=lineitem_id)
        if request.method == "DELETE":
            return self._serve(service, service.handle_delete_lineitem, line_item_id=lineitem_id)
        return self._serve(service, service.handle_get_lineitem, line_item_id=lineitem_id)

    def _scores(self, context_id: str, lineitem_id: str) -> Response:
        """POST a score for one user."""
        if context_id != self.context_id:
            return _plain("No such context.", 404)
        if not isinstance(request.get_json(silent=True), dict):
            return _json_error("error", "A score must be a JSON object.", 400)
        service = _Grades(_LibraryRequest(request), self._config(), self, lineitem_id)
        return self._serve(service, service.handle_update_score, line_item_id=lineitem_id)

    def _results(self, context_id: str, lineitem_id: str) -> Response:
        """GET the current results of a line item."""
        if context_id != self.context_id:
            return _plain("No such context.", 404)
        service = _Grades(_LibraryRequest(request), self._config(), self, lineitem_id)
        return self._serve(service, service.handle_get_results, line_item_id=lineitem_id)

    def _memberships(self, context_id: str) -> Response:
        """GET the course roster."""
        if context_id != self.context_id:
            return _plain("No such context.", 404)
        service = _Roster(_LibraryRequest(request), self._config(), self)
        return self._serve(service, service.handle_get_members)


def _json(data: Any, status: int, media_type: str = "application/json") -> Response:
    """A JSON answer with the given media type."""
    return Response(json.dumps(data), status=status, mimetype=media_type)


def _json_error(
    error: str, description: str, status: int, media_type: str = "application/json"
) -> Response:
    """A JSON error answer."""
    return _json({"error": error, "error_description": description}, status, media_type)


__all__ = [
    "INSTRUCTOR",
    "LEARNER",
    "Link",
    "PlatformUser",
    "TestPlatform",
    "ToolRegistration",
]
