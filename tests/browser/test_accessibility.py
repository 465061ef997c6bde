"""Accessibility in real Chromium: every kind of page passes axe-core's WCAG 2.2 A and AA
rules at phone and desktop width, and reflows at 320 CSS px without scrolling sideways.

One server, seeded once for the module, serves every page: the bundled course plus the
quiz fixture's module with a question of every type, synthetic learners for the reports
and the certification states, and named accounts for the rest. The tests only read pages
or send forms that the server refuses, so they do not disturb each other. axe-core comes
from npm (`make test` runs `npm ci`); without it the axe tests skip locally and fail
under CI=true.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, text, update
from werkzeug.serving import make_server

from cocourse import create_app
from cocourse.accounts.services import create_user
from cocourse.certification import portfolios, requirements
from cocourse.config import Defaults
from cocourse.db import get_session, make_engine, write
from cocourse.devtools.synthetic import Options, generate
from cocourse.models import (
    Base,
    Certificate,
    Cohort,
    CohortAssessor,
    CohortMember,
    Notification,
    Portfolio,
    PracticumSession,
    QuizAttempt,
    Role,
    User,
    utcnow,
)
from cocourse.notifications import kinds
from cocourse.notifications.services import Message, notify
from cocourse.quiz import engine as quizzes

from ..conftest import FIXTURES, PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
NARROW = {"width": 320, "height": 640}
QUIZ_MODULE = FIXTURES / "quiz_course" / "check"
# The every-kind quiz answered partly wrong, so the result page shows feedback of each type.
ANSWERS = {
    "q-single": "a",
    "q-multi": ["a", "c"],
    "q-tf": "b",
    "q-short": "check-out",
    "q-number": "12",
    "q-order": ["b", "a", "c", "d"],
    "q-match": {"a": "a", "b": "b"},
    "q-reflect": "A check-in round at the Monday stand-up.",
}


@dataclass(frozen=True)
class Page:
    """A page to check: who looks at it, its address (ids filled in after seeding), status."""

    name: str
    who: str
    path: str
    status: int = 200


PAGES = [
    Page("catalog", "anonymous", "/"),
    Page("module", "anonymous", "/modules/tasting-05-learning-exchange"),
    Page("login", "anonymous", "/login"),
    Page("register", "anonymous", "/register"),
    Page("forgot-password", "anonymous", "/account/forgot"),
    Page("link-refused", "anonymous", "/account/reset/not-a-real-token", 400),
    Page("verify-form", "anonymous", "/verify"),
    Page("verify-certificate", "anonymous", "/verify/{code}"),
    Page("verify-unknown", "anonymous", "/verify/no-such-code", 404),
    Page("not-found", "anonymous", "/no-such-page", 404),
    Page("quiz-lesson", "learner", "/modules/check/quiz"),
    Page("quiz-attempt", "learner", "/quiz/attempts/{open_attempt}"),
    Page("quiz-result", "learner", "/quiz/attempts/{done_attempt}/result"),
    Page("locked-lesson", "learner", "/modules/certification-01-practicum/{locked_lesson}", 403),
    Page("join", "learner", "/join"),
    Page("join-by-code", "learner", "/join/{join_code}"),
    Page("forbidden", "learner", "/admin/users", 403),
    Page("dashboard", "trainee", "/dashboard"),
    Page("lesson", "trainee", "/modules/tasting-05-learning-exchange/why-exchange-venues"),
    Page("lesson-wide-table", "trainee", "/modules/facilitator-03-method-repertoire/choosing-well"),
    Page("lesson-code", "trainee", "/modules/facilitator-01-role-and-stance/{code_lesson}"),
    Page("activity-log", "trainee", "/activity"),
    Page("account", "trainee", "/account/password"),
    Page("email-settings", "trainee", "/account/notifications"),
    Page("notifications", "holder", "/notifications"),
    Page("workshops", "learner", "/workshops"),
    Page("opportunities", "learner", "/opportunities"),
    Page("opportunity-new", "learner", "/opportunities/new"),
    Page("programme", "admin", "/programme"),
    Page("exam-result", "trainee", "/quiz/attempts/{exam_attempt}/result"),
    Page("programmes", "trainee", "/certification/"),
    Page("programme-practicum", "trainee", "/certification/{program}"),
    Page("session-new", "trainee", "/certification/{program}/sessions/new"),
    Page("session-edit", "trainee", "/certification/{program}/sessions/{practicum_session}"),
    Page("programme-certified", "holder", "/certification/{program}"),
    Page("certificate", "holder", "/certificates/{certificate}"),
    Page("programme-renewal", "renewer", "/certification/{program}"),
    Page("renewal-statement", "renewer", "/certification/{program}/statement"),
    Page("assessor-learners", "assessor", "/assessor/learners"),
    Page("assessor-learner", "assessor", "/assessor/learners/{cohort_learner}"),
    Page("assessor-reviews", "assessor", "/reviews/"),
    Page("people", "admin", "/admin/users"),
    Page("people-search", "admin", "/admin/users?q=e&role=learner&cohort={cohort}"),
    Page("person", "admin", "/admin/users/{cohort_learner}"),
    Page("person-certified", "admin", "/admin/users/{holder}"),
    Page("person-deactivate", "admin", "/admin/users/{cohort_learner}/deactivate"),
    Page("people-import", "admin", "/admin/people/import"),
    Page("cohorts", "admin", "/admin/cohorts"),
    Page("cohort", "admin", "/admin/cohorts/{cohort}"),
    Page("cohort-delete", "admin", "/admin/cohorts/{cohort}/delete"),
    Page("certificates", "admin", "/admin/certificates"),
    Page("audit-trail", "admin", "/admin/audit"),
    Page("content-status", "admin", "/studio/status"),
    Page("course-files", "admin", "/studio"),
    Page("file-editor", "admin", "/studio/files/tracks.yml"),
    Page("file-history", "admin", "/studio/history/tracks.yml"),
    Page("learning-platforms", "admin", "/admin/lti"),
    Page("report-quizzes", "admin", "/reports/quizzes"),
    Page("report-item-analysis", "admin", "/reports/quizzes/every-kind"),
    Page("report-cohorts", "admin", "/reports/cohorts"),
    Page("report-cohort-matrix", "admin", "/reports/cohorts/{cohort}"),
    Page("report-modules", "admin", "/reports/modules"),
    Page("report-module-funnel", "admin", "/reports/modules/tasting-01-what-co-creation-is"),
    Page("review", "admin", "/reviews/{submitted_portfolio}"),
]
PAGE_IDS = [page.name for page in PAGES]


@dataclass
class Site:
    """The served app: its address, the seeded ids, and who logs in with which email."""

    url: str
    ids: dict[str, object]
    emails: dict[str, str]


def _course(target: Path) -> Path:
    """The bundled course plus the quiz fixture's module (a question of every type)."""
    shutil.copytree(Defaults.CONTENT_DIR, target)
    shutil.copytree(QUIZ_MODULE, target / QUIZ_MODULE.name)
    tracks = yaml.safe_load((target / "tracks.yml").read_text(encoding="utf-8"))
    extra = yaml.safe_load((QUIZ_MODULE.parent / "tracks.yml").read_text(encoding="utf-8"))
    tracks["tracks"] += extra["tracks"]
    (target / "tracks.yml").write_text(yaml.safe_dump(tracks), encoding="utf-8")
    return target


