"""Blueprint: the opportunity board, proposing and editing, supporting, comments, triage."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cocourse.content.model import Module
from cocourse.db import get_session
from cocourse.models import Opportunity, User
from cocourse.opportunities import services as opportunities
from cocourse.opportunities.forms import CommentForm, OpportunityForm, TriageForm
from cocourse.web.course import course
from cocourse.web.forms import ActionForm
from cocourse.web.ids import query_int
from cocourse.web.paging import page_count, requested_page
from cocourse.web.roles import login_required
from cocourse.web.security_log import denied

bp = Blueprint("opportunities", __name__)

PER_PAGE = 20
COMMENTS_PER_PAGE = 50
MAX_PREFILL = 200  # characters of a title passed in the query string


def _me() -> User:
    """The logged-in person's account (not Flask-Login's proxy), for the services."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _opportunity_or_404(opportunity_id: int) -> Opportunity:
    found = opportunities.get(get_session(), opportunity_id)
    if found is None:
        abort(404)
    return found


def _checked(form: ActionForm) -> None:
    """Refuse a state-changing POST whose CSRF token does not validate."""
    if not form.validate_on_submit():
        abort(400)


def _to_detail(opportunity_id: int, anchor: str | None = None) -> Response:
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id, _anchor=anchor))


def _wanted() -> opportunities.BoardFilter:
    """The board's filters from the query string; unknown values mean no filter."""
    args = request.args
    status, scope, sort = args.get("status", ""), args.get("scope", ""), args.get("sort", "")
    return opportunities.BoardFilter(
        status=status if status in opportunities.STATUSES else "",
        scope=scope if scope in opportunities.SCOPES else "",
        search=args.get("q", "")[: opportunities.MAX_SEARCH].strip(),
        sort=sort if sort in opportunities.SORTS else "support",
    )


def _filter_args(wanted: opportunities.BoardFilter) -> dict[str, str]:
    """The filters as query arguments for the page links (only those that are set)."""
    found = {"status": wanted.status, "scope": wanted.scope, "q": wanted.search}
    if wanted.sort != "support":
        found["sort"] = wanted.sort
    return {name: value for name, value in found.items() if value}


@bp.get("/opportunities")
@login_required
def board() -> str:
    """Every opportunity, filtered and sorted, a page at a time, with counts per status."""
    db = get_session()
    page = requested_page()
    wanted = _wanted()
    rows, total = opportunities.board(db, current_user.id, wanted, page, PER_PAGE)
    filters = _filter_args(wanted)
    return render_template(
        "opportunities/board.html",
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PER_PAGE),
        wanted=wanted,
        filters=filters,
        searched=bool(set(filters) - {"sort"}),
        counts=opportunities.status_counts(db),
        statuses=opportunities.STATUSES,
        scopes=opportunities.SCOPES,
        sorts=opportunities.SORTS,
        action=ActionForm(),
    )


def _source(slug: str | None) -> Module | None:
    """The course module a proposal comes from (`?from=`), if the course has it."""
    return course().module(slug[:200]) if slug else None


def _form_page(form: OpportunityForm, found: Opportunity | None = None) -> str:
    return render_template(
        "opportunities/form.html",
        form=form,
        opportunity=found,
        source=None if found else _source(form.source.data),
        scopes=opportunities.SCOPES,
    )


def _proposal(form: OpportunityForm) -> opportunities.Proposal:
    return opportunities.Proposal(
        title=form.title.data or "",
        stake=form.stake.data or "",
        involved=form.involved.data or "",
        scope=form.scope.data or "",
    )


def _saved_or_errors(
    form: OpportunityForm, save: Callable[[opportunities.Proposal], Opportunity]
) -> Opportunity | None:
    """Run `save(proposal)` on a valid form; put a service's refusal next to its field."""
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return None
    try:
        return save(_proposal(form))
    except opportunities.OpportunityError as exc:
        field = getattr(form, exc.field, form.title)
        field.errors = [*field.errors, str(exc)]
        return None


@bp.get("/opportunities/new")
@login_required
def new() -> str:
    """The proposal form; `?from=<module>` says which lesson sent the person, `?title=`
    and `?stake=` fill in a first draft, and `?attempt=<id>` takes the stake from the
    person's own answer to a question tagged `opportunity` in that quiz attempt."""
    form = OpportunityForm(formdata=None)
    args = request.args
    slug, stake = args.get("from"), args.get("stake", "")
    attempt_id = query_int("attempt", 0)
    if attempt_id:
        found = opportunities.from_attempt(get_session(), course(), attempt_id, current_user.id)
        if found is not None:
            slug, stake = found
    module = _source(slug)
    form.source.data = module.slug if module else ""
    form.title.data = args.get("title", "")[:MAX_PREFILL].strip()
    form.stake.data = stake[: opportunities.MAX_TEXT].strip()
    return _form_page(form)


@bp.post("/opportunities/new")
@login_required
def create() -> str | Response:
    """Put the proposal on the board."""
    form = OpportunityForm()
    user = _me()
    found = _saved_or_errors(form, lambda p: opportunities.propose(get_session(), user, p))
    if found is None:
        return _form_page(form)
    flash(_("Your opportunity is on the board. Invite colleagues to support it."))
    return _to_detail(found.id)


