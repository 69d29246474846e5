"""Administrative approvals (审批) over HTTP: each route parses, runs one service call, presents.

The comprehensive window (综合受理窗口) acts as the platform; each reviewing
department is a unit speaking for itself. No rule lives here: the approval
service and the aggregate decide; refusals become the error shape in web.errors.
"""

from __future__ import annotations

from flask import current_app, g

from domain.permissions import listing_unit
from projections.cases.case_list import CaseListQuery
from web.api.blueprint import Blueprint
from web.api.case_routes import command_routes, documenting_errors, split
from web.api.idempotency import idempotent
from web.api.presenters import approval_json, approval_list_item, history_json
from web.api.schemas.approvals import (
    ApprovalListArgsSchema,
    ApprovalListSchema,
    ApprovalSchema,
    DecideSchema,
    DepartmentAnswerSchema,
    ForwardApprovalSchema,
    NoteSchema,
    PauseSchema,
    RequestMaterialsSchema,
    ReturnOpinionSchema,
    SubmitApprovalSchema,
    SupplyMaterialsSchema,
)
from web.api.schemas.cases import HistorySchema
from web.api.schemas.common import AsOfSchema, EscalateSchema, ExtendSchema, ReasonSchema
from web.api.tlog import log_leaves

blp = Blueprint("approvals", __name__, url_prefix="/api/approvals", description="Administrative approvals (审批)")


def service():
    return current_app.extensions["caseledger"].approvals


def present(approval, as_of=None):
    return approval_json(approval, service().deadlines(approval, now=as_of), as_of)


documented_errors = documenting_errors(blp)


@blp.route("", methods=["GET"])
@blp.arguments(ApprovalListArgsSchema, location="query")
@blp.response(200, ApprovalListSchema)
@documented_errors
def list_approvals(args):
    """The approvals list and the departments' inboxes: filter by department, status, overdue and text."""
    container = current_app.extensions["caseledger"]
    container.wait_for_views()
    now = container.clock()
    query = CaseListQuery(
        kind="approval",
        unit=args.get("department"),
        status=args.get("status"),
        overdue=args.get("overdue"),
        q=args.get("q"),
        viewer_unit=listing_unit(g.actor),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        now=now,
    )
    rows, total = container.read_models["case_list"].view.query(query)
    return {
        "items": [approval_list_item(r, now) for r in rows],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
        "pages": -(-total // query.per_page),
    }


@blp.route("", methods=["POST"])
@idempotent
@blp.arguments(SubmitApprovalSchema)
@blp.response(201, ApprovalSchema)
@blp.alt_response(
    200, schema=ApprovalSchema, description="the application already submitted for this channel + external_ref"
)
@documented_errors
def submit_approval(data):
    """Submitted (申请): received at the window; the same channel + external_ref returns the existing one."""
    data, opts = split(data)
    opts.pop("expected_version", None)  # a new application has no version to expect
    approval, created = service().submit(g.actor, **data, **opts)
    return present(approval), 201 if created else 200


# path: (service method, body schema, summary)
COMMANDS = {
    "request-materials": (
        "request_materials",
        RequestMaterialsSchema,
        "MaterialsRequested (一次性告知): every missing material at once, before acceptance",
    ),
    "supply-materials": (
        "supply_materials",
        SupplyMaterialsSchema,
        "MaterialsSupplied (补正): the applicant's materials, recorded by the window",
    ),
    "accept": ("accept", NoteSchema, "Accepted (受理): starts the decision period"),
    "refuse": ("refuse", ReasonSchema, "Refused (不予受理): outside the office's competence; ends the case"),
    "forward": (
        "forward",
        ForwardApprovalSchema,
        "Forwarded (后台分类审批): to the departments; each department's review starts",
    ),
    "answer": ("answer", DepartmentAnswerSchema, "DepartmentAnswered: one department's opinion, by that department"),
    "return": ("return_opinion", ReturnOpinionSchema, "DepartmentReturned: one department's opinion sent back"),
    "pause": ("pause", PauseSchema, "Paused (行政许可法 art. 45): hearing, inspection, test or expert review"),
    "resume": ("resume", NoteSchema, "Resumed: the paused clocks run again"),
    "extend": ("extend", ExtendSchema, "Extended (延期): once, within the profile's cap (art. 42)"),
    "escalate": ("escalate", EscalateSchema, "Escalated (督办)"),
    "decide": (
        "decide",
        DecideSchema,
        "Decided (决定): once every department answered, or before on a commitment (告知承诺制)",
    ),
    "deliver": ("deliver", NoteSchema, "Delivered (统一窗口出件): the result handed over at the window"),
    "revoke": ("revoke", ReasonSchema, "Revoked (撤销): an approval granted on a commitment that proved false"),
    "withdraw": ("withdraw", ReasonSchema, "Withdrawn (撤回): by the applicant, before the decision"),
}


command_routes(blp, "approval", COMMANDS, ApprovalSchema, service, present)


@blp.route("/<uuid:case_id>", methods=["GET"])
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, ApprovalSchema)
@documented_errors
def get_approval(query, case_id):
    """The approval now, or as it stood at ``as_of``, with its deadlines and pauses."""
    as_of = query.get("as_of")
    return present(service().read(case_id, g.actor, as_of=as_of), as_of)


@blp.route("/<uuid:case_id>/history", methods=["GET"])
@blp.response(200, HistorySchema)
@documented_errors
def approval_history(case_id):
    """Every recorded event of the approval, in order."""
    approval = service().read(case_id, g.actor)
    return history_json(approval.id, approval.case_no, service().history(case_id), log_leaves(case_id))