def _empty(database_url: str) -> None:
    """Empty the test database, as the `engine` fixture does before each test."""
    engine = make_engine(database_url)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    engine.dispose()


def _first(db: Any, query: Any, what: str) -> Any:
    """The first row of a query; a clear failure when the seed did not make one."""
    found = db.scalars(query.limit(1)).first()
    assert found is not None, f"the seeded data has no {what}"
    return found


def _generate(app: Any, db: Any, course: Any, types: Any, program: Any) -> int:
    """Synthetic learners from the first seed whose 100 learners include what the pages
    need: a draft portfolio of a trainee with an exam attempt and a logged session, a
    submitted portfolio and two certificates. What a seed gives moves whenever the bundled
    course changes; trying the following seeds keeps the test independent of that."""
    for seed in range(27, 87):
        generate(db, course, types, Options(learners=100, cohorts=3, seed=seed, password=PASSWORD))
        draft = db.scalars(
            select(Portfolio).where(Portfolio.status == "draft").order_by(Portfolio.id)
        ).first()
        exam = select(QuizAttempt.id).where(QuizAttempt.quiz_id == program.exam.quiz)
        logged = select(PracticumSession.id).join(Portfolio)
        submitted = select(Portfolio.id).where(Portfolio.status == "submitted")
        held = select(Certificate.id).where(Certificate.revoked_at.is_(None))
        if (
            draft is not None
            and db.scalars(exam.where(QuizAttempt.user_id == draft.user_id)).first()
            and db.scalars(logged.where(Portfolio.user_id == draft.user_id)).first()
            and db.scalars(submitted).first()
            and len(db.scalars(held.limit(2)).all()) == 2
        ):
            return seed
        db.close()
        _empty(app.config["DATABASE_URL"])
    raise AssertionError("no seed from 27 to 86 gives the portfolios and certificates needed")