def _detail_page(
    found: Opportunity,
    comment: CommentForm | None = None,
    triage: TriageForm | None = None,
) -> str:
    db = get_session()
    page = requested_page()
    shown = opportunities.detail(db, found.id, current_user.id, page, COMMENTS_PER_PAGE)
    if shown is None:
        abort(404)
    allowed = opportunities.may_triage(db, _me())
    if triage is None and allowed:
        triage = TriageForm(formdata=None, status=found.status, reason=found.status_reason)
    return render_template(
        "opportunities/detail.html",
        shown=shown,
        opportunity=found,
        page=page,
        pages=page_count(shown.comment_total, COMMENTS_PER_PAGE),
        statuses=opportunities.STATUSES,
        scopes=opportunities.SCOPES,
        editable=opportunities.may_edit(_me(), found),
        action=ActionForm(),
        comment=comment or CommentForm(formdata=None),
        triage=triage if allowed else None,
    )


@bp.get("/opportunities/<int:opportunity_id>")
@login_required
def detail(opportunity_id: int) -> str:
    """One opportunity: what is at stake, its supporters, comments, and the triage form."""
    return _detail_page(_opportunity_or_404(opportunity_id))


def _own_or_404(opportunity_id: int) -> Opportunity:
    """The opportunity, for its proposer and admins; 404 for everyone else."""
    found = _opportunity_or_404(opportunity_id)
    if not opportunities.may_edit(_me(), found):
        denied("opportunity of another person", opportunity_id=opportunity_id)
        abort(404)
    return found


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(opportunity_id: int) -> str | Response:
    """Change what an opportunity says (its proposer, or an admin)."""
    found = _own_or_404(opportunity_id)
    if request.method == "GET":
        return _form_page(OpportunityForm(obj=found, formdata=None), found)
    form = OpportunityForm()
    user = _me()

    def save(proposal: opportunities.Proposal) -> Opportunity:
        return opportunities.edit(get_session(), user, opportunity_id, proposal)

    try:
        saved = _saved_or_errors(form, save)
    except opportunities.NotAllowed:  # admin rights taken away meanwhile
        denied("opportunity of another person", opportunity_id=opportunity_id)
        abort(404)
    if saved is None:
        return _form_page(form, found)
    flash(_("Your changes are saved."))
    return _to_detail(opportunity_id)


@bp.post("/opportunities/<int:opportunity_id>/support")
@login_required
def support(opportunity_id: int) -> Response:
    """Support an opportunity (a second click changes nothing)."""
    _opportunity_or_404(opportunity_id)
    _checked(ActionForm())
    try:
        opportunities.support(get_session(), opportunity_id, current_user.id)
    except opportunities.OpportunityError:
        abort(404)
    flash(_("You support this opportunity."))
    return _to_detail(opportunity_id, "support")


@bp.post("/opportunities/<int:opportunity_id>/unsupport")
@login_required
def unsupport(opportunity_id: int) -> Response:
    """Withdraw one's support."""
    _opportunity_or_404(opportunity_id)
    _checked(ActionForm())
    opportunities.unsupport(get_session(), opportunity_id, current_user.id)
    flash(_("You no longer support this opportunity."))
    return _to_detail(opportunity_id, "support")


@bp.post("/opportunities/<int:opportunity_id>/comments")
@login_required
def add_comment(opportunity_id: int) -> str | Response:
    """Post a comment."""
    found = _opportunity_or_404(opportunity_id)
    form = CommentForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _detail_page(found, comment=form)
    user = _me()
    try:
        opportunities.comment(get_session(), opportunity_id, user, form.body.data or "")
    except opportunities.OpportunityError as exc:
        form.body.errors = [*form.body.errors, str(exc)]
        return _detail_page(found, comment=form)
    flash(_("Your comment is posted."))
    last = page_count(opportunities.comment_count(get_session(), opportunity_id), COMMENTS_PER_PAGE)
    return redirect(
        url_for(
            "opportunities.detail",
            opportunity_id=opportunity_id,
            page=last if last > 1 else None,
            _anchor="comments",
        )
    )


@bp.post("/opportunities/<int:opportunity_id>/status")
@login_required
def set_status(opportunity_id: int) -> str | Response:
    """A facilitator or admin moves the opportunity to another status, with a reason."""
    found = _opportunity_or_404(opportunity_id)
    db = get_session()
    if not opportunities.may_triage(db, _me()):
        denied("triage by a non-facilitator", opportunity_id=opportunity_id)
        abort(403)
    form = TriageForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _detail_page(found, triage=form)
    user = _me()
    try:
        saved = opportunities.triage(
            db, user, opportunity_id, form.status.data or "", form.reason.data or ""
        )
    except opportunities.OpportunityError as exc:
        field = form.reason if exc.field == "reason" else form.status
        field.errors = [*field.errors, str(exc)]
        return _detail_page(found, triage=form)
    except opportunities.NotAllowed:
        denied("triage by a non-facilitator", opportunity_id=opportunity_id)
        abort(403)
    flash(_("The opportunity is now “%(status)s”.", status=opportunities.STATUSES[saved.status]))
    return _to_detail(opportunity_id)
