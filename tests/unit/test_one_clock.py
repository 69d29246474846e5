"""One clock: business time comes from the composition root's time source (``domain.time_source``), handed to
every route, service, view and report; no other module of the service reads the wall clock for it.

A reading of the wall clock is ``datetime.now(``, ``datetime.utcnow(``, ``date.today(`` or ``time.time(``
(``time.monotonic``/``perf_counter`` measure durations and are not). The allow-list is timing code only.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "adapters", "projections", "web")
WALL_CLOCK = re.compile(r"\b(datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\()")
ALLOWED = {
    "domain/time_source.py": "the time source itself",
    "adapters/persistence/idempotency.py": "an Idempotency-Key's lease runs on real elapsed time, whatever the "
    "business clock says (a request that died is released after it)",
}


def wall_clock_readings() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            lines = [
                n
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if WALL_CLOCK.search(line.split("#", 1)[0])
            ]
            if lines and name not in ALLOWED:
                found[name] = lines
    return found


def test_no_module_but_the_time_source_reads_the_wall_clock_for_business_time():
    assert wall_clock_readings() == {}


def test_the_check_finds_a_reading_where_there_is_one(tmp_path, monkeypatch):
    layer = tmp_path / "web"
    layer.mkdir()
    (layer / "route.py").write_text("from datetime import datetime\nnow = datetime.now()\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert wall_clock_readings() == {"web/route.py": [2]}


def test_every_allowed_module_exists_and_still_reads_the_clock():
    for name in ALLOWED:
        assert WALL_CLOCK.search((ROOT / name).read_text(encoding="utf-8")), name
