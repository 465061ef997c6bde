"""A learning platform for the tests (a stand-in for Moodle or Canvas), built on the
third-party `lti1p3platform` library: it signs the id_tokens, issues service tokens, checks
the tool's deep-linking answers and serves Assignment and Grade Services and Names and Role
Provisioning Services. This file only glues it to a small Flask app with a course page,
a gradebook and in-memory state that tests can read and change."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from flask import Flask, Response, abort, redirect, request, session
from jwcrypto.jwk import JWK
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as ServiceResponse
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)
from werkzeug.serving import make_server

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
DEEP_LINK = "deep-link"


@dataclass
class ToolRegistration:
    """What the platform knows of the tool."""

    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    deep_link_url: str
    jwks_url: str


@dataclass
class PlatformUser:
    sub: str
    name: str
    email: str
    roles: list[str]


@dataclass
class Link:
    """A resource link placed in the course."""

    id: str
    title: str
    url: str
    custom: dict[str, str] = field(default_factory=dict)
    lineitem_id: str | None = None


class _Request(Request):
    """lti1p3platform's view of a Flask request."""

    def build_metadata(self, request: Any) -> TRequest:
        is_json = (request.mimetype or "").endswith("json")
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True) if is_json else None,
        }


class _Conf(LTI1P3PlatformConfAbstract):
    """One registration: this platform and the tool."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Any:
        return redirect(url)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, request: Any, conf: _Conf, preflight: dict[str, Any], form: Any) -> None:
        super().__init__(request, conf)
        self._preflight, self._form = preflight, form

    def get_preflight_response(self) -> dict[str, Any]:
        return self._preflight

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        return self._form(launch_data)


class TestPlatform:
    """The platform: a course (`context_id`) with users, placed links, line items and
    scores, served on a free loopback port once started."""

    __test__ = False  # not a test class, despite its name
    context_id = "course-101"
    context_title = "Co-creation 101"

    def __init__(self, tool: ToolRegistration) -> None:
        self.tool = tool
        key = JWK.generate(kty="RSA", size=2048)
        self._private = key.export_to_pem(private_key=True, password=None).decode()
        self._public = key.export_to_pem().decode()
        self.users: dict[str, PlatformUser] = {
            "student-1": PlatformUser(
                "student-1", "Sam Student", "sam@school.test", [ROLE + "Learner"]
            ),
            "student-2": PlatformUser(
                "student-2", "Sasha Second", "sasha@school.test", [ROLE + "Learner"]
            ),
            "teacher-1": PlatformUser(
                "teacher-1", "Tess Teacher", "tess@school.test", [ROLE + "Instructor"]
            ),
        }
        self.links: dict[str, Link] = {}
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []
        self.last_launch: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._server: Any = None
        self.url = ""

    # Addresses

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def auth_login_url(self) -> str:
        return self.url + "/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def jwks_url(self) -> str:
        return self.url + "/jwks"

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/context/{self.context_id}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/context/{self.context_id}/memberships"

    # Running

    def start(self) -> TestPlatform:
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    # State

    def add_link(
        self,
        title: str,
        url: str,
        custom: dict[str, str] | None = None,
        with_lineitem: bool = False,
    ) -> Link:
        link = Link(f"link-{secrets.token_hex(4)}", title, url, dict(custom or {}))
        with self._lock:
            self.links[link.id] = link
        if with_lineitem:
            link.lineitem_id = self._new_lineitem(
                {"label": title, "scoreMaximum": 100, "resourceLinkId": link.id}
            )["id"]
        return link

    def _new_lineitem(self, data: dict[str, Any]) -> dict[str, Any]:
        item_id = f"{self.lineitems_url}/{len(self.lineitems) + 1}"
        item = {**{k: v for k, v in data.items() if k != "id"}, "id": item_id}
        with self._lock:
            self.lineitems[item_id] = item
        return item

    def registration(self) -> Registration:
        """A fresh registration: the tool's keyset is fetched again for every use."""
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.tool.client_id)
            .set_deployment_id(self.tool.deployment_id)
            .set_launch_url(self.tool.launch_url)
            .set_deeplink_launch_url(self.tool.deep_link_url)
            .set_oidc_login_url(self.tool.login_url)
            .set_tool_key_set_url(self.tool.jwks_url)
            .set_platform_public_key(self._public)
            .set_platform_private_key(self._private)
        )

    def _conf(self) -> _Conf:
        return _Conf(registration=self.registration())

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign any claims with the platform's key, as the platform signs id_tokens."""
        registration = self.registration()
        return Registration.encode_and_sign(
            dict(claims), self._private, {"kid": registration.get_kid()}
        )

    def _launch_message(self, launch: _Launch, link: Link, user: PlatformUser) -> None:
        """The claims of a resource-link launch, set on the library's launch object."""
        launch.set_user_data(user.sub, user.roles, user.name, user.email)
        launch.set_launch_context_claim(
            self.context_id,
            ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            self.context_title,
            "CC101",
        )
        launch.set_resource_link_claim(link.id, title=link.title)
        if link.custom:
            launch.set_custom_parameters_claim(link.custom)
        launch.set_launch_url(link.url)
        launch.set_launch_presentation_claim("window", self.url + "/")
        lineitem = link.lineitem_id
        launch.set_ags(self.lineitems_url, lineitem, allow_creating_lineitems=True)
        launch.set_nrps(self.memberships_url)

    def launch_claims(self, link_id: str, sub: str, nonce: str) -> dict[str, Any]:
        """The claims a normal launch of `link_id` by `sub` carries, for tests to alter."""
        launch = _Launch(None, self._conf(), {}, None)
        launch._registration = launch._platform_config.get_registration()
        self._launch_message(launch, self.links[link_id], self.users[sub])
        now = int(time.time())
        return {**launch.get_launch_message(), "nonce": nonce, "iat": now, "exp": now + 300}

    # The web app

    def _app(self) -> Flask:
        app = Flask(__name__)
        app.secret_key = secrets.token_hex(16)
        app.add_url_rule("/", view_func=self._course)
        app.add_url_rule("/gradebook", view_func=self._gradebook)
        app.add_url_rule("/jwks", view_func=lambda: dict(self._conf().get_jwks()))
        app.add_url_rule("/launch/<link_id>", view_func=self._start_launch)
        app.add_url_rule("/deep-link", view_func=self._start_deep_link)
        app.add_url_rule("/auth", view_func=self._auth, methods=["GET", "POST"])
        app.add_url_rule("/deep-link/return", view_func=self._deep_link_return, methods=["POST"])
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        base = f"/context/{self.context_id}"
        app.add_url_rule(f"{base}/lineitems", view_func=self._lineitems, methods=["GET", "POST"])
        app.add_url_rule(
            f"{base}/lineitems/<number>", view_func=self._lineitem, methods=["GET", "PUT", "DELETE"]
        )
        app.add_url_rule(
            f"{base}/lineitems/<number>/scores", view_func=self._scores, methods=["POST"]
        )
        app.add_url_rule(f"{base}/lineitems/<number>/results", view_func=self._results)
        app.add_url_rule(f"{base}/memberships", view_func=self._memberships)
        return app

    def _page(self, title: str, body: str) -> str:
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
            f"</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
        )

    def _course(self) -> str:
        items = []
        for link in list(self.links.values()):
            launches = "".join(
                f'<li><a class="launch" data-link="{escape(link.id)}" data-user="{escape(u.sub)}" '
                f'href="/launch/{escape(link.id)}?as={escape(u.sub)}">Open {escape(link.title)} as '
                f"{escape(u.name)}</a></li>"
                for u in self.users.values()
            )
            items.append(f"<li>{escape(link.title)}<ul>{launches}</ul></li>")
        body = (
            f'<ul id="links">{"".join(items)}</ul>'
            '<p><a id="add-content" href="/deep-link?as=teacher-1">'
            "Add content from the tool</a></p>"
            '<p><a href="/gradebook">Gradebook</a></p>'
        )
        return self._page(self.context_title, body)

    def _gradebook(self) -> str:
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for score in list(self.scores):
            latest[(score["userId"], score["lineitem_id"])] = score
        items = list(self.lineitems.values())
        head = "".join(
            f'<th scope="col">{escape(str(i.get("label", i["id"])))}</th>' for i in items
        )
        rows = []
        for user in self.users.values():
            cells = []
            for item in items:
                score = latest.get((user.sub, item["id"]))
                shown = f"{score['scoreGiven']}/{score['scoreMaximum']}" if score else ""
                cells.append(
                    f'<td data-user="{escape(user.sub)}" data-lineitem="{escape(item["id"])}">'
                    f"{escape(shown)}</td>"
                )
            rows.append(f'<tr><th scope="row">{escape(user.name)}</th>{"".join(cells)}</tr>')
        table = f"<table><tr><th>Learner</th>{head}</tr>{''.join(rows)}</table>"
        return self._page("Gradebook", table)

    def _start_launch(self, link_id: str) -> Any:
        link = self.links.get(link_id) or abort(404)
        sub = request.args.get("as", "")
        if sub not in self.users:
            abort(404)
        session["user"] = sub
        login = _Login(None, self._conf())
        login.set_lti_message_hint(hint=link.id)
        login.set_launch_url(link.url)
        return login.initiate_login(sub)

    def _start_deep_link(self) -> Any:
        sub = request.args.get("as", "")
        if sub not in self.users:
            abort(404)
        session["user"] = sub
        login = _Login(None, self._conf())
        login.set_lti_message_hint(hint=DEEP_LINK)
        login.set_deeplinking_launch_url()
        return login.initiate_login(sub)

    def _auth(self) -> Any:
        """The OIDC authorization endpoint: check the tool's request, then post the signed
        id_token to its redirect URI from an auto-submitting form."""
        asked = request.values.to_dict()
        allowed = {self.tool.launch_url, self.tool.deep_link_url} | {
            link.url for link in self.links.values()
        }
        problems = [
            message
            for failed, message in (
                (asked.get("client_id") != self.tool.client_id, "unknown client_id"),
                (asked.get("redirect_uri") not in allowed, "redirect_uri not registered"),
                (asked.get("login_hint") != session.get("user"), "login_hint is not the user"),
                (not asked.get("nonce"), "no nonce"),
                (asked.get("response_type") != "id_token", "response_type must be id_token"),
                (asked.get("scope") != "openid", "scope must be openid"),
            )
            if failed
        ]
        if problems:
            return Response("; ".join(problems), 400, mimetype="text/plain")
        user = self.users[asked["login_hint"]]
        hint = asked.get("lti_message_hint", "")
        launch = _Launch(None, self._conf(), asked, self._auto_post)
        launch._registration = launch._platform_config.get_registration()
        if hint == DEEP_LINK:
            launch.set_user_data(user.sub, user.roles, user.name, user.email)
            launch.set_launch_context_claim(self.context_id, None, self.context_title)
            launch.set_dl(self.url + "/deep-link/return", "Add content", "", {"ltiResourceLink"})
        else:
            link = self.links.get(hint)
            if link is None:
                return Response("unknown lti_message_hint", 400, mimetype="text/plain")
            self._launch_message(launch, link, user)
        try:
            return launch.lti_launch()
        except LtiException as exc:
            return Response(f"launch refused: {exc}", 400, mimetype="text/plain")

    def _auto_post(self, data: dict[str, Any]) -> str:
        self.last_launch = {
            "url": data["launch_url"],
            "id_token": data["id_token"],
            "state": data["state"],
        }
        return self._page(
            "Opening the tool",
            f'<form method="post" action="{escape(data["launch_url"])}" id="launch">'
            f'<input type="hidden" name="id_token" value="{escape(data["id_token"])}">'
            f'<input type="hidden" name="state" value="{escape(data["state"])}">'
            '<button type="submit">Continue</button></form>'
            '<script>document.getElementById("launch").submit();</script>',
        )

    def _deep_link_return(self) -> Any:
        try:
            items = self._conf().validate_deeplinking_resp(request.form.to_dict())
        except Exception as exc:  # any failure to verify is the tool's fault here
            return Response(f"deep linking answer refused: {exc}", 400, mimetype="text/plain")
        for item in items:
            if item.get("type") != "ltiResourceLink":
                continue
            link = self.add_link(
                item.get("title", ""), item.get("url") or self.tool.launch_url, item.get("custom")
            )
            column = item.get("lineItem")
            if isinstance(column, dict):
                made = self._new_lineitem({**column, "resourceLinkId": link.id})
                link.lineitem_id = made["id"]
        return redirect("/")

    def _token(self) -> Any:
        try:
            answer = self._conf().get_access_token(request.form.to_dict())
        except Exception as exc:  # a bad assertion, a missing claim, an unknown key
            return Response(
                json.dumps({"error": "invalid_client", "error_description": str(exc)}),
                400,
                mimetype="application/json",
            )
        return Response(json.dumps(answer), 200, mimetype="application/json")

    # Assignment and Grade Services, Names and Role Provisioning Services

    def _send(self, answer: ServiceResponse, url: str | None = None) -> Response:
        result = answer.result
        headers = {}
        if isinstance(result, dict) and "content" in result and "has_next" in result:
            # The specification's containers are JSON arrays; the next page is a Link header.
            if result.get("next"):
                headers["Link"] = f'<{result["next"]}>; rel="next"'
            result = result["content"]
        body = "" if result is None else json.dumps(result)
        return Response(body, answer.code, headers=headers, content_type=answer.media_type)

    def _ags(self) -> _Grades:
        return _Grades(_Request(request), self._conf(), self.lineitems_url, platform=self)

    def _lineitems(self) -> Response:
        service = self._ags()
        if request.method == "POST":
            return self._send(service.handle_resp(service.handle_create_lineitem))
        return self._send(service.handle_resp(service.handle_get_lineitems))

    def _lineitem(self, number: str) -> Response:
        service, item_id = self._ags(), f"{self.lineitems_url}/{number}"
        handler = {
            "GET": service.handle_get_lineitem,
            "PUT": service.handle_update_lineitem,
            "DELETE": service.handle_delete_lineitem,
        }[request.method]
        return self._send(service.handle_resp(handler, line_item_id=item_id))

    def _scores(self, number: str) -> Response:
        service = self._ags()
        item_id = f"{self.lineitems_url}/{number}"
        return self._send(service.handle_resp(service.handle_update_score, line_item_id=item_id))

    def _results(self, number: str) -> Response:
        service = self._ags()
        item_id = f"{self.lineitems_url}/{number}"
        return self._send(service.handle_resp(service.handle_get_results, line_item_id=item_id))

    def _memberships(self) -> Response:
        service = _Roster(_Request(request), self._conf(), self.memberships_url, platform=self)
        return self._send(service.handle_resp(service.handle_get_members))


