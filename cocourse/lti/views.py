"""Blueprint: the LTI 1.3 tool's endpoints (login initiation, launch, key set, the deep-
linking picker). Platforms are registered on the admin pages in `cocourse.lti.admin`."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem
from werkzeug.wrappers import Response

from cocourse.accounts import login as browser
from cocourse.db import get_session
from cocourse.extensions import csrf, limited
from cocourse.lti import grades, keys, services, tool
from cocourse.lti.tool import LaunchRefused, refused_text
from cocourse.web import security_log
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.security import CSP
from cocourse.web.urls import external_url

bp = Blueprint("lti", __name__)
Page = tuple[str, int]
# The deep-linking launch a teacher is choosing content for, in their session.
DEEP_LINK_KEY = "cocourse_lti_deep_link"
DEEP_LINK = "LtiDeepLinkingRequest"


def _limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _failed(error: LaunchRefused, **fields: Any) -> Page:
    security_log.event("lti_refused", level=logging.WARNING, reason=error.reason, **fields)
    return render_template("lti/failed.html", message=str(error)), error.status


@bp.get("/lti/jwks.json")
def jwks() -> Response:
    """The tool's public keys (the current one and those retired lately)."""
    response = jsonify(keys.key_set(get_session()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/lti/login", methods=["GET", "POST"])
@limited(_limit)
def login() -> Response | Page:
    """OIDC login initiation (third-party initiated login): send the browser back to the
    platform's authorization endpoint with a fresh state (cookie) and nonce (database)."""
    db = get_session()
    req = FlaskRequest()
    sessions, storage = tool.services(db, req)
    oidc = FlaskOIDCLogin(
        req, tool.ToolConf(db), session_service=sessions, launch_data_storage=storage
    )
    try:
        redirect: Response = oidc.redirect(external_url("lti.launch"))
    except (LtiException, OIDCException) as exc:
        refused = LaunchRefused(
            "login_unknown_platform",
            _(
                "This learning platform is not registered with cocourse, or its request was "
                "incomplete. Ask a cocourse administrator to register it."
            ),
        )
        return _failed(refused, detail=str(exc)[:200], issuer=str(req.get_param("iss"))[:200])
    return redirect


@bp.post("/lti/launch")
@limited(_limit)
def launch() -> Response | Page:
    """The platform's signed launch: check it, sign the person in, and open what the link
    points at (or, for a teacher's deep-linking request, the content picker)."""
    db = get_session()
    req = FlaskRequest()
    sessions, storage = tool.services(db, req)
    message = FlaskMessageLaunch(
        req,
        tool.ToolConf(db),
        session_service=sessions,
        launch_data_storage=storage,
        requests_session=tool.http(),
    )
    try:
        claims: dict[str, Any] = message.get_launch_data()
        platform = tool.find_platform(db, str(claims.get("iss")), message.get_client_id())
        if platform is None:
            raise LaunchRefused("unknown_platform", refused_text())
        tool.check_claims(claims, platform.client_id, time.time())
    except LtiException as exc:
        return _failed(LaunchRefused("invalid_launch", refused_text()), detail=str(exc)[:200])
    except LaunchRefused as refused:
        return _failed(refused)
    deep_linking = claims.get(services.CLAIM + "message_type") == DEEP_LINK
    if deep_linking and not services.teaches(claims.get(services.ROLES)):
        not_teacher = LaunchRefused(
            "deep_link_not_teacher",
            _("Only a course's teachers can choose cocourse content to add to it."),
            403,
        )
        return _failed(not_teacher, platform_id=platform.id)
    try:
        signed = services.sign_in(db, platform, claims)
    except LaunchRefused as refused:
        return _failed(refused, platform_id=platform.id)
    user = signed.user
    context = services.join_context(db, platform, claims, user)
    browser.log_in(user, False, request.remote_addr or "", request.user_agent.string)
    security_log.event(
        "login",
        user_id=user.id,
        method="lti",
        platform_id=platform.id,
        account_created=signed.created,
    )
    if signed.old_role is not None:
        security_log.event(
            "role_changed",
            user_id=user.id,
            target_user_id=user.id,
            old_role=signed.old_role,
            new_role=user.role,
            source="lti",
            sessions_ended=True,
        )
    if deep_linking:
        session[DEEP_LINK_KEY] = message.get_launch_id()
        return redirect(url_for("lti.deep_link"))
    target = services.target_of(claims)
    services.record_link(db, platform, context, claims, target)
    path = services.path_of(course(), target) if target else None
    return redirect(request.script_root + path if path else url_for("learning.catalog"))


def _deep_link_launch() -> Any:
    """The teacher's pending deep-linking launch, restored from the database; 404 without."""
    launch_id = session.get(DEEP_LINK_KEY)
    if not isinstance(launch_id, str) or not current_user.is_authenticated:
        abort(404)
    db = get_session()
    req = FlaskRequest()
    sessions, storage = tool.services(db, req)
    try:
        return FlaskMessageLaunch.from_cache(
            launch_id,
            req,
            tool.ToolConf(db),
            session_service=sessions,
            launch_data_storage=storage,
            requests_session=tool.http(),
        )
    except LtiException:
        session.pop(DEEP_LINK_KEY, None)
        abort(404)


@bp.route("/lti/deep-link", methods=["GET", "POST"])
def deep_link() -> Response | str | Page:
    """The content picker: a teacher chooses modules, lessons and quizzes to place in their
    course on the platform; the choice goes back as a signed deep-linking response."""
    message = _deep_link_launch()
    claims = message.get_launch_data()
    settings = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings", {})
    platform = tool.find_platform(get_session(), claims["iss"], message.get_client_id())
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        chosen = [t for t in request.form.getlist("target") if services.path_of(course(), t)]
        multiple = settings.get("accept_multiple", True) is not False
        if "ltiResourceLink" not in settings.get("accept_types", ["ltiResourceLink"]):
            error = _(
                "Your platform does not take links to a tool here: add cocourse as an activity."
            )
        elif not chosen:
            error = _("Choose at least one item to add.")
        elif len(chosen) > 1 and not multiple:
            error = _("Your platform accepts one item at a time: choose one.")
        else:
            resources = [_resource(t) for t in chosen]
            token = message.get_deep_link().get_response_jwt(resources)
            session.pop(DEEP_LINK_KEY, None)
            return_url = str(settings.get("deep_link_return_url", ""))
            security_log.event(
                "lti_deep_link",
                user_id=current_user.id,
                items=len(chosen),
                platform_id=platform.id if platform else None,
            )
            page = render_template(
                "lti/deep_link_return.html",
                jwt=token,
                return_url=return_url,
                count=len(chosen),
                platform=platform,
            )
            response = current_app.make_response(page)
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
            response.headers["Content-Security-Policy"] = CSP.replace(
                "form-action 'self'", f"form-action 'self' {origin}"
            )
            return response
    return render_template(
        "lti/deep_link.html",
        tracks=course().tracks,
        platform=platform,
        title=settings.get("title") or "",
        form=form,
        error=error,
    )


def _resource(target: str) -> DeepLinkResource:
    """The content item for a target: a resource link that launches it, and a gradebook
    column for quizzes and modules."""
    kind, _sep, name = target.partition(":")
    title = _title(target)
    resource = (
        DeepLinkResource()
        .set_url(external_url("lti.launch"))
        .set_title(title)
        .set_custom_params({"target": target})
        .set_target("window")
    )
    if kind in ("quiz", "module"):
        resource.set_lineitem(
            LineItem()
            .set_label(title)
            .set_score_maximum(grades.MAXIMUM)
            .set_resource_id(target)
            .set_tag("cocourse")
        )
    return resource


def _title(target: str) -> str:
    kind, _sep, name = target.partition(":")
    current = course()
    if kind == "module" and (module := current.module(name)):
        return module.title
    if kind == "lesson":
        module_slug, _sep, lesson_slug = name.partition("/")
        module = current.module(module_slug)
        index = module.lesson_index(lesson_slug) if module else None
        if module is not None and index is not None:
            return f"{module.title}: {module.lessons[index].title}"
    if kind == "quiz" and (found := current.quiz(name)):
        return f"{found[0].title}: {found[1].title}"
    return target


# A platform posts these cross-site: the signed id_token and the state cookie protect them.
csrf.exempt(login)
csrf.exempt(launch)
