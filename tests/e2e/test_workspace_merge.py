"""并单 in the units' web workspace: the unit is told through its inbox and on the case pages."""

from __future__ import annotations

import uuid

from tests.e2e.test_workspace import forwarded_appeal
from tests.e2e.workspace_client import Clerk, text_of


def test_the_unit_is_told_of_a_merge_in_its_inbox_and_on_both_case_pages(live):
    """并单, keeping each caller's record: the repeat's row says which case it joined and that
    its deadlines stopped; the case joined says how many repeats it answers for and lists every caller."""
    tag = uuid.uuid4().int % 10**8  # the PostgreSQL database is shared
    a = forwarded_appeal(live, subject=f"接电难-{tag}")
    b = forwarded_appeal(live, subject=f"接电难再次反映-{tag}", contact={"name": "李会计", "phone": "13900000000"})
    response = live.post(f"/api/appeals/{b['id']}/merge", {"into": a["id"], "note": "同一事项"})
    assert response.status_code == 200, response.json

    clerk = Clerk.sign_in(live, "power")
    inbox = text_of(clerk.get("/", query_string={"q": tag}).text)
    assert f"已并单至 {a['case_no']}，本件期限停止计时" in inbox and "已并单" in inbox
    assert "有 1 件重复诉求并入本件，请一并答复各来电人" in inbox
    repeat = text_of(clerk.get(f"/appeals/{b['id']}").text)
    assert f"已并单：本诉求已并入 {a['case_no']}" in repeat and "并单（并入他案）" in repeat
    survivor = clerk.get(f"/appeals/{a['id']}").text
    assert f'<a href="/appeals/{b["id"]}">{b["case_no"]}</a>' in survivor
    assert "本案已并入 1 件重复诉求（并单）" in text_of(survivor) and "李会计（13900000000）" in text_of(survivor)
