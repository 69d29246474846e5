"""Chinese throughout: every role signs in, visits every page it can reach from its navigation, with cases in
every state, and reads no English word and no internal code; a unit user gets 403 on every page of the others.

The crawl follows the links of each page (same site, GET, no downloads), so a page added later is visited as
soon as something links to it. What may appear in Latin letters: case numbers, user names, unit codes, credit
codes, e-mail addresses, and the names of file formats (PDF, Excel, CSV).
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from domain.deadlines.periods import SHANGHAI
from tests.conftest import fresh_postgres_database
from tests.e2e.conftest import OPERATOR, USERS
from tests.e2e.test_workspace import forwarded_appeal as forwarded
from tests.e2e.workspace_client import Clerk, text_of

CASE_NO = re.compile(r"\b(?:QY|SP)\d{8}-[0-9A-F]{8}\b")
UNIT_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")
CREDIT_CODE = re.compile(r"\b[0-9A-Z]{18}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_FORMATS = ("PDF", "Excel", "CSV")
LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]*)')
DOWNLOADS = (".csv", ".xlsx", ".pdf")
PAGES_PER_ROLE = 160
ROLES = ("clerk", "super", "inspector", "auditor", "ops", "power", "fire")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database of this test's own on either kind: the pages must show only what this test recorded (the
    session's shared PostgreSQL database holds other tests' cases, written in any words)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
        return
    with fresh_postgres_database() as url:
        yield url


def forwarded_appeal(api, **fields) -> dict:
    """A forwarded appeal whose subject holds no Latin letter (the shared helper tags subjects in hex)."""
    return forwarded(api, subject=f"接电难-{next(_numbers)}", **fields)


_numbers = itertools.count(1)


def step(api, kind: str, case: dict, command: str, body: dict | None = None, user: str = "clerk") -> dict:
    response = api.post(f"/api/{kind}s/{case['id']}/{command}", body or {}, user=user)
    assert response.status_code == 200, (kind, command, response.json)
    return response.json


def cases_in_every_state(api) -> dict[str, dict]:
    """One appeal in each status of an appeal and one approval in each status of an approval, an overdue appeal
    swept (missed deadline, 督办通知, 通报提醒), a bad rating, a merge, and a follow-up recorded by an inspector."""
    made: dict[str, dict] = {"received": api.open()}
    made["forwarded"] = forwarded_appeal(api)
    made["acknowledged"] = step(api, "appeal", forwarded_appeal(api), "acknowledge", user="power")
    answered = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办理"}, "power")
    made["answered"] = answered
    returned = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办"}, "power")
    made["returned"] = step(api, "appeal", returned, "return", {"reason": "答复不完整"})
    made["handback_requested"] = step(
        api, "appeal", forwarded_appeal(api), "handback", {"reason": "不属本单位职责"}, "power"
    )
    # 退单审核: one upheld with 改派, one refused (the case page and history of each ruling).
    for upheld, extra in ((True, {"unit": "DISTRICT-WATER"}), (False, {})):
        asked = step(api, "appeal", forwarded_appeal(api), "handback", {"reason": "不属本单位职责"}, "power")
        made[f"handback_upheld_{upheld}"] = step(
            api, "appeal", asked, "rule-handback", {"upheld": upheld, "note": "经核实。", **extra}
        )
    reviewed = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办理"}, "power")
    made["reviewed"] = step(api, "appeal", reviewed, "review", {"accepted": True})
    visited = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办理"}, "power")
    visited = step(api, "appeal", visited, "review", {"accepted": True})
    made["visited"] = step(api, "appeal", visited, "visit", {"satisfaction": "unsatisfied", "solved": False})
    closed = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办理"}, "power")
    closed = step(api, "appeal", closed, "review", {"accepted": True})
    closed = step(api, "appeal", closed, "visit", {"satisfaction": "satisfied", "solved": True})
    made["closed"] = step(api, "appeal", closed, "close")
    # 首接负责 and 回头看 (004 item 六): a consultation answered at first contact and looked back on; a closed
    # case whose look-back found the solution did not hold.
    direct = api.open(category="consultation")
    direct = step(api, "appeal", direct, "direct-answer", {"method": "three_way_call", "content": "已答复"})
    made["direct"] = step(api, "appeal", direct, "recheck", {"holds": True, "note": "已落实", "sampled": True})
    redo = step(api, "appeal", forwarded_appeal(api), "answer", {"kind": "final", "content": "已办理"}, "power")
    redo = step(
        api, "appeal", step(api, "appeal", redo, "review", {"accepted": True}), "visit", {"satisfaction": "satisfied"}
    )
    redo = step(api, "appeal", redo, "close")
    made["rechecked"] = step(api, "appeal", redo, "recheck", {"holds": False, "note": "仍未解决"})
    into = forwarded_appeal(api)
    made["merged"] = step(api, "appeal", forwarded_appeal(api), "merge", {"into": into["id"], "note": "同一事项"})
    joint = step(
        api,
        "appeal",
        forwarded_appeal(api),
        "joint-handling",
        {"units": ["DISTRICT-POWER", "DISTRICT-WATER"], "reason": "职责交叉"},
    )
    held_on = api.container.clock().astimezone(SHANGHAI).date().isoformat()
    meeting = {"held_on": held_on, "units": ["DISTRICT-POWER", "DISTRICT-WATER"], "decision": "由区水务局牵头"}
    made["joint"] = step(api, "appeal", joint, "joint-meeting", meeting | {"lead_unit": "DISTRICT-WATER"})
    made["overdue"] = forwarded_appeal(api, occurred_at="2026-11-02T09:00:00+08:00")
    swept = api.post("/api/deadlines/sweep", {})
    assert swept.status_code == 200, swept.json
    criticism = api.post(  # 004 item 十五: an inspector's own 通报批评, with its reason, citing the overdue case
        f"/api/units/{made['overdue']['unit']}/accountability/actions",
        {"action": "criticism_issued", "reason": "问题解决不及时", "case_ids": [made["overdue"]["id"]]},
        user="inspector",
    )
    assert criticism.status_code == 201, criticism.json

    made["submitted"] = api.submit()
    made["materials_requested"] = step(
        api, "approval", api.submit(), "request-materials", {"missing": ["营业执照副本"]}
    )
    made["accepted"] = step(api, "approval", api.submit(), "accept")
    made["in_review"] = step(api, "approval", step(api, "approval", api.submit(), "accept"), "forward")
    decided = step(api, "approval", step(api, "approval", api.submit(), "accept"), "forward")
    decided = step(
        api,
        "approval",
        decided,
        "answer",
        {"department": "DISTRICT-FIRE", "decision": "approve", "opinion": "符合要求"},
        "fire",
    )
    made["decided"] = step(api, "approval", decided, "decide", {"decision": "approve", "reason": "各部门均同意"})
    made["delivered"] = step(api, "approval", made["decided"], "deliver")
    made["refused"] = step(api, "approval", api.submit(), "refuse", {"reason": "不属于受理范围"})
    made["withdrawn"] = step(api, "approval", api.submit(), "withdraw", {"reason": "申请人撤回"})
    venue = api.submit(profile="liaoyuan-2024-approvals", matter="assembly-venue-opening", commitment=True)
    venue = step(api, "approval", venue, "accept")
    venue = step(api, "approval", venue, "decide", {"decision": "approve", "reason": "依承诺先行准予"})
    made["revoked"] = step(api, "approval", venue, "revoke", {"reason": "承诺不实"})
    for status in (
        "received forwarded acknowledged answered returned handback_requested reviewed visited closed merged "
        "submitted materials_requested accepted in_review decided delivered refused withdrawn revoked"
    ).split():
        assert made[status]["status"] == status, (status, made[status]["status"])
    return made


def allowed_words(api) -> list[str]:
    """User names (and the operators of recorded acts), longest first, so that one inside another goes whole."""
    directory = api.container.directory
    names = {u.username for u in directory.users()}
    names |= {
        str(act.actor.get("user", "")).removeprefix("cli:") for kind in ("Unit", "User") for act in _acts(api, kind)
    }
    return sorted((n for n in names if n), key=len, reverse=True)


def _acts(api, kind: str):
    from domain.directory.records import Unit, User

    return api.container.directory.recent_acts(Unit if kind == "Unit" else User, limit=200)


def latin_words(text: str, allowed: list[str]) -> list[str]:
    text = EMAIL.sub(" ", text)
    text = CASE_NO.sub(" ", text)
    text = CREDIT_CODE.sub(" ", text)
    text = UNIT_CODE.sub(" ", text)
    for word in (*allowed, *FILE_FORMATS):
        text = re.sub(rf"(?<![A-Za-z0-9_.-]){re.escape(word)}(?![A-Za-z0-9_.-])", " ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def key_of(url: str) -> str | None:
    """The page a link leads to, as visited once: a path and its query, a replay (as_of) once per case, no
    download, nothing off the site, no sign-out."""
    parts = urlsplit(unescape(url))
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.endswith(DOWNLOADS):
        return None
    if parts.path.startswith(("/api/", "/static/", "/logout", "/login")):
        return None
    query = dict(parse_qsl(parts.query))
    if "as_of" in query:
        return f"{parts.path}?as_of"  # one replay of each case is enough to read its words
    return parts.path + ("?" + urlencode(sorted(query.items())) if query else "")


def crawl(api, user: str, allowed: list[str]) -> tuple[int, dict[str, list[str]]]:
    clerk = Clerk.sign_in(api, user)
    seen: dict[str, str] = {}
    queue = deque([("/", "/")])
    problems: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        key, url = queue.popleft()
        if key in seen:
            continue
        seen[key] = url
        page = clerk.get(unescape(url))
        visited += 1
        assert page.status_code < 500, (user, url, page.status_code)
        if "text/html" not in page.headers.get("Content-Type", ""):
            continue
        words = latin_words(text_of(page.text), allowed)
        if words:
            problems[url] = sorted(set(words))[:12]
        for link in LINK.findall(page.text):
            found = key_of(link)
            if found and found not in seen:
                queue.append((found, link))
    return visited, problems


def test_every_role_reads_every_page_it_can_reach_in_chinese(live):
    live.container.directory.set_email(OPERATOR, "power", "power@ban.example.cn")  # shown on the users' page
    cases_in_every_state(live)
    live.container.wait_for_views(5)
    allowed = allowed_words(live)
    report = {}
    for user in ROLES:
        visited, problems = crawl(live, user, allowed)
        report[user] = visited
        assert not problems, (user, problems)
    assert all(n >= 10 for n in report.values()), report  # each role reached its pages, not the sign-in alone
    assert report["clerk"] >= 40 and report["auditor"] >= 30, report


def test_a_unit_user_gets_403_on_every_page_of_the_other_roles(api):
    pages = (
        "/accountability",
        "/reports/monthly",
        "/reports/recurring",
        "/audit/trail",
        "/audit/verify",
        "/appeals/new",
        "/approvals/new",
        "/deadlines/sweep",
        "/admin/units",
        "/admin/users",
        "/units/DISTRICT-WATER/accountability",
        "/units/DISTRICT-WATER/ledger",
    )
    unit = Clerk.sign_in(api, "power")
    for path in pages:
        page = unit.get(path)
        assert page.status_code == 403, (path, page.status_code)
        assert "无权查看" in text_of(page.text), path
    for path in ("/units/DISTRICT-POWER/accountability", "/units/DISTRICT-POWER/ledger"):
        assert unit.get(path).status_code == 200, path  # its own record and ledger, as the API allows
    assert set(USERS) >= set(ROLES)
