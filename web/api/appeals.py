"""Appeals (企业诉求) over HTTP: each route parses, runs one service call, presents.

No rule lives here: the service and the aggregate decide; refusals become
the API's error shape (docs/http-api.md *Errors*) in web.errors.
"""

from __future__ import annotations

from flask import current_app, g

from domain.appeals.repeats import ENDED, Candidate, suggest, window
from domain.permissions import listing_unit
from projections.cases.case_list import CaseListQuery
from web.api.blueprint import Blueprint
from web.api.case_routes import command_routes, documenting_errors, split
from web.api.idempotency import idempotent
from web.api.presenters import case_json, case_list_item, history_json, suggestion_json
from web.api.schemas.cases import AppealSchema, CaseListArgsSchema, CaseListSchema, HistorySchema
from web.api.schemas.common import (
    AnswerSchema,
    AsOfSchema,
    CoOpinionSchema,
    EmptyCommandSchema,
    EscalateSchema,
    ExtendSchema,
    ForwardSchema,
    MergeSchema,
    OpenAppealSchema,
    ReasonSchema,
    ReviewSchema,
    VisitSchema,
)
from web.api.schemas.handback import RuleHandbackSchema
from web.api.schemas.hotline import DirectAnswerSchema, RecheckSchema
from web.api.schemas.joint import JointHandlingSchema, JointMeetingSchema
from web.api.schemas.ratings import AdjudicateRatingSchema, ContestRatingSchema, RectifySchema
from web.api.tlog import log_leaves

blp = Blueprint("appeals", __name__, url_prefix="/api/appeals", description="Enterprise appeals (企业诉求)")


def service():
    return current_app.extensions["caseledger"].appeals


def present(appeal, as_of=None):
    return case_json(appeal, service().deadlines(appeal, now=as_of), as_of)


documented_errors = documenting_errors(blp)


