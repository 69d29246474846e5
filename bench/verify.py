"""Audit export verification rate: adapters.tlog.verify over N synthetic events.

Writes an export of ``--events`` (1,000,000) events of about ``--state-bytes``
(520) bytes of state each, about 600 bytes of leaf data with the names and
ids, in the documented format (domain.tlog.merkle's leaf data, leaves.bin, a
checkpoint every ``--every`` (100,000) events and one at the end, each signed
by the log and cosigned by a witness), then times ``verify_export`` on it,
clean, twice (the second with the files in the page cache, as the first
usually is right after writing). Printed: the export's size, the time to
write it, and the verification's events/s.

    .venv/bin/python bench/verify.py [--events 1000000] [--every 100000] [--state-bytes 520]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.tlog.sign import NoteSigner, add_signature, generate_private_key  # noqa: E402
from adapters.tlog.verify import COSIGNATURE_V1, checkpoint_body, verify_export  # noqa: E402
from bench._machine import describe  # noqa: E402
from domain.tlog import merkle  # noqa: E402

ORIGIN = "bench.caseledger.example/log"


def write_export(directory: Path, events: int, every: int, state_bytes: int) -> None:
    log = NoteSigner(generate_private_key(ORIGIN))
    witness = NoteSigner(generate_private_key("bench.witness.example/w1", COSIGNATURE_V1))
    (directory / "checkpoints").mkdir()
    frontier = merkle.Frontier()
    filler = "x" * state_bytes
    with (directory / "events.bin").open("wb") as event_file, (directory / "leaves.bin").open("wb") as leaf_file:
        for i in range(events):
            state = f'{{"n": {i}, "note": "{filler}"}}'.encode()[:state_bytes]
            data = merkle.leaf_data(
                "caseledger", uuid.UUID(int=i // 50 + 1), i % 50 + 1, "domain.appeals.aggregate:Appeal.Noted", state
            )
            leaf = merkle.leaf_hash(data)
            event_file.write(len(data).to_bytes(4, "big") + data)
            leaf_file.write(leaf)
            frontier.append(leaf)
            if frontier.size % every == 0 or frontier.size == events:
                body = checkpoint_body(ORIGIN, frontier.size, frontier.root())
                note = add_signature(log.sign(body), witness.signature_line(body, int(time.time())))
                (directory / "checkpoints" / f"{frontier.size:012}.note").write_text(note)
    (directory / "log.vkey").write_text(log.vkey() + "\n")
    (directory / "witnesses.vkeys").write_text(witness.vkey() + "\n")
    (directory / "manifest.json").write_text(
        json.dumps(
            {
                "format": "caseledger-audit-export/1",
                "origin": ORIGIN,
                "size": events,
                "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--state-bytes", type=int, default=520)
    args = parser.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory(prefix="caseledger_bench_verify_") as scratch:
        directory = Path(scratch)
        started = time.perf_counter()
        write_export(directory, args.events, args.every, args.state_bytes)
        written = time.perf_counter() - started
        size = (directory / "events.bin").stat().st_size
        print(
            f"\nexport: {args.events} events, events.bin {size / 2**20:.0f} MiB "
            f"({size / args.events - 4:.0f} bytes of leaf data per event), written in {written:.1f} s"
        )
        for attempt in ("first", "second"):
            started = time.perf_counter()
            report = verify_export(directory)
            elapsed = time.perf_counter() - started
            assert report.ok and report.events_checked == args.events, report.problems[:5]
            print(
                f"  verify_export ({attempt}): {elapsed:6.2f} s  {args.events / elapsed:10,.0f} events/s  "
                f"({len(report.witnesses)} witness, head size {report.head['size']})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
