"""好差评 follow-through over HTTP (docs/http-api.md *Bad ratings (好差评 follow-through)*), on SQLite
and PostgreSQL: rectify, contest-rating and adjudicate-rating; the case's ``rating``; the ledger and the
monthly bulletin (JSON, xlsx, PDF) with raw and adjudicated satisfaction side by side and the list of 差评.

Sources: 002 item 27, 004 item 二, 国办发〔2019〕51号. Zichuan's marked defaults: 10 WD to rectify
(a visit on Tue 2026-09-29 → due Mon 10-19, over National Day 10-01..07 and the make-up Sat 10-10), 5 WD
to contest (→ Mon 10-12).
"""

from __future__ import annotations

import io
import uuid

import openpyxl

from tests.e2e.conftest import OPERATOR, PASSWORD
from tests.e2e.workspace_client import Clerk, text_of
from tests.pdf import pdf_text


def ok(response, status: int = 200):
    assert response.status_code == status, response.json
    return response.json


def test_rating_follow_through_over_http_with_the_ledger_and_the_bulletin(live):
    """002 item 27 / 004 item 二 / 国办发〔2019〕51号: a 差评 is rectified in its period or contested once and
    adjudicated; the raw rating never changes; refusals answer per docs/http-api.md and record nothing."""
    tag = f"{uuid.uuid4().int % 10**6:06d}"  # digits: the unit name shows on pages other tests read for Latin words
    unit, user = f"RATE-{tag}", f"rate-{tag.lower()}"
    live.container.directory.add_unit(OPERATOR, unit, f"淄川供电所{tag}")
    live.container.directory.add_user(OPERATOR, user, "unit", PASSWORD, unit)
    live.tokens[user] = ok(live.post("/api/auth/token", {"username": user, "password": PASSWORD}, user=None))["token"]

    def visited(satisfaction: str) -> str:
        path = f"/api/appeals/{live.open(occurred_at='2026-09-28T09:00:00+08:00')['id']}"
        ok(live.post(f"{path}/forward", {"unit": unit, "occurred_at": "2026-09-28T10:00:00+08:00"}))
        ok(
            live.post(
                f"{path}/answer",
                {"kind": "final", "content": "已接电", "occurred_at": "2026-09-28T15:00:00+08:00"},
                user="ops",
            )
        )
        ok(live.post(f"{path}/review", {"accepted": True, "occurred_at": "2026-09-29T09:00:00+08:00"}))
        ok(live.post(f"{path}/visit", {"satisfaction": satisfaction, "occurred_at": "2026-09-29T10:00:00+08:00"}))
        return path

    contested, late, good = visited("unsatisfied"), visited("very_unsatisfied"), visited("satisfied")
    case = ok(live.get(contested, user=user))
    rating = case["rating"]
    assert (rating["level"], rating["bad"], rating["unit"], rating["adjudicated"]) == (
        "unsatisfied",
        True,
        unit,
        "unsatisfied",
    )
    assert rating["rectification"]["due"] == "2026-10-19T23:59:59+08:00" and rating["contest"] is None
    assert rating["rectification"]["status"] == "overdue" and rating["contest_window_working_days"] == 5
    assert [d["due"] for d in case["deadlines"] if d["name"] == "rectification"] == ["2026-10-19T23:59:59+08:00"]

    # Refused, nothing recorded: the unit's own window closed on 10-12; another unit; the unit ruling.
    version = case["version"]
    refused = live.post(f"{contested}/contest-rating", {"reason": "误评"}, user=user)
    assert refused.status_code == 409 and "contest" in refused.json["error"]["message"]
    assert live.post(f"{contested}/contest-rating", {"reason": "误评"}, user="water").status_code == 403
    assert live.post(f"{contested}/adjudicate-rating", {"upheld": True, "note": "成立"}, user=user).status_code == 403
    assert live.post(f"{contested}/adjudicate-rating", {"upheld": True, "note": "成立"}).status_code == 409
    assert live.post(f"{contested}/rectify", {"content": ""}, user=user).status_code == 422
    assert ok(live.get(contested))["version"] == version

    case = ok(
        live.post(
            f"{contested}/contest-rating",
            {"reason": "恶意差评", "occurred_at": "2026-10-12T16:00:00+08:00"},
            user="ops",
        )
    )
    assert case["rating"]["contest"]["status"] == "pending"
    assert live.post(f"{contested}/adjudicate-rating", {"upheld": True}).status_code == 422
    case = ok(
        live.post(
            f"{contested}/adjudicate-rating",
            {"upheld": True, "note": "经核实属恶意差评", "occurred_at": "2026-10-13T09:00:00+08:00"},
        )
    )
    assert (case["satisfaction"], case["rating"]["level"], case["rating"]["adjudicated"]) == (
        "unsatisfied",
        "unsatisfied",
        "set_aside",
    )
    assert case["rating"]["rectification"]["status"] == "set_aside"
    assert live.post(f"{contested}/rectify", {"content": "已整改"}, user=user).status_code == 409
    # The unit rectifies through the workspace's form; its page says why it may no longer contest.
    clerk, page = Clerk.sign_in(live, user), late.replace("/api", "")
    assert "申诉期限（回访后5个工作日）已于2026-10-12 23:59届满" in text_of(clerk.get(page).text)
    assert clerk.submit(page, "rectify", {"content": "已改进接电流程"}).status_code == 303
    case = ok(live.get(late))
    assert case["rating"]["rectification"]["status"] == "late" and case["rating"]["rectification"]["met_late"]
    types = [e["type"] for e in ok(live.get(f"{late}/history"))["events"]]
    assert types[-2:] == ["Rectified", "DeadlineMissed"]
    assert ok(live.get(f"{good}"))["rating"]["rectification"] is None

    # Ledger: raw 1 / 3 visits; adjudicated, the set-aside one left out, 1 / 2.
    ledger = ok(live.get(f"/api/units/{unit}/ledger?period=2026-09", user=user))
    assert (ledger["rates"]["satisfaction"], ledger["rates"]["satisfaction_adjudicated"]) == (0.3333, 0.5)
    assert {
        k: ledger["counts"][k] for k in ("bad_ratings", "rectified_late", "ratings_contested", "contests_upheld")
    } == {"bad_ratings": 2, "rectified_late": 1, "ratings_contested": 1, "contests_upheld": 1}
    assert "satisfaction_adjudicated" in ledger["definitions"]
    trail = ok(live.get(f"/api/audit/trail?case_id={contested.rsplit('/', 1)[1]}", user="auditor"))["entries"]
    assert {"RatingContested", "RatingAdjudicated"} <= {e["type"] for e in trail}

    bulletin = ok(live.get("/api/reports/monthly?period=2026-09", user="auditor"))
    row = next(r for r in bulletin["units"] if r["unit"] == unit)
    assert (row["rates"]["satisfaction"], row["rates"]["satisfaction_adjudicated"]) == (0.3333, 0.5)
    numbers = {ok(live.get(p))["case_no"]: p for p in (contested, late)}
    lines = [
        (line["case_no"], line["rectification"], line["contest"])
        for line in bulletin["bad_ratings"]
        if line["unit"] == unit
    ]
    assert sorted(lines) == sorted(
        [(n, "set_aside", "upheld") if p == contested else (n, "late", None) for n, p in numbers.items()]
    )
    sheet = openpyxl.load_workbook(
        io.BytesIO(live.get("/api/reports/monthly.xlsx?period=2026-09", user="auditor").data)
    )["差评"]
    listed = {row[0]: row[6:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert all(
        listed[n] == (("申诉成立，无需整改", "申诉成立（撤销差评）") if p == contested else ("逾期整改", "未申诉"))
        for n, p in numbers.items()
    )
    assert all(n in pdf_text(live.get("/api/reports/monthly.pdf?period=2026-09", user="auditor").data) for n in numbers)