@blp.route("", methods=["GET"])
@blp.arguments(CaseListArgsSchema, location="query")
@blp.response(200, CaseListSchema)
@documented_errors
def list_appeals(args):
    """The case list and unit inboxes: filter by unit, status, overdue and text; sorted by due date."""
    container = current_app.extensions["caseledger"]
    container.wait_for_views()
    now = container.clock()
    query = CaseListQuery(
        unit=args.get("unit"),
        status=args.get("status"),
        overdue=args.get("overdue"),
        q=args.get("q"),
        joint=args.get("joint"),
        viewer_unit=listing_unit(g.actor),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        now=now,
    )
    rows, total = container.read_models["case_list"].view.query(query)
    return {
        "items": [case_list_item(r, now) for r in rows],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
        "pages": -(-total // query.per_page),
    }


@blp.route("", methods=["POST"])
@idempotent
@blp.arguments(OpenAppealSchema)
@blp.response(201, AppealSchema)
@blp.alt_response(200, schema=AppealSchema, description="the case already opened for this channel + external_ref")
@documented_errors
def open_appeal(data):
    """Received (受理): open an appeal; the same channel + external_ref returns the existing case."""
    data, opts = split(data)
    if "expected_version" in opts:
        opts.pop("expected_version")  # a new case has no version to expect
    appeal, created = service().open(g.actor, **data, **opts)
    return present(appeal), 201 if created else 200


# path: (service method, body schema, summary)
COMMANDS = {
    "forward": ("forward", ForwardSchema, "Forwarded (转办/派单): to a lead unit and co-handling units"),
    "acknowledge": ("acknowledge", EmptyCommandSchema, "Acknowledged (签收/启动核实) by the lead unit"),
    "answer": ("answer", AnswerSchema, "Answered (答复): initial handling or final result"),
    "review": ("review", ReviewSchema, "Reviewed (审核) by the platform; rejection returns the case"),
    "return": ("return_for_redo", ReasonSchema, "Returned (退回重办) to the unit to redo"),
    "escalate": ("escalate", EscalateSchema, "Escalated (督办/分级会办)"),
    "extend": ("extend", ExtendSchema, "Extended (延期) within the profile's cap"),
    "handback": ("request_handback", ReasonSchema, "HandbackRequested (退单): the unit says it is misrouted"),
    "rule-handback": (
        "rule_handback",
        RuleHandbackSchema,
        "HandbackRuled (派单异议审核): the platform upholds (with 改派 to a unit) or refuses a pending hand-back",
    ),
    "co-opinion": (
        "give_co_opinion",
        CoOpinionSchema,
        "CoOpinionGiven (协办意见): a co-handling unit's opinion for the lead",
    ),
    "visit": ("visit", VisitSchema, "Visited (回访) with satisfaction (好差评)"),
    "close": ("close_case", EmptyCommandSchema, "Closed (办结)"),
    "merge": (
        "merge",
        MergeSchema,
        "MergedInto (并单): this repeat joins the case it repeats, which records its caller",
    ),
    "unmerge": ("unmerge", ReasonSchema, "Unmerged (撤销并单): the merge undone on both cases, with a reason"),
    # 好差评 follow-through (domain.appeals.ratings)
    "rectify": ("rectify", RectifySchema, "Rectified (差评整改): the unit's rectification of a bad rating"),
    "contest-rating": (
        "contest_rating",
        ContestRatingSchema,
        "RatingContested (申诉复核): the rated unit contests a bad rating, once, within the window",
    ),
    "adjudicate-rating": (
        "adjudicate_rating",
        AdjudicateRatingSchema,
        "RatingAdjudicated: the platform or a supervisor rules on a pending contest",
    ),
    # 联合办理 (004 item 六)
    "joint-handling": (
        "mark_joint",
        JointHandlingSchema,
        "JointHandlingMarked (列入联合办理): responsibility unclear or shared; the case joins the joint-handling list",
    ),
    "joint-meeting": (
        "hold_joint_meeting",
        JointMeetingSchema,
        "JointMeetingHeld (联席会议): its day, units present and decision; with lead_unit the case is forwarded to it",
    ),
    # 首接负责 and 回头看 (domain.appeals.hotline)
    "direct-answer": (
        "direct_answer",
        DirectAnswerSchema,
        "DirectlyAnswered (首接负责, 即时办结): the platform answers a never-forwarded case and closes it",
    ),
    "recheck": (
        "recheck",
        RecheckSchema,
        "Rechecked (回头看) on a closed case; not holding returns it to its lead unit (重办) with fresh clocks",
    ),
}


command_routes(blp, "appeal", COMMANDS, AppealSchema, service, present)


@blp.route("/<uuid:case_id>", methods=["GET"])
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, AppealSchema)
@documented_errors
def get_appeal(query, case_id):
    """The case now, or as it stood at ``as_of``, with its deadlines."""
    as_of = query.get("as_of")
    appeal = service().read(case_id, g.actor, as_of=as_of)
    shown = present(appeal, as_of)
    if as_of is None:  # the read model knows the cases as they stand now, not as they stood then
        shown["suggested_repeats"] = suggested_repeats(appeal)
    return shown


SUGGESTED = 10  # the likeliest repeats shown on a case


SUGGESTION_WAIT = 0.5  # seconds: the case list follows the log within milliseconds when its follower runs


def suggested_repeats(appeal) -> list[dict]:
    """Likely repeats of an open appeal (domain.appeals.repeats), from the case list; a unit sees only its own
    cases. The case list is waited for, so that an appeal received just before is among them, but only
    briefly (``SUGGESTION_WAIT``): the case itself is read from its events, and a suggestion is advice,
    never a reason to hold up that read for as long as a read model's own reads may wait."""
    if appeal.status in ENDED:
        return []
    container = current_app.extensions["caseledger"]
    container.wait_for_views(min(SUGGESTION_WAIT, container.settings.read_wait), only=("case_list",))
    start, end = window(appeal.received_at)
    viewer = listing_unit(g.actor)
    candidates = container.read_models["case_list"].view.repeat_candidates(start, end, viewer)
    this = Candidate(
        str(appeal.id),
        appeal.case_no,
        appeal.subject,
        appeal.enterprise.get("credit_code"),
        appeal.received_at,
        appeal.status,
        appeal.unit,
    )
    return [suggestion_json(s) for s in suggest(this, candidates)[:SUGGESTED]]


@blp.route("/<uuid:case_id>/history", methods=["GET"])
@blp.response(200, HistorySchema)
@documented_errors
def appeal_history(case_id):
    """Every recorded event of the case, in order."""
    appeal = service().read(case_id, g.actor)
    return history_json(appeal.id, appeal.case_no, service().history(case_id), log_leaves(case_id))
