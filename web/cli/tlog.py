"""``caseledger audit …``: the Merkle log's key, checkpoints, exports, witnesses and offline checks.

``verify`` and ``keygen`` open no database: ``verify`` is the standalone
verifier (``adapters.tlog.verify``, which imports nothing but the standard
library and ``cryptography`` and, copied alone, also runs as ``python3 tlog_verify.py DIR``);
the others bring the Merkle log up to date first, as an operator's command
may, so what they sign or export covers everything recorded before them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from adapters.tlog import verify as tlog_verify
from adapters.tlog.checkpoints import CosignRefused, LogInconsistent, checkpoint_json
from adapters.tlog.checks import export, verify
from adapters.tlog.sign import COSIGNATURE_V1, ED25519, NoteSigner, generate_private_key

OFFLINE = ("verify", "keygen")


def add_parser(commands) -> None:
    audit = commands.add_parser("audit", help="verifiable history: the Merkle log and its checkpoints")
    actions = audit.add_subparsers(dest="action", required=True)
    actions.add_parser("public-key", help="print the log's C2SP verifier key")
    checkpoint = actions.add_parser("checkpoint", help="print the latest checkpoint (signed now if the log grew)")
    checkpoint.add_argument("--size", type=int, help="the checkpoint issued at this size instead")
    checkpoint.add_argument("--json", action="store_true", help="as GET /api/audit/checkpoint gives it")
    actions.add_parser(
        "check", help="re-hash every stored event against the log and its checkpoints (as GET /api/audit/verify)"
    )
    out = actions.add_parser("export", help="write the events, checkpoints and keys for offline verification")
    out.add_argument("directory", type=Path)
    check = actions.add_parser("verify", help="check an export offline: no database, no network")
    check.add_argument("directory")
    check.add_argument("--trusted", metavar="CHECKPOINT_FILE", help="a checkpoint kept from earlier")
    check.add_argument("--vkey", metavar="FILE", help="the log's verifier key, pinned (default: the export's)")
    check.add_argument(
        "--witness", metavar="FILE", action="append", default=[], help="a witness's verifier key (repeatable)"
    )
    check.add_argument("--json", action="store_true")
    cosign = actions.add_parser("cosign", help="as a witness, cosign the latest checkpoint after checking it")
    cosign.add_argument("--key", type=Path, required=True, help="the witness's private key file")
    cosign.add_argument(
        "--state", type=Path, help="where the witness keeps the last checkpoint it cosigned (default: KEY.cosigned)"
    )
    keygen = actions.add_parser("keygen", help="make a C2SP private key file; prints its verifier key")
    keygen.add_argument("name", help="the key's name: a schema-less URL, e.g. jw.example.gov.cn/witness")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.add_argument("--witness", action="store_true", help="a witness's cosigning key (tlog-cosignature)")


def offline(args: argparse.Namespace) -> int:
    if args.action == "verify":
        argv = [args.directory, *sum((["--witness", w] for w in args.witness), [])]
        argv += ["--trusted", args.trusted] if args.trusted else []
        argv += ["--vkey", args.vkey] if args.vkey else []
        argv += ["--json"] if args.json else []
        return tlog_verify.main(argv)
    if args.out.exists():
        print(f"caseledger: {args.out} exists; a key is never overwritten", file=sys.stderr)
        return 1
    try:
        key = generate_private_key(args.name, COSIGNATURE_V1 if args.witness else ED25519)
    except ValueError as exc:
        print(f"caseledger: {exc}", file=sys.stderr)
        return 2
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    print(NoteSigner(key).vkey())
    return 0


def run(args: argparse.Namespace, c) -> int:
    if args.action == "public-key":
        print(c.checkpoints.vkey())
        return 0
    c.merkle.run_once()
    try:
        if args.action == "checkpoint":
            record = c.checkpoints.at(args.size) if args.size is not None else c.checkpoints.issue()
            if record is None:
                print(f"caseledger: no checkpoint was issued at size {args.size}", file=sys.stderr)
                return 1
            if args.json:
                print(json.dumps(checkpoint_json(c.checkpoints, record), ensure_ascii=False, indent=2))
            else:
                sys.stdout.write(c.checkpoints.note(record))
            return 0
        if args.action == "check":
            c.runner().run_once()  # the audit trail names the events found changed or removed
            c.trail_follower.run_once()
            result = verify(c.merkle, c.checkpoints, c.read_models["audit_trail"].view.acts_of)
            c.verifications.record(result, c.clock(), f"cli:{getpass.getuser()}")  # what the case pages warn of
            return _report(result)
        if args.action == "export":
            c.runner().run_once()
            c.trail_follower.run_once()
            done = export(
                c.merkle,
                c.checkpoints,
                args.directory,
                c.clock().isoformat(),
                c.read_models["audit_trail"].view.acts_of,
            )
            print(
                f"exported {done.size} events, {done.checkpoints} checkpoints and {done.witnesses} witness keys "
                f"to {done.directory}; check it with: caseledger audit verify {done.directory}"
            )
            return 0
        return _cosign(args, c)
    except LogInconsistent as exc:
        print(f"caseledger: nothing signed: {exc}", file=sys.stderr)
        return 1
    except (CosignRefused, FileExistsError) as exc:
        print(f"caseledger: {exc}", file=sys.stderr)
        return 1


def _cosign(args: argparse.Namespace, c) -> int:
    try:
        witness = NoteSigner(args.key.read_text().strip())
    except (OSError, ValueError) as exc:
        print(f"caseledger: cannot use the witness key {args.key}: {exc}", file=sys.stderr)
        return 2
    if witness.algorithm != COSIGNATURE_V1:
        print(
            f"caseledger: {args.key} is not a cosigning key (make one with: caseledger audit keygen NAME "
            "--witness --out FILE)",
            file=sys.stderr,
        )
        return 2
    state = args.state or args.key.with_name(args.key.name + ".cosigned")
    last = state.read_text() if state.exists() else None
    done = c.checkpoints.cosign(witness, last)
    draft = state.with_name(f".{state.name}.{os.getpid()}")
    draft.write_text(done.note)
    draft.replace(state)  # the witness's memory moves forward only once the cosignature is recorded
    sys.stdout.write(done.note)
    print(f"cosigned the checkpoint at size {done.record.size} as {witness.name}", file=sys.stderr)
    return 0


def _report(result: dict) -> int:
    head = result["head"]
    print(
        f"{'ok' if result['ok'] else 'PROBLEMS FOUND'}: {result['events_checked']} events re-hashed; latest "
        f"checkpoint {'none' if head is None else str(head['size']) + ' ' + head['root']}"
    )
    for p in result["problems"]:
        print(f"  {'-' if p['index'] is None else p['index']}\t{p['problem']}{named(p)}")
    return 0 if result["ok"] else 1


def named(problem: dict) -> str:
    """The event a problem concerns, as the check names it: its case's number, its sequence number, its type."""
    parts = [
        f"case {problem['case_no']}" if problem.get("case_no") else "",
        f"event {problem['seq']}" if problem.get("seq") is not None else "",
        problem.get("type") or "",
    ]
    return f" [{', '.join(p for p in parts if p)}]" if any(parts) else ""