def _seed(app: Any) -> tuple[dict[str, object], dict[str, str]]:
    """Synthetic people and progress, a learner with every question type, an admin; the
    ids the pages need and the email of each kind of visitor."""
    course = app.extensions["cocourse.course"].course
    types = app.extensions["cocourse.question_types"]
    plugins = app.extensions["cocourse.plugins"]
    program = course.programs[0]
    with app.app_context():
        db = get_session()
        _generate(app, db, course, types, program)
        learner = create_user(db, "learner@example.org", "Lea Learner", PASSWORD)
        create_user(db, "admin@example.org", "Ada Admin", PASSWORD, Role.ADMIN)
        module, lesson = course.quiz("every-kind")
        done = quizzes.start(db, learner.id, module, lesson)
        quizzes.submit(db, plugins, done.id, learner.id, ANSWERS, types)
        attempt = quizzes.start(db, learner.id, module, lesson)

        def portfolio(status: str) -> Portfolio:
            query = select(Portfolio).where(Portfolio.status == status).order_by(Portfolio.id)
            return _first(db, query, f"{status} portfolio")

        trainee = portfolio("draft").user_id
        held = select(Certificate).where(Certificate.revoked_at.is_(None))
        certificates = db.scalars(held.order_by(Certificate.id)).all()
        assert len(certificates) >= 2, "the seeded data has fewer than two certificates"
        holder, renewer = certificates[0], certificates[1]
        renewing = db.get(User, renewer.user_id)
        opens = requirements.renewal_opens(renewer, program)
        portfolios.start_renewal(db, program, renewing, opens)
        assessor = _first(db, select(CohortAssessor).order_by(CohortAssessor.id), "assessor")
        exam = (
            select(QuizAttempt.id)
            .where(QuizAttempt.user_id == trainee, QuizAttempt.quiz_id == program.exam.quiz)
            .order_by(QuizAttempt.id.desc())
        )
        logged = select(PracticumSession.id).join(Portfolio).where(Portfolio.user_id == trainee)
        members = select(CohortMember.user_id).where(CohortMember.cohort_id == assessor.cohort_id)
        ids: dict[str, object] = {
            "program": program.slug,
            "code": holder.code,
            "certificate": holder.id,
            "holder": holder.user_id,
            "open_attempt": attempt.id,
            "done_attempt": done.id,
            "locked_lesson": course.module("certification-01-practicum").lessons[0].slug,
            "code_lesson": "contracting-with-the-sponsor",  # a code block and a table
            "join_code": _first(db, select(Cohort.join_code).order_by(Cohort.id), "cohort"),
            "cohort": assessor.cohort_id,
            "cohort_learner": _first(db, members.order_by(CohortMember.id), "cohort member"),
            "exam_attempt": _first(db, exam, "exam attempt of the trainee"),
            "practicum_session": _first(db, logged.order_by(PracticumSession.id), "session"),
            "submitted_portfolio": portfolio("submitted").id,
        }
        people = {
            "trainee": trainee,
            "holder": holder.user_id,
            "renewer": renewer.user_id,
            "assessor": assessor.user_id,
        }
        emails = {who: db.get(User, user_id).email for who, user_id in people.items()}
        _notifications(db, db.get(User, holder.user_id))
        emails |= {"learner": "learner@example.org", "admin": "admin@example.org"}
        db.rollback()
    return ids, emails


