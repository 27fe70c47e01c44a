"""The МЦУ's screen in a real headless Chromium (Debian's ``chromium`` driven by Playwright).

The demo information field is the fixture: ``run_demo`` into a temp dir, then the dashboard is
served by uvicorn on a free port, and each role signs in and works every page it has. Screenshots
of every page go to ``artifacts/screenshots/``. The security checks (CSRF, login throttle, session
fixation, the audit of every state-changing request) run against the same server.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
import uvicorn
from docx import Document
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from crawlers.fakes.local import LocalServer
from dashboards.app import create_app
from dashboards.roles import Permission, can
from dashboards.web import SESSION_COOKIE
from infopole.config.municipality import Role, load_municipality
from infopole.config.settings import Settings
from infopole.demo import demo_settings, run_demo
from infopole.demo_users import BLOCK_OWNER_DEPARTMENT, DEMO_USERS
from infopole.domain.candidate import Candidate, CandidateStatus
from infopole.domain.incident import Incident
from infopole.domain.source import SourceKind
from infopole.domain.user import User
from infopole.incidents.cases import new_case
from infopole.reports import parse_period
from infopole.reports.period import PeriodKind
from infopole.reports.quarterly_xlsx import SHEET_BLOCKS
from infopole.runtime import Runtime
from infopole.storage.candidates import CandidateStore
from infopole.storage.tables import AuditEventRow
from infopole.storage.users import UserStore

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORDS = {user.login: password for user, password in DEMO_USERS}
ROLE_LOGIN = {user.role: user.login for user, _ in DEMO_USERS}
PAGES = ["/", "/alerts", "/cases", "/search", "/heatmap", "/ratings", "/sources", "/reports", "/admin"]
# what each role must see (200) — every other page of PAGES must answer 403
ALLOWED = {
    Role.CURATOR: {"/", "/alerts", "/cases", "/search", "/heatmap", "/ratings", "/sources", "/reports"},
    Role.HEAD: {"/", "/alerts", "/cases", "/search", "/heatmap", "/ratings", "/sources", "/reports"},
    Role.ADMINISTRATOR: {"/", "/sources", "/admin"},
    Role.BLOCK_OWNER: {"/", "/cases"},
    Role.ANALYST: {"/", "/alerts", "/search", "/heatmap", "/ratings", "/reports"},
    Role.GOSPABLIKI: {"/", "/search", "/sources"},
    Role.POS: {"/", "/cases"},
}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


@dataclass
class Served:
    url: str
    runtime: Runtime
    app: FastAPI


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _uvicorn(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, as in production."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("dashboard")
    run_demo(data_dir, echo=lambda _: None)
    runtime = Runtime(demo_settings(data_dir, vk_url="http://127.0.0.1:9"))
    UserStore(runtime.db).add(
        User("throttled", "Проверка", Role.ANALYST), "throttled-pass", datetime.now(UTC)
    )
    app = create_app(runtime)
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    try:
        with _uvicorn(app) as url:
            yield Served(url, runtime, app)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _page(browser: Browser, served: Served, width: int = 1366, height: int = 768) -> Page:
    """A fresh browser context (its own cookies) on the served app."""
    context = browser.new_context(
        base_url=served.url, viewport={"width": width, "height": height}, locale="ru-RU"
    )
    context.set_default_timeout(15000)
    return context.new_page()


def _login(page: Page, login: str, password: str | None = None) -> None:
    page.goto("/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password or PASSWORDS[login])
    page.click("form.login button")
    page.wait_for_load_state()


def _shot(page: Page, name: str) -> None:
    """Screenshots are artefacts; Chromium on a loaded machine sometimes refuses the first capture."""
    for attempt in range(3):
        try:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)


def _audit_rows(served: Served, actor: str | None = None) -> int:
    with served.runtime.db.session() as session:
        query = select(func.count()).select_from(AuditEventRow)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        return int(session.scalar(query) or 0)


def _status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def _csrf(page: Page) -> str:
    return str(page.get_attribute("input[name=csrf]", "value"))


def _post(page: Page, path: str, form: dict[str, str | float | bool]) -> int:
    """A POST from inside the signed-in page (its cookies), as a crafted request would be."""
    response = page.request.post(path, form=form, max_redirects=0)
    return int(response.status)


# --- every role, every page -------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_sees_its_pages_and_no_others(browser: Browser, served: Served, role: Role) -> None:
    page = _page(browser, served)
    login = ROLE_LOGIN[role]
    _login(page, login)
    assert page.url.rstrip("/") == served.url
    nav = set(page.eval_on_selector_all("#nav a", "els => els.map(e => e.getAttribute('href'))"))
    assert nav == ALLOWED[role]
    for path in PAGES:
        status = _status(page, path)
        expected = 200 if path in ALLOWED[role] else 403
        assert status == expected, (role, path, status)
        if expected == 200:
            assert page.locator("h1").first.is_visible()
            _shot(page, f"{role.value}{path.replace('/', '-').rstrip('-') or '-overview'}")
    page.context.close()


def test_overview_figures_and_chart(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "kurator")
    assert page.locator(".cards .card").count() >= 6
    page.wait_for_selector("canvas#trend[data-drawn='1']")
    open_cases = int(page.locator(".cards a[href='/cases'] span").inner_text())
    assert open_cases == sum(1 for case in served.runtime.incidents.list(limit=10000) if case.is_open)
    page.context.close()


# --- the head works the queue ---------------------------------------------------------------


def test_head_filters_assigns_answers_and_sees_history(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "rukovoditel")
    page.goto("/cases")
    # the SLA timers count down in the browser, from the deadlines the server gives
    page.wait_for_selector(".timer[data-left]", state="attached")
    timers = page.eval_on_selector_all(
        ".timer[data-due]", "els => els.map(e => [e.dataset.due, e.dataset.left])"
    )
    assert timers
    for due, left in timers:
        late = datetime.fromisoformat(due) < datetime.now(UTC)
        assert left.startswith("просрочено на" if late else "осталось"), (due, left)
    page.select_option("#queue-filters select[name=status]", "all")
    page.click("#queue-filters button")
    total_all = int(page.inner_text("#queue-total"))
    assert total_all == len(served.runtime.incidents.list(limit=10000))
    page.select_option("#queue-filters select[name=department]", "none")
    page.click("#queue-filters button")
    expected_triage = [c for c in served.runtime.incidents.list(limit=10000) if c.department_id is None]
    assert int(page.inner_text("#queue-total")) == len(expected_triage)
    _shot(page, "head-cases-filtered")

    case = next(
        c for c in served.runtime.incidents.list(open_only=True, limit=10000) if c.department_id != "kumi"
    )
    page.goto(f"/cases/{case.id}")
    page.select_option("#assign-form select[name=department]", "kumi")
    page.fill("#assign-form input[name=note]", "по компетенции")
    page.click("#assign-form button")
    assert "Сохранено" in page.inner_text(".flash")
    assert served.runtime.incidents.get(case.id or 0).department_id == "kumi"

    page.select_option("#act-action", "interim")
    page.fill("#act-form textarea[name=text]", "Заявка передана в управляющую компанию, срок — 3 дня.")
    page.click("#act-form button")
    assert "Сохранено" in page.inner_text(".flash")
    assert "Заявка передана" in page.inner_text("#history")
    assert served.runtime.incidents.get(case.id or 0).status.value == "interim"
    page.select_option("#act-action", "answer")
    page.fill("#act-form textarea[name=text]", "Отопление восстановлено.")
    page.click("#act-form button")
    assert served.runtime.incidents.get(case.id or 0).status.value == "answered"
    _shot(page, "head-case-answered")
    page.select_option("#act-action", "resolve")
    page.click("#act-form button")
    assert "решён" in page.inner_text("#case-status")
    page.context.close()


def test_a_stale_screen_does_not_overwrite_a_newer_change(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "rukovoditel")
    case = next(
        c for c in served.runtime.incidents.list(open_only=True, limit=10000) if c.department_id != "economy"
    )
    page.goto(f"/cases/{case.id}")
    other = _page(browser, served)
    _login(other, "kurator")
    other.goto(f"/cases/{case.id}")
    other.select_option("#assign-form select[name=department]", "economy")
    other.click("#assign-form button")
    page.select_option("#assign-form select[name=department]", "culture-sport")
    page.click("#assign-form button")
    assert "изменил кто-то другой" in page.inner_text(".flash")
    assert served.runtime.incidents.get(case.id or 0).department_id == "economy"
    page.context.close()
    other.context.close()


def test_head_merges_and_splits_cases(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "rukovoditel")
    open_cases = served.runtime.incidents.list(open_only=True, limit=10000)
    target, source = open_cases[-1], open_cases[-2]
    page.goto(f"/cases/{source.id}")
    page.fill("#merge-form input[name=into]", str(target.id))
    page.click("#merge-form button")
    assert page.url.endswith(f"/cases/{target.id}") or f"/cases/{target.id}?" in page.url
    merged = served.runtime.incidents.get(target.id or 0)
    assert set(source.post_keys) <= set(merged.post_keys)
    assert served.runtime.incidents.get(source.id or 0).merged_into == target.id
    _shot(page, "head-case-merged")

    page.locator("#split-form input[name=post]").first.check()
    page.fill("#split-form input[name=title]", "Отдельная проблема")
    page.click("#split-form button")
    assert "Выделено из обращения" in page.inner_text(".flash")
    found = re.search(r"/cases/(\d+)", page.url)
    assert found is not None
    new_id = int(found.group(1))
    assert new_id != target.id
    split_off = served.runtime.incidents.get(new_id)
    assert split_off.title == "Отдельная проблема" and len(split_off.post_keys) == 1
    assert split_off.post_keys[0] not in served.runtime.incidents.get(target.id or 0).post_keys
    page.context.close()


def test_curator_acknowledges_an_alert(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "kurator")
    page.goto("/alerts")
    pending = [a for a in served.runtime.alerts.latest() if a.acknowledged_at is None]
    assert pending
    page.click(f"#alert-{pending[0].id} button.ack")
    assert "принято: kurator" in page.inner_text(f"#alert-{pending[0].id}")
    acknowledged = served.runtime.alerts.get(pending[0].id)
    assert acknowledged is not None and acknowledged.acknowledged_by == "kurator"
    _shot(page, "curator-alert-acknowledged")
    page.context.close()


# --- search, heat map, ratings --------------------------------------------------------------


def test_analyst_searches_with_facets_highlights_and_exports(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    page.goto("/search")
    page.fill("#search-form input[name=q]", "вода")
    page.click("#search-form button")
    total = int(page.inner_text("#search-total"))
    assert total == served.runtime.index.count("вода") > 0
    assert page.locator(".hits mark").count() > 0
    # the analyst does not need identities: pseudonyms, no links to the authors' posts
    assert "житель №" in page.inner_text(".hits") or "сообщество" in page.inner_text(".hits")
    assert page.locator(".hits a").count() == 0
    page.locator(".facets a").first.click()
    assert ":" in page.input_value("#search-form input[name=q]")
    assert int(page.inner_text("#search-total")) <= total
    _shot(page, "analyst-search-facet")
    page.fill("#search-form input[name=q]", "вода")
    page.click("#search-form button")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("\n") >= total and "Текст" in text.splitlines()[0]
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    page.fill("#search-form input[name=q]", '"незакрытая')
    page.click("#search-form button")
    assert page.locator("pre.error").is_visible()
    page.context.close()


def test_head_sees_identities_links(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "rukovoditel")
    page.goto("/search?q=вода")
    assert page.locator(".hits a[rel=noreferrer]").count() > 0
    assert "житель №" not in page.inner_text(".hits")
    page.context.close()


def test_heat_map_colours_and_drills_down(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    page.goto("/heatmap?q=")
    assert page.locator("#heat-settlement td a").count() > 0
    assert page.locator("#heat-settlement td.lvl-5").count() >= 1
    for metric in ("negative", "overdue"):
        page.select_option("#heat-form select[name=metric]", metric)
        page.click("#heat-form button")
        _shot(page, f"analyst-heatmap-{metric}")
    page.goto("/heatmap?q=")
    cell = page.locator("#heat-settlement td a").first
    count = int(cell.inner_text())
    cell.click()
    assert "/search" in page.url
    assert int(page.inner_text("#search-total")) == count
    page.context.close()


def test_ratings_table_and_chart(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    page.goto("/ratings?days=365")
    assert page.locator("#ratings tbody tr").count() >= 1
    page.wait_for_selector("canvas#ratings-chart[data-drawn='1']")
    page.context.close()


def test_analyst_builds_the_weekly_note(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    page.goto("/reports")
    page.select_option("#report-weekly select[name=fmt]", "md")
    page.fill("#report-weekly input[name=period]", "current")
    with page.expect_download() as download:
        page.click("#report-weekly button")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert served.runtime.municipality.name.split()[0] in text
    now, tz = datetime.now(UTC), served.runtime.municipality.timezone

    def opened(code: str, kind: PeriodKind) -> int:
        period = parse_period(code, kind, now, tz)
        return len(served.runtime.incidents.opened_between(period.start, period.end))

    # the note for the head as DOCX: its figures are the database's
    page.select_option("#report-weekly select[name=fmt]", "docx")
    with page.expect_download() as download:
        page.click("#report-weekly button")
    note = Document(str(download.value.path()))
    figures = next(t for t in note.tables if t.rows[0].cells[0].text == "Показатель")
    cases_row = next(r for r in figures.rows if r.cells[0].text == "Инцидентов заведено")
    assert int(cases_row.cells[1].text) == opened("current", PeriodKind.WEEK) > 0
    # the quarterly tables as XLSX
    page.select_option("#report-quarterly select[name=fmt]", "xlsx")
    page.fill("#report-quarterly input[name=period]", "current")
    with page.expect_download() as download:
        page.click("#report-quarterly button")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))[SHEET_BLOCKS]
    header = [cell.value for cell in sheet[5]]
    total = next(row for row in sheet.iter_rows(min_row=6, values_only=True) if row[0] == "Итого")
    assert total[header.index("Случаев зарегистрировано")] == opened("current", PeriodKind.QUARTER)
    # a bad period is said on the page, nothing is built
    page.fill("#report-quarterly input[name=period]", "позапрошлый")
    page.click("#report-quarterly button")
    assert "Отчёт не сформирован" in page.inner_text(".flash")
    # what was built stays listed and downloads as written
    page.goto("/reports")
    listed = page.locator("#report-files a")
    assert listed.count() >= 3
    name = listed.first.inner_text()
    with page.expect_download() as download:
        listed.first.click()
    folder = served.runtime.settings.data_dir / "reports"
    assert Path(download.value.path()).read_bytes() == (folder / name).read_bytes()
    _shot(page, "analyst-reports")
    page.context.close()


# --- what a role must not do ------------------------------------------------------------------


def test_block_owner_sees_and_works_only_its_department(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "zhkh")
    page.goto("/cases?status=all")
    mine = [
        c for c in served.runtime.incidents.list(limit=10000) if c.department_id == BLOCK_OWNER_DEPARTMENT
    ]
    assert int(page.inner_text("#queue-total")) == len(mine)
    others = [
        c
        for c in served.runtime.incidents.list(open_only=True, limit=10000)
        if c.department_id != BLOCK_OWNER_DEPARTMENT
    ]
    assert _status(page, f"/cases/{others[0].id}") == 403
    page.goto("/cases")
    csrf = _csrf(page)
    before = served.runtime.incidents.get(others[0].id or 0)
    assert (
        _post(
            page,
            f"/cases/{others[0].id}/act",
            {"csrf": csrf, "action": "resolve", "version": str(before.version)},
        )
        == 403
    )
    assert (
        _post(
            page,
            f"/cases/{others[0].id}/assign",
            {"csrf": csrf, "department": "zhkh", "version": str(before.version)},
        )
        == 403
    )
    assert served.runtime.incidents.get(others[0].id or 0).status == before.status
    own = next((c for c in mine if c.is_open and c.status.value != "answered"), None)
    if own is not None:
        page.goto(f"/cases/{own.id}")
        assert page.locator("#assign-form").count() == 0
        assert page.locator("#merge-form").count() == 0
        page.select_option("#act-action", "interim")
        page.fill("#act-form textarea[name=text]", "Выехала аварийная бригада.")
        page.click("#act-form button")
        assert served.runtime.incidents.get(own.id or 0).status.value == "interim"
        # answers residents, so sees who wrote: the link to the post on the platform
        assert page.locator(".posts a[rel=noreferrer]").count() >= 1
        _shot(page, "block-owner-case")
    page.context.close()


def test_analyst_cannot_change_cases_or_acknowledge(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    page.goto("/alerts")
    assert page.locator("button.ack").count() == 0
    csrf = _csrf(page)
    case = served.runtime.incidents.list(open_only=True)[0]
    alert = served.runtime.alerts.latest()[-1]
    assert (
        _post(
            page, f"/cases/{case.id}/act", {"csrf": csrf, "action": "resolve", "version": str(case.version)}
        )
        == 403
    )
    assert _post(page, f"/alerts/{alert.id}/ack", {"csrf": csrf}) == 403
    assert served.runtime.incidents.get(case.id or 0).version == case.version
    assert _status(page, f"/cases/{case.id}") == 403
    assert _status(page, "/cases/export.csv") == 403
    page.context.close()


def test_signed_out_browser_is_sent_to_login(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    page.goto("/cases?status=all")
    assert "/login?next=" in page.url
    page.fill("input[name=login]", "kurator")
    page.fill("input[name=password]", PASSWORDS["kurator"])
    page.click("form.login button")
    assert page.url.endswith("/cases?status=all")
    page.click("#logout")
    assert "/login" in page.url
    page.goto("/")
    assert "/login" in page.url
    page.context.close()


# --- security -------------------------------------------------------------------------------------


def test_csrf_token_is_required(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "rukovoditel")
    case = served.runtime.incidents.list(open_only=True)[0]
    page.goto(f"/cases/{case.id}")
    audited = _audit_rows(served, "rukovoditel")
    page.evaluate("document.querySelector('#act-form input[name=csrf]').value = 'forged'")
    page.select_option("#act-action", "reject")
    response_text = ""
    with page.expect_navigation():
        page.click("#act-form button")
    response_text = page.inner_text("main")
    assert "CSRF" in response_text
    assert served.runtime.incidents.get(case.id or 0).version == case.version
    assert _post(page, f"/cases/{case.id}/act", {"action": "reject", "version": str(case.version)}) == 403
    assert _audit_rows(served, "rukovoditel") == audited + 2  # rejected attempts are audited too
    # the login form has its own token
    with httpx.Client(base_url=served.url) as client:
        bad = client.post("/login", data={"login": "kurator", "password": PASSWORDS["kurator"], "csrf": "x"})
        assert bad.status_code == 403 and SESSION_COOKIE not in bad.cookies
    page.context.close()


def test_brute_force_login_is_throttled(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    for attempt in range(5):
        _login(page, "throttled", f"wrong-{attempt}")
        assert "Неверный логин или пароль" in page.inner_text(".flash")
    _login(page, "throttled", "throttled-pass")  # even the right password waits now
    assert "Слишком много" in page.inner_text(".flash")
    _shot(page, "login-throttled")
    _login(page, "kurator")  # another login from the same address is not locked out
    assert "/login" not in page.url
    page.context.close()


def test_login_issues_a_new_session_and_ends_the_old_one(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "analitik")
    context = page.context
    planted = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert planted["httpOnly"] and planted["sameSite"] == "Lax"
    _login(page, "kurator")  # a second login in the same browser, e.g. after a planted cookie
    fresh = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
    assert fresh["value"] != planted["value"]
    with httpx.Client(base_url=served.url, cookies={SESSION_COOKIE: planted["value"]}) as client:
        assert client.get("/").status_code == 303  # the old id no longer works
    with httpx.Client(base_url=served.url, cookies={SESSION_COOKIE: fresh["value"]}) as client:
        assert client.get("/").status_code == 200
        assert client.get("/", cookies={SESSION_COOKIE: fresh["value"] + "x"}).status_code == 303  # signed
    context.close()


def test_every_state_changing_request_is_audited(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    _login(page, "kurator")
    page.goto("/cases")
    csrf = _csrf(page)
    case = served.runtime.incidents.list(open_only=True)[0]
    requests: list[tuple[str, dict[str, str | float | bool]]] = [
        (
            f"/cases/{case.id}/act",
            {
                "csrf": csrf,
                "action": "formal",
                "text": "Ваше обращение рассмотрено.",
                "version": str(case.version),
            },
        ),
        (f"/cases/{case.id}/assign", {"csrf": csrf, "department": "zhkh", "version": "0"}),  # stale: refused
        (f"/cases/{case.id}/merge", {"csrf": csrf, "into": str(case.id)}),  # invalid: refused
        ("/alerts/999999/ack", {"csrf": csrf}),
        ("/sources/candidates/1", {"csrf": csrf, "decision": "approve"}),  # not the curator's right
        ("/nowhere", {"csrf": csrf}),
    ]
    for path, form in requests:
        before = _audit_rows(served)
        _post(page, path, dict(form))
        assert _audit_rows(served) >= before + 1, path
    with served.runtime.db.session() as session:
        last = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(12)).all()
    assert all(row.client == "127.0.0.1" for row in last)
    assert any(row.action.startswith("incident.") and row.before and row.after for row in last)
    viewed = _audit_rows(served, "kurator")
    page.goto(f"/cases/{case.id}")
    assert _audit_rows(served, "kurator") == viewed + 1  # a case view is audited (152-ФЗ)
    page.context.close()


# every state-changing route and the permission it needs (None: public or its own key); a new route
# fails ``test_every_state_changing_route_is_listed`` until it is added here with its rule
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROUTE_PERMISSION: dict[str, Permission | None] = {
    "/login": None,
    "/logout": Permission.OVERVIEW,
    "/alerts/{alert_id}/ack": Permission.ACK_ALERTS,
    "/cases/{case_id}/assign": Permission.ROUTE_CASES,
    "/cases/{case_id}/act": Permission.WORK_CASES,
    "/cases/{case_id}/merge": Permission.ROUTE_CASES,
    "/cases/{case_id}/split": Permission.ROUTE_CASES,
    "/sources/candidates/{candidate_id}": Permission.ADMIN,
    "/sources/add": Permission.ADMIN,
    "/sources/{source_id}/remove": Permission.ADMIN,
    "/reports/build": Permission.REPORTS,
    "/open311/v2/requests.json": None,  # Open311 API keys, not sessions
}


def _state_changing_routes(app: FastAPI) -> set[str]:
    """Every path with a POST/PUT/PATCH/DELETE, read from the app's own route table (the schema
    FastAPI would publish, which flattens included routers; the app itself publishes none)."""
    paths = get_openapi(title="infopole", version="test", routes=app.routes)["paths"]
    return {path for path, methods in paths.items() if {m.upper() for m in methods} & STATE_CHANGING}


def test_every_state_changing_route_is_listed(served: Served) -> None:
    assert _state_changing_routes(served.app) == set(ROUTE_PERMISSION)


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_is_refused_every_change_it_may_not_make_and_each_try_is_audited(
    browser: Browser, served: Served, role: Role
) -> None:
    """Crafted requests with the role's own valid session and CSRF token, on objects that do not
    exist (nothing changes even where allowed): the server says 403 wherever the role lacks the
    right, and every request, allowed or not, leaves an audit row with who sent it."""
    login = ROLE_LOGIN[role]
    user = UserStore(served.runtime.db).get(login)
    assert user is not None
    page = _page(browser, served)
    _login(page, login)
    page.goto("/")
    csrf = _csrf(page)
    params = {
        "alert_id": "999999",
        "case_id": "999999",
        "candidate_id": "999999",
        "source_id": "no-such-source",
    }
    ordered = sorted(ROUTE_PERMISSION, key=lambda path: path == "/logout")  # signing out last
    for template in ordered:
        path = template.format(**params)
        before = _audit_rows(served)
        before_mine = _audit_rows(served, login)
        status = _post(page, path, {"csrf": csrf, "version": "0"})
        assert _audit_rows(served) == before + 1, (role, path, status)
        permission = ROUTE_PERMISSION[template]
        if permission is None:
            continue
        assert _audit_rows(served, login) == before_mine + 1, (role, path)
        if not can(user, permission):
            assert status == 403, (role, path, status)
        else:
            assert status != 403, (role, path, status)
    page.goto("/")
    assert "/login" in page.url  # the last request, a valid sign-out, ended the session
    page.context.close()


# --- screens --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_pages_fit_the_office_screen_and_a_phone(
    browser: Browser, served: Served, width: int, height: int
) -> None:
    page = _page(browser, served, width, height)
    _login(page, "rukovoditel")
    for path in ["/", "/cases", "/search?q=вода", f"/cases/{served.runtime.incidents.list()[0].id}"]:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, width, overflow)  # wide tables scroll inside their own box
        _shot(page, f"screen-{width}{path.split('?')[0].replace('/', '-').rstrip('-') or '-overview'}")
    page.context.close()


# --- the map of incidents ---------------------------------------------------------------------------


def _png(rgb: tuple[int, int, int] = (214, 229, 240), size: int = 256) -> bytes:
    """A plain-colour 256×256 PNG tile, written by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _tile_server(requested: list[str]) -> LocalServer:
    tile = _png()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            if not re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", self.path):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *_: object) -> None:
            pass

    return LocalServer(Tiles)


