"""The web workspace in a real browser: Playwright driving Debian's chromium, JavaScript off.

The pages are server-rendered and need no JavaScript, so every test page runs in a
context with JavaScript disabled. The accessibility check (axe-core) and the 200 % zoom
check do need scripts: they load the same URL, with the same cookies, in a separate
context of their own.

Chromium is Debian's ``/usr/bin/chromium`` (Playwright's own browser download is not
used). When it is missing and the session runs as root with apt-get, it is installed
here, as ``.ci/run`` does, with ``fonts-wqy-microhei`` for the Chinese glyphs of the
screenshots (the bulletin's own font, TrueType outlines, a 1.6 MB package against Noto
CJK's 56 MB); otherwise the session fails, naming the package. axe-core comes from npm,
pinned by ``package-lock.json`` and installed into ``tests/browser/node_modules`` by
``npm ci``.

The server is the real one (``tests/e2e/server.py``): ``caseledger serve`` on a SQLite
file, one per test module (``test_workspace_postgres`` brings its own, on PostgreSQL). Its
units and users are made in-process beforehand (``provision``); the cases are set up
through the JSON API as the platform's clerk. Screenshots go to ``tests/browser/artifacts/``
or to ``$CASELEDGER_ARTIFACTS``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import PASSWORD, Server, running_server

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APT_PACKAGES = ["chromium", "fonts-wqy-microhei"]
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1280, "height": 900}
ZOOMED = {"width": 640, "height": 450}  # 1280 x 900 at 200 %
LOCALE = "zh-CN"
# Server-rendered pages on 127.0.0.1 answer in well under a second: a missing element fails in seconds,
# not after Playwright's default of 30 s, so a broken page cannot eat the suite's time budget.
TIMEOUT_MS = 5_000
NAVIGATION_TIMEOUT_MS = 15_000

UNITS = {"DISTRICT-POWER": "区供电中心", "DISTRICT-WATER": "区水务局", "DISTRICT-FIRE": "区消防救援大队"}
USERS: dict[str, tuple[str, str | None]] = {  # name: (role, unit)
    "clerk": ("platform", None),
    "power": ("unit", "DISTRICT-POWER"),
    "water": ("unit", "DISTRICT-WATER"),
    "fire": ("unit", "DISTRICT-FIRE"),
    # Locked out by the lockout test (their cheap hashes keep its ten failed sign-ins quick).
    "locked-form": ("unit", "DISTRICT-WATER"),
    "locked-api": ("unit", "DISTRICT-WATER"),
}


# --- the browser and axe-core, installed when missing -----------------------------------------------


def _apt_install(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-4000:]}", pytrace=False)


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(done.stdout.strip())


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium, installed (with a CJK font) when missing and the session may install it."""
    can_install = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None
    missing = ([] if CHROMIUM.exists() else ["chromium"]) + ([] if _has_cjk_font() else ["fonts-wqy-microhei"])
    if missing and can_install:
        _apt_install(missing)
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}; install it as root: "
            f"apt-get install --no-install-recommends {' '.join(APT_PACKAGES)}",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's axe.min.js, from ``npm ci`` in tests/browser when not there yet (once: the test
    processes of a parallel run take turns, as ``npm ci`` first empties node_modules)."""
    with open(Path(tempfile.gettempdir()) / "caseledger-axe-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE.exists():
            _npm_ci()
    return AXE


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "the browser tests need npm to install axe-core (tests/browser/package-lock.json); "
            "install Debian's npm package, or run `npm ci` in tests/browser",
            pytrace=False,
        )
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not AXE.exists():
        pytest.fail(f"npm ci in {HERE} exited {done.returncode}:\n{done.stderr[-4000:]}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _axe_installed(axe_script: Path) -> Path:
    """Installed before any test, so that ``axe_check`` may be called from anywhere."""
    return axe_script


@pytest.fixture(scope="package")
def browser(chromium_path: Path) -> Iterator[Any]:
    """One chromium for the browser tests, closed once they are done (not kept for the rest of the run)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: $CASELEDGER_ARTIFACTS, else tests/browser/artifacts (ignored by git)."""
    path = Path(os.environ.get("CASELEDGER_ARTIFACTS") or HERE / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the server and its cases ---------------------------------------------------------------------


@dataclass
class Workspace:
    """The running server, with the JSON API as the platform's clerk and the users' tokens."""

    server: Server
    database: str  # "sqlite" or "postgres"

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def api(self, method: str, path: str, body: Any = None, user: str = "clerk", expect: int | None = 200) -> Any:
        token = self.server.tokens[user]
        response = self.server.post(path, body, token=token) if method == "POST" else self.server.get(path, token=token)
        if expect is not None:
            assert response.status == expect, (method, path, user, response.status, response.json)
        return response.json

    def open_appeal(self, occurred_at: datetime | None = None, **fields: Any) -> dict:
        """An appeal received by the platform (zichuan-2020), backdated to ``occurred_at`` if given."""
        body = {
            "channel": "12345",
            "category": "help",
            "subject": "新厂房接电难",
            "content": "新厂房低压接电申请已逾两周未办理",
            "enterprise": {"name": "淄博某某机械有限公司"},
            "profile": "zichuan-2020",
        } | fields
        if occurred_at is not None:
            body["occurred_at"] = occurred_at.isoformat(timespec="seconds")
        return self.api("POST", "/api/appeals", body, expect=201)

    def forwarded_appeal(
        self, unit: str = "DISTRICT-POWER", occurred_at: datetime | None = None, **fields: Any
    ) -> dict:
        """An appeal received and forwarded to ``unit`` by the platform."""
        case = self.open_appeal(occurred_at, **fields)
        body: dict[str, Any] = {"unit": unit}
        if occurred_at is not None:
            body["occurred_at"] = (occurred_at + timedelta(hours=1)).isoformat(timespec="seconds")
        return self.api("POST", f"/api/appeals/{case['id']}/forward", body)

    def forwarded_approval(self, departments: tuple[str, ...] = ("DISTRICT-FIRE",)) -> dict:
        """An application submitted at the window, accepted and handed to its departments."""
        case = self.api(
            "POST",
            "/api/approvals",
            {
                "profile": "licensing-law-2019",
                "matter": "general",
                "applicant": {"name": "淄博某某餐饮有限公司"},
                "materials": ["申请书", "营业执照"],
                "departments": list(departments),
            },
            expect=201,
        )
        self.api("POST", f"/api/approvals/{case['id']}/accept", {})
        return self.api("POST", f"/api/approvals/{case['id']}/forward", {})

    def history(self, kind: str, case_id: str) -> list[dict]:
        return self.api("GET", f"/api/{kind}/{case_id}/history")["events"]


def provision(database_url: str) -> None:
    """The units and users, made in this process, with passwords hashed at a cheap Argon2 setting.

    As tests/e2e/conftest.py does: the CLI's way (one ``caseledger`` start-up per unit and user) is
    the server tests' to check, and would cost the browser suite seconds per server; and every
    sign-in through the login form verifies a password, at the cost the stored hash names.
    """
    from adapters.auth.passwords import Argon2Hasher
    from domain.actors import Actor, Role
    from tests.conftest import LOG_KEY_FILE
    from web.bootstrap import Settings, bootstrap

    operator = Actor("cli:browser-tests", Role.ADMIN)
    container = bootstrap(
        Settings(database_url=database_url, secret_key="browser-tests", log_key_file=LOG_KEY_FILE),
        hasher=Argon2Hasher(time_cost=1, memory_cost=1024),
    )
    try:
        for code, name in UNITS.items():
            container.directory.add_unit(operator, code, name)
        for name, (role, unit) in USERS.items():
            container.directory.add_user(operator, name, role, PASSWORD, unit)
    finally:
        container.close()


@contextmanager
def workspace_on(database_url: str, tmp: Path, database: str) -> Iterator[Workspace]:
    """``caseledger serve`` on ``database_url``, with the suite's units and users, signed in over the API."""
    provision(database_url)
    with running_server(database_url, tmp, units=UNITS, users=USERS, create=False) as server:
        yield Workspace(server, database)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """``caseledger serve`` on a SQLite file of its own, for the module's tests."""
    tmp = tmp_path_factory.mktemp("workspace")
    with workspace_on(f"sqlite:///{tmp / 'events.sqlite3'}", tmp, "sqlite") as ready:
        yield ready