class _Grades(AssignmentsGradesService):
    """The library's grade service over the platform's dicts."""

    def __init__(self, *args: Any, platform: TestPlatform, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.platform = platform

    def find_lineitems(self, page: int = 1, limit: int | None = None, **filters: Any) -> Any:
        wanted = {
            "resourceLinkId": filters.get("resource_link_id"),
            "resourceId": filters.get("resource_id"),
            "tag": filters.get("tag"),
        }
        items = [
            item
            for item in self.platform.lineitems.values()
            if all(value is None or item.get(key) == value for key, value in wanted.items())
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> Any:
        found = self.platform.lineitems.get(line_item_id)
        if found is None:
            raise LineItemNotFoundException()
        return found

    def create_lineitem(self, creation_data: Any) -> Any:
        return self.platform._new_lineitem(dict(creation_data))

    def update_lineitem(self, update_data: Any) -> Any:
        found = self.find_lineitem(update_data["id"])
        found.update(update_data)
        return found

    def delete_lineitem(self, line_item_id: str) -> None:
        self.find_lineitem(line_item_id)
        del self.platform.lineitems[line_item_id]

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        if not isinstance(score, dict) or score.get("userId") not in self.platform.users:
            return UpdateScoreStatus.NOTAPPLIED
        with self.platform._lock:
            self.platform.scores.append({**score, "lineitem_id": line_item_id})
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: str | None = None
    ) -> Any:
        self.find_lineitem(line_item_id)
        latest: dict[str, dict[str, Any]] = {}
        for score in self.platform.scores:
            if score["lineitem_id"] == line_item_id:
                latest[score["userId"]] = score
        results = [
            {
                "id": f"{line_item_id}/results/{sub}",
                "scoreOf": line_item_id,
                "userId": sub,
                "resultScore": score.get("scoreGiven"),
                "resultMaximum": score.get("scoreMaximum"),
            }
            for sub, score in latest.items()
            if user_id is None or sub == user_id
        ]
        return {"content": results, "has_next": False, "next": None}


class _Roster(NamesRoleProvisioningService):
    """The library's roster service over the platform's users."""

    def __init__(self, *args: Any, platform: TestPlatform, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.platform = platform

    def get_context_by_id(self) -> Context:
        return Context(
            id=self.platform.context_id, label="CC101", title=self.platform.context_title
        )

    def get_member_data_page(self, page: int = 1, limit: int | None = None, **_: Any) -> Any:
        members = [
            {
                "user_id": u.sub,
                "roles": u.roles,
                "name": u.name,
                "email": u.email,
                "status": "Active",
            }
            for u in self.platform.users.values()
        ]
        return {"content": members, "has_next": False, "next": None}