def _notifications(db: Any, holder: User) -> None:
    """A read and an unread notification with a long body, for the list."""
    with write(db):
        for key, title in (("seen", "An older note"), ("fresh", "Your certificate is issued")):
            body = "A body that runs on to show how a long text wraps on a small screen. " * 4
            message = Message(title, body.strip(), "/certification/")
            notify(db, holder, kinds.CERTIFICATE_ISSUED, f"accessibility:{key}", message)
        db.execute(
            update(Notification)
            .where(Notification.key == "accessibility:seen")
            .values(read_at=utcnow())
        )


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The seeded app, served on a free loopback port for the whole module (seeding takes
    seconds; every test only reads)."""
    _empty(database_url)
    folder = tmp_path_factory.mktemp("accessibility")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
            "DATABASE_URL": database_url,
            "CONTENT_DIR": str(_course(folder / "course")),
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    ids, emails = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", ids, emails)
    server.shutdown()
    thread.join()
    app.extensions["cocourse.engine"].dispose()


@pytest.fixture(scope="module")
def logins(browser: Any, site: Site) -> Callable[[str], dict[str, Any] | None]:
    """Each visitor's cookies (Playwright storage state), logged in once through the form."""
    states: dict[str, dict[str, Any] | None] = {"anonymous": None}

    def state(who: str) -> dict[str, Any] | None:
        if who not in states:
            context = browser.new_context(base_url=site.url)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Email").fill(site.emails[who])
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("button", name="Log out").wait_for()
            states[who] = context.storage_state()
            context.close()
        return states[who]

    return state