def _placed_open_cases(runtime: Runtime, now: datetime) -> tuple[set[int], set[int]]:
    """Open cases that have a place (own coordinates or a settlement with a point), and the overdue ones."""
    placed, overdue = set(), set()
    for case in runtime.incidents.list(open_only=True, limit=10000):
        settlement = runtime.municipality.settlement(case.settlement) if case.settlement else None
        if (case.lat is not None and case.lon is not None) or (settlement and settlement.point):
            placed.add(case.id or 0)
            if case.due_at is not None and case.due_at < now:
                overdue.add(case.id or 0)
    return placed, overdue


def _overdue_case_with_coordinates(runtime: Runtime) -> Incident:
    """A ПОС case with its own point, opened ten days ago and never answered: overdue."""
    opened = datetime.now(UTC) - timedelta(days=10)
    block = next(c.block for c in runtime.incidents.list(open_only=True, limit=10000) if c.block)
    case = new_case(
        title="Провал асфальта у школы",
        block=block,
        settlement="Кингисепп",
        municipality=runtime.municipality,
        now=opened,
        channel="pos",
        lat=59.3701,
        lon=28.6021,
        external_id="map-test-overdue",
    )
    stored = runtime.incidents.add(case, opened)
    assert stored.due_at is not None and stored.due_at < datetime.now(UTC)
    return stored