def weeks_ago(weeks: int = 4) -> datetime:
    """A weekday morning about ``weeks`` weeks back, as an Asia/Shanghai wall-clock time."""
    day = datetime.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(weeks=weeks)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# --- pages ----------------------------------------------------------------------------------------


def new_context(
    browser: Any,
    base_url: str | None = None,
    *,
    javascript: bool = False,
    viewport: dict[str, int] = VIEWPORT,
    **options: Any,
) -> Any:
    """A browser context, JavaScript off unless asked, zh-CN, with the suite's short timeouts."""
    ctx = browser.new_context(
        base_url=base_url, java_script_enabled=javascript, locale=LOCALE, viewport=viewport, **options
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return ctx


@pytest.fixture
def context(browser: Any, workspace: Workspace) -> Iterator[Any]:
    """A fresh browser context, JavaScript off, zh-CN, 1280 x 900."""
    ctx = new_context(browser, workspace.base_url)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> Any:
    """Through the login form; returns the response of the page it lands on (the inbox)."""
    shown = page.goto("/login")
    assert shown is not None and shown.status == 200, ("GET /login", shown and shown.status)
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    with page.expect_navigation() as landed:
        page.get_by_role("button", name="登录").click()
    response = landed.value
    assert response is not None and response.status == 200, (username, response and response.status, page.url)
    origin = response.request.redirected_from  # the form's POST, answered by a 303
    assert origin is not None and origin.method == "POST" and origin.response().status == 303, (
        username,
        origin and origin.response().status,
    )
    return response


def _scripted_copy(page: Any, viewport: dict[str, int], snapshot: bool = False, **options: Any) -> tuple[Any, Any]:
    """The URL of ``page``, loaded with its cookies in a new JavaScript-enabled context.

    With ``snapshot``, the document is not asked of the server again but is the one ``page`` shows
    (for a page that answered a POST, e.g. a refused form); its styles and the rest still come from
    the server.
    """
    ctx = new_context(page.context.browser, javascript=True, viewport=viewport, **options)
    ctx.add_cookies(page.context.cookies())
    if snapshot:
        target, html = page.url, page.content()
        ctx.route(
            lambda url: url == target,
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
        )
    copy = ctx.new_page()
    response = copy.goto(page.url)
    assert response is not None and response.ok, (page.url, response and response.status)
    return ctx, copy


def axe_check(page: Any, snapshot: bool = False, axe: Path = AXE) -> None:
    """No WCAG 2.1 A/AA violation that axe-core finds on the page (loaded again with scripts on).

    ``snapshot``: check the document as ``page`` shows it, not as the server gives its URL now.
    """
    ctx, copy = _scripted_copy(page, VIEWPORT, snapshot)
    try:
        copy.add_script_tag(path=str(axe))
        result = copy.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})""", AXE_TAGS)
    finally:
        ctx.close()
    violations = result["violations"]
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}\n"
        + "\n".join(
            f"    {node['target']}: " + " / ".join(node.get("failureSummary", "").splitlines()) for node in v["nodes"]
        )
        for v in violations
    ]
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(lines)


def zoom_check(page: Any, snapshot: bool = False) -> None:
    """At 200 % (640 x 450 CSS pixels for a 1280 x 900 window) the page needs no horizontal scrolling."""
    ctx, copy = _scripted_copy(page, ZOOMED, snapshot, device_scale_factor=2)
    try:
        scroll_width, client_width = copy.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
    finally:
        ctx.close()
    assert scroll_width <= client_width + 1, (
        f"{page.url} at 200 % is {scroll_width} CSS px wide in a {client_width} px viewport: it scrolls sideways"
    )


def screenshot(page: Any, artifacts: Path, name: str, workspace: Workspace | None = None) -> Path:
    """A full-page PNG, ``{name}[-{database}].png``, in the artefacts directory."""
    path = artifacts / (f"{name}-{workspace.database}.png" if workspace else f"{name}.png")
    page.screenshot(path=str(path), full_page=True)
    return path
