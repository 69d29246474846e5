"""The verifiable history over HTTP: checkpoints, proofs and the re-hash of everything.

A checkpoint answers for every event recorded before the request: the
request waits for the Merkle log (kept by the read-model process) to reach
the log's head as it stood on arrival, and a new checkpoint is signed if the
log has grown since the last one. Proofs are RFC 9162's, base64 hashes, for
any size the log has reached; a client checks them against a checkpoint it
holds.
"""

from __future__ import annotations

import base64
from uuid import UUID

from flask import current_app, g

from adapters.tlog.checkpoints import LogInconsistent, checkpoint_json
from adapters.tlog.checks import verify as verify_log
from domain.errors import CaseNotFound, ValidationFailed
from domain.permissions import check_read
from projections.cases.deadline_watch import ReadModelBehind
from web.api.blueprint import Blueprint
from web.api.case_routes import documenting_errors
from web.api.schemas.reads import (
    CheckpointArgsSchema,
    CheckpointSchema,
    ConsistencyArgsSchema,
    ConsistencySchema,
    InclusionArgsSchema,
    InclusionSchema,
    PublicKeySchema,
    VerifySchema,
)
from web.errors import error_response

blp = Blueprint("audit", __name__, url_prefix="/api/audit", description="Verifiable history: the Merkle log")
documented_errors = documenting_errors(blp)


class CheckpointNotFound(CaseNotFound):
    code = "checkpoint_not_found"


def _container():
    return current_app.extensions["caseledger"]


def _caught_up() -> None:
    if not _container().wait_for_merkle():
        raise ReadModelBehind(
            "the Merkle log did not catch up with the event log; is the read-model process "
            "running? (caseledger projections run)"
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def log_leaves(case_id: UUID) -> dict[int, tuple[int, bytes]]:
    """A case's leaves by version, for its history: every event recorded before the request, if the
    Merkle log catches up in time (an event it has not reached yet has none)."""
    container = _container()
    container.wait_for_merkle()
    return container.merkle.view.leaves_of(container.appeals.name, case_id)


@blp.route("/checkpoint", methods=["GET"])
@blp.arguments(CheckpointArgsSchema, location="query")
@blp.response(200, CheckpointSchema)
@documented_errors
def checkpoint(args):
    """The latest signed checkpoint, covering every event recorded before the request (or the one
    issued at ``size``)."""
    check_read("checkpoint", g.actor)
    checkpoints = _container().checkpoints
    if "size" in args:
        record = checkpoints.at(args["size"])
        if record is None:
            raise CheckpointNotFound(f"no checkpoint was issued at size {args['size']}")
    else:
        _caught_up()
        record = checkpoints.issue()
    return checkpoint_json(checkpoints, record)


@blp.route("/public-key", methods=["GET"])
@blp.response(200, PublicKeySchema)
@documented_errors
def public_key():
    """The log's C2SP verifier key, to check checkpoints' signatures with."""
    check_read("checkpoint", g.actor)
    checkpoints = _container().checkpoints
    return {"vkey": checkpoints.vkey(), "origin": checkpoints.origin}


@blp.route("/proof/inclusion", methods=["GET"])
@blp.arguments(InclusionArgsSchema, location="query")
@blp.response(200, InclusionSchema)
@documented_errors
def inclusion(args):
    """The audit path of the leaf at ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3)."""
    check_read("audit_log", g.actor)
    index, size = args["index"], args["size"]
    merkle = _container().merkle
    _within(merkle.size(), size, "size")
    if index >= size:
        raise ValidationFailed({"index": f"must be less than size ({size})"})
    leaf, proof = merkle.inclusion_proof(index, size)
    return {"index": index, "size": size, "leaf_hash": _b64(leaf), "proof": [_b64(h) for h in proof]}


@blp.route("/proof/consistency", methods=["GET"])
@blp.arguments(ConsistencyArgsSchema, location="query")
@blp.response(200, ConsistencySchema)
@documented_errors
def consistency(args):
    """That the tree of ``to`` leaves extends the tree of ``from`` leaves (RFC 9162 §2.1.4)."""
    check_read("audit_log", g.actor)
    old, new = args["old"], args["new"]
    merkle = _container().merkle
    _within(merkle.size(), new, "to")
    if old > new:
        raise ValidationFailed({"from": f"must not exceed to ({new})"})
    return {"old": old, "new": new, "proof": [_b64(h) for h in merkle.consistency_proof(old, new)]}


@blp.route("/verify", methods=["GET"])
@blp.response(200, VerifySchema)
@documented_errors
def verify():
    """Every stored event re-read and re-hashed; its leaf and the roots compared with every signed
    checkpoint; each changed, removed or reordered event named by its log index, and by its case's
    number, its sequence number and its type."""
    check_read("audit_log", g.actor)
    container = _container()
    _caught_up()
    container.wait_for_trail()  # the trail names the events found changed or removed
    return verify_log(container.merkle, container.checkpoints, container.read_models["audit_trail"].view.acts_of)


def _within(log_size: int, size: int, field: str) -> None:
    if size > log_size:
        raise ValidationFailed({field: f"the log holds {log_size} events"})


@blp.errorhandler(LogInconsistent)
def log_inconsistent(error: LogInconsistent):
    return error_response(409, "log_inconsistent", f"no checkpoint signed: {error}")