@contextmanager
def _served_with(served: Served, **changes: object) -> Iterator[Served]:
    """A second server on the same database and index, with some settings changed."""
    settings = Settings(**(served.runtime.settings.model_dump() | changes))
    runtime = Runtime(settings)
    app = create_app(runtime)
    try:
        with _uvicorn(app) as url:
            yield Served(url, runtime, app)
    finally:
        runtime.close()


def test_map_of_incidents_from_the_configured_tile_server(browser: Browser, served: Served) -> None:
    requested: list[str] = []
    late = _overdue_case_with_coordinates(served.runtime)
    with (
        _tile_server(requested).start() as tiles,
        _served_with(
            served,
            map_tile_url=f"{tiles.url}/tiles/{{z}}/{{x}}/{{y}}.png",
            map_tile_attribution="Тайлы: сервер МЦУ",
        ) as mapped,
    ):
        page = _page(browser, mapped)
        seen: list[str] = []
        page.on("request", lambda request: seen.append(request.url))
        _login(page, "kurator")
        response = page.goto("/heatmap")
        assert response is not None
        assert tiles.url in response.headers["content-security-policy"]  # the tile origin, nothing else
        page.wait_for_selector("#incident-map[data-ready='1']")
        placed, overdue = _placed_open_cases(mapped.runtime, datetime.now(UTC))
        assert placed and overdue, "open cases, one of them overdue with its own coordinates"
        markers = page.locator("#incident-map path.case-point")
        assert markers.count() == len(placed) == int(page.get_attribute("#incident-map", "data-points") or 0)
        ids = {
            int(re.search(r"case-(\d+)", str(cls))[1])  # type: ignore[index]
            for cls in page.eval_on_selector_all(
                "path.case-point", "els => els.map(e => e.getAttribute('class'))"
            )
        }
        assert ids == placed and late.id in ids
        exact = page.evaluate(
            "JSON.parse(document.getElementById('incident-points').textContent)"
            f".find(p => p.id === {late.id})"
        )
        assert (exact["lat"], exact["lon"]) == (59.3701, 28.6021) and exact["exact"] and exact["overdue"]
        page.wait_for_selector("img.leaflet-tile-loaded")
        assert any(re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", path) for path in requested)
        assert all(url.startswith((mapped.url, tiles.url)) for url in seen), seen  # no third party, ever
        assert "Тайлы: сервер МЦУ" in page.inner_text(".leaflet-control-attribution")
        # coloured by block, then by the SLA: overdue points turn red
        fills = set(
            page.eval_on_selector_all("path.case-point", "els => els.map(e => e.getAttribute('fill'))")
        )
        assert len(fills) >= 2
        page.select_option("#map-colour", "sla")
        red = page.eval_on_selector_all(
            "path.case-point", "els => els.filter(e => e.getAttribute('fill') === '#c62828').length"
        )
        assert red == len(overdue) == page.locator("path.case-point.overdue").count()
        assert page.locator("#legend-sla").is_visible() and not page.locator("#legend-block").is_visible()
        page.locator("#incident-map").scroll_into_view_if_needed()
        _shot(page, "curator-heatmap-map")
        # the popup links the case
        page.locator("path.case-point").last.click(force=True)
        link = page.locator(".leaflet-popup-content a")
        href = str(link.get_attribute("href"))
        assert re.fullmatch(r"/cases/\d+", href) and int(href.split("/")[-1]) in placed
        link.click()
        page.wait_for_url(f"**{href}")
        assert page.locator("h1").first.is_visible()
        page.context.close()

        # the analyst sees the points but gets no link to cases it may not open
        page = _page(browser, mapped)
        _login(page, "analitik")
        page.goto("/heatmap")
        page.wait_for_selector("#incident-map[data-ready='1']")
        page.locator("path.case-point").first.click(force=True)
        page.wait_for_selector(".leaflet-popup-content")
        assert page.locator(".leaflet-popup-content a").count() == 0
        page.context.close()

        page = _page(browser, mapped, 390, 844)
        _login(page, "kurator")
        page.goto("/heatmap#map")
        page.wait_for_selector("#incident-map[data-ready='1']")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        page.locator("#incident-map").scroll_into_view_if_needed()
        _shot(page, "screen-390-heatmap-map")
        page.context.close()


def test_without_tiles_there_is_no_map_and_no_outside_request(browser: Browser, served: Served) -> None:
    page = _page(browser, served)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    _login(page, "kurator")
    response = page.goto("/heatmap")
    assert response is not None
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert "INFOPOLE_MAP_TILE_URL" in page.inner_text("#map-off")
    assert page.locator("#incident-map").count() == 0
    assert not any("leaflet" in url or "map.js" in url for url in seen)
    assert all(url.startswith(served.url) for url in seen), seen
    page.context.close()


# --- sources: health, candidates, add and remove ------------------------------------------------------


def test_administrator_adds_and_removes_a_source_and_approves_a_candidate(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    original = served.runtime.settings.municipality_file
    assert original is not None
    file = tmp_path / original.name
    shutil.copy(original, file)
    store = CandidateStore(served.runtime.db)
    store.save(
        [Candidate(SourceKind.VK_WALL, "-200777", "Подслушано Усть-Луга", settlement="Усть-Луга")],
        datetime.now(UTC),
    )
    official = served.runtime.municipality.official_pages[0].source
    present = next(s for s in load_municipality(file).sources if s.kind is SourceKind.VK_WALL and s.target)
    store.save([Candidate(SourceKind.VK_WALL, present.target, "Уже в файле")], datetime.now(UTC))
    pending = {c.target: c for c in store.list(CandidateStatus.NEW)}
    candidate, duplicate = pending["-200777"], pending[present.target]
    with _served_with(served, municipality_file=file) as edited:
        page = _page(browser, edited)
        _login(page, ROLE_LOGIN[Role.ADMINISTRATOR])
        page.goto("/sources")
        assert page.locator("#configured-list tbody tr").count() == len(load_municipality(file).sources)
        assert page.locator("#sources tbody tr").count() >= 1  # health of what was collected
        page.fill("#source-add input[name=id]", "vk-ust-luga-test")
        page.select_option("#source-add select[name=kind]", "vk_wall")
        page.fill("#source-add input[name=title]", "Усть-Луга: новости")
        page.fill("#source-add input[name=target]", "-200777")
        page.select_option("#source-add select[name=settlement]", "Усть-Луга")
        page.click("#source-add button")
        assert "добавлен" in page.inner_text(".flash")
        added = load_municipality(file).source("vk-ust-luga-test")  # the file itself, valid
        assert (added.target, added.settlement, added.title) == ("-200777", "Усть-Луга", "Усть-Луга: новости")
        assert "vk-ust-luga-test" in page.inner_text("#configured-list")
        assert file.read_text(encoding="utf-8").startswith(
            original.read_text(encoding="utf-8").split("sources:")[0]
        )
        _shot(page, "administrator-source-added")

        page.fill("#source-add input[name=id]", "vk-ust-luga-test")  # a duplicate is refused, file untouched
        page.fill("#source-add input[name=title]", "Дубль")
        page.fill("#source-add input[name=target]", "-1")
        before = file.read_text(encoding="utf-8")
        page.click("#source-add button")
        assert "уже есть" in page.inner_text(".flash")
        page.fill("#source-add input[name=id]", "Плохой id")
        page.fill("#source-add input[name=title]", "Плохой")
        page.click("#source-add button")
        assert "Не сохранено" in page.inner_text(".flash")
        assert file.read_text(encoding="utf-8") == before
        # a source a госпаблик still names cannot go
        page.click(f"button[data-source='{official}']")
        assert "не прошёл бы проверку" in page.inner_text(".flash")
        assert load_municipality(file).source(official)

        page.click("button[data-source='vk-ust-luga-test']")
        assert "удалён" in page.inner_text(".flash")
        assert all(s.id != "vk-ust-luga-test" for s in load_municipality(file).sources)

        page.goto("/sources#candidates")
        page.click(f"form[action='/sources/candidates/{candidate.id}'] button[value=approve]")
        decided = store.get(candidate.id or 0)
        assert decided is not None and decided.status is CandidateStatus.APPROVED
        assert "одобрен" in page.inner_text(".flash") and "vk-200777" in page.inner_text(".flash")
        approved = load_municipality(file).source("vk-200777")  # in the file itself, valid
        assert (approved.kind, approved.target, approved.title, approved.settlement) == (
            SourceKind.VK_WALL, "-200777", "Подслушано Усть-Луга", "Усть-Луга",
        )  # fmt: skip
        assert "vk-200777" in page.inner_text("#configured-list")
        assert "Подслушано Усть-Луга" not in page.inner_text("#candidate-list")  # no longer pending
        _shot(page, "administrator-candidate-approved")

        # a page the file already collects: refused with the reason, the candidate stays pending
        before = file.read_text(encoding="utf-8")
        page.click(f"form[action='/sources/candidates/{duplicate.id}'] button[value=approve]")
        assert f"уже есть в файле как источник «{present.id}»" in page.inner_text(".flash")
        assert "остаётся в списке" in page.inner_text(".flash")
        assert "Уже в файле" in page.inner_text("#candidate-list")
        assert file.read_text(encoding="utf-8") == before
        still = store.get(duplicate.id or 0)
        assert still is not None and still.status is CandidateStatus.NEW
        with edited.runtime.db.session() as session:
            actions = set(
                session.scalars(
                    select(AuditEventRow.action).where(AuditEventRow.actor == ROLE_LOGIN[Role.ADMINISTRATOR])
                )
            )
        assert {
            "source.add",
            "source.add.refused",
            "source.remove",
            "source.remove.refused",
            "candidate.approved",
            "candidate.approve.refused",
        } <= actions
        page.context.close()

        # the head sees the sources but neither the form nor the buttons, and the server refuses
        page = _page(browser, edited)
        _login(page, "rukovoditel")
        page.goto("/sources")
        assert page.locator("#source-add").count() == 0 and page.locator(".remove-source").count() == 0
        csrf = _csrf(page)
        form: dict[str, str | float | bool] = {
            "csrf": csrf,
            "id": "vk-x",
            "kind": "vk_wall",
            "title": "x",
            "target": "-5",
        }
        assert _post(page, "/sources/add", form) == 403
        assert _post(page, f"/sources/{official}/remove", {"csrf": csrf}) == 403
        assert all(s.id != "vk-x" for s in load_municipality(file).sources)
        page.context.close()