@pytest.fixture
def visit(browser, site, logins) -> Iterator[Callable[..., Any]]:
    """Open a page of PAGES as its visitor at a viewport size; optionally with axe loaded."""
    contexts: list[Any] = []

    def open_page(name: str, viewport: dict[str, int], script: str | None = None) -> Any:
        page_of = PAGES[PAGE_IDS.index(name)]
        context = browser.new_context(
            base_url=site.url, viewport=viewport, storage_state=logins(page_of.who)
        )
        contexts.append(context)
        if script:
            # An init script is evaluated by the browser itself, not by the page, so the
            # app's Content-Security-Policy (no inline scripts) does not block it, and the
            # page is checked with its real CSP in force.
            context.add_init_script(script=script)
        page = context.new_page()
        path = page_of.path.format(**site.ids)
        response = page.goto(path)
        assert response is not None and response.status == page_of.status, (
            f"{path} as {page_of.who}: HTTP {response and response.status}"
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


SHOWN = 5  # elements listed per violation


def _axe_report(violations: list[dict[str, Any]]) -> str:
    """The violations as a readable list: rule, impact, help, then each element and why."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation['impact']}] {violation['help']}")
        for node in violation["nodes"][:SHOWN]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
        if len(violation["nodes"]) > SHOWN:
            lines.append(f"    and {len(violation['nodes']) - SHOWN} more element(s)")
    return "\n".join(lines)


@pytest.mark.parametrize("width", list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGE_IDS)
def test_axe_finds_no_wcag_violations(name, width, visit, axe_source):
    check_axe(visit(name, VIEWPORTS[width], script=axe_source), f"{name} at {width} width")


def check_axe(page: Any, what: str) -> None:
    """Run axe-core on the page; fail with the list of violations."""
    page.wait_for_load_state("load")  # a page reached by a click may not have its CSS yet
    violations = page.evaluate(RUN_AXE, TAGS)
    assert not violations, (
        f"axe-core found {len(violations)} WCAG 2.2 A/AA violation(s) on {what} "
        f"({page.url}):\n{_axe_report(violations)}"
    )


# Elements that stick out of the viewport, outermost only. Excused: what a region that scrolls
# on purpose (overflow-x auto or scroll, like a wide table) or a visually hidden element
# clips. An absolutely positioned element escapes the scrolling boxes between it and its
# positioned ancestor, so it is excused only by the boxes that really clip it.
FIND_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const tiny = (el) => {
    const r = el.getBoundingClientRect();
    return r.width <= 1 && r.height <= 1;
  };
  const excused = (el) => {
    let position = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (position === "fixed") return false;
      if (position === "absolute" && style.position === "static") continue;
      if (["auto", "scroll"].includes(style.overflowX) || tiny(p)) return true;
      position = style.position;
    }
    return false;
  };
  const describe = (el) => {
    let name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    name += [...el.classList].map((c) => "." + c).join("");
    const words = (el.innerText || el.value || "").trim().split(/\\s+/).slice(0, 6).join(" ");
    return words ? `${name} "${words}"` : name;
  };
  const wide = (r) => r.width > 0 && (r.right > width + 0.5 || r.left < -0.5);
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (offenders.some((o) => o.el.contains(el)) || excused(el)) continue;
    // The element's box, or else its own text running out of it (a long word, an address)
    // unless the element clips its text itself.
    const rects = [el.getBoundingClientRect()];
    const clips = tiny(el) || getComputedStyle(el).overflowX !== "visible";
    for (const node of clips ? [] : el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(range.getBoundingClientRect());
    }
    const r = rects.find(wide);
    if (!r) continue;
    const text = `${describe(el)}: x ${Math.round(r.left)} to ${Math.round(r.right)}`;
    offenders.push({el, text});
  }
  return {scrollWidth: document.documentElement.scrollWidth, width,
          offenders: offenders.map((o) => o.text)};
}"""


@pytest.mark.parametrize("name", PAGE_IDS)
def test_reflows_at_320_css_pixels(name, visit, artifacts):
    check_reflow(visit(name, NARROW), name, artifacts)


def check_reflow(page: Any, what: str, artifacts: Path) -> None:
    """Fail, with a screenshot, when the page scrolls sideways or something sticks out."""
    found = page.evaluate(FIND_OVERFLOW)
    fits = found["scrollWidth"] <= NARROW["width"] and not found["offenders"]
    if not fits:
        shot = artifacts / f"reflow-320-{what.replace(' ', '-')}.png"
        page.screenshot(path=str(shot), full_page=True)
    assert fits, (
        f"{what} ({page.url}) at 320 px: the document is {found['scrollWidth']} px wide; "
        "sticking out:\n" + "\n".join(f"- {line}" for line in found["offenders"])
    )


# Forms sent back with the server's messages: the page of PAGES and the button that sends it.
FORMS = {
    "login": "Log in",
    "register": "Create account",
    "forgot-password": "Send me a link",
    "account": "Change password",
    "join": "Join",
    "session-new": "Save session",
}


def _send_blank(page: Any, button: str) -> None:
    """Send a form of the page as it is, past the browser's own checks, and wait for the
    page with the server's error messages to load."""
    page.locator("main form").evaluate_all("forms => forms.forEach((f) => f.noValidate = true)")
    page.get_by_role("button", name=button, exact=True).click()
    page.locator("main [aria-invalid=true], main .form-errors").first.wait_for()
    page.wait_for_load_state("load")  # the stylesheet too: axe measures what is drawn


@pytest.mark.parametrize("width", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(FORMS))
def test_axe_finds_no_wcag_violations_in_form_errors(name, width, visit, axe_source):
    page = visit(name, VIEWPORTS[width], script=axe_source)
    _send_blank(page, FORMS[name])
    check_axe(page, f"{name} with errors at {width} width")


@pytest.mark.parametrize("name", list(FORMS))
def test_form_errors_reflow_at_320_css_pixels(name, visit, artifacts):
    page = visit(name, NARROW)
    _send_blank(page, FORMS[name])
    check_reflow(page, f"{name} with errors", artifacts)


def test_the_cohort_matrix_scrolls_from_the_keyboard(visit):
    page = visit("report-cohort-matrix", VIEWPORTS["phone"])
    region = page.get_by_role("region", name="Progress matrix of", exact=False)
    for _ in range(60):  # Tab through the page until the matrix has the focus
        page.keyboard.press("Tab")
        if region.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reaches the cohort matrix")
    focus = region.evaluate(
        "el => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle"
    )
    assert focus == "solid"  # a visible focus ring
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
