"""Approval policy profiles (审批政策配置): a jurisdiction's catalogue of matters as data.

An approval profile holds a catalogue of matters (事项), each with
its promised period (承诺时限) and whether it may be done on commitment
(告知承诺制, 002 items 4, 9, 29; 003 item 8), on top of the statutory defaults
of the Administrative Licensing Law (行政许可法 arts. 32, 42, 44, 82): the
one-time notice (一次告知), the decision and its single extension, the joint
period for two or more departments, and delivery at the window.

A local profile names a ``fallback`` (the national defaults); whatever it
does not set is taken from there (``merged_with_fallback``). A case stores
``case_policy`` in its first event, so a later edit of the profile never
changes an existing case (docs/cases-and-approvals.md *Policy profiles*).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from domain.deadlines.periods import Period, PeriodUnit
from domain.errors import ProfileError, ValidationFailed
from domain.profiles import (
    CASE_EVENTS,
    AccountabilityPolicy,
    EscalationLevel,
    OverdueRule,
    _parse_accountability,
    _parse_overdue,
    _plain,
    check_warning_window,
)
from domain.vocabulary import citation

# The approval case's events, in the order of the lifecycle (docs/http-api.md *Approvals (审批): commands*).
# Their names and the attributes a met-by condition may test live once, in CASE_EVENTS["approval"].
APPROVAL_EVENTS: tuple[str, ...] = tuple(CASE_EVENTS["approval"])

# Keys a local profile never takes from its fallback: what it is, and its own catalogue (unless it has none).
_OWN_KEYS = frozenset({"id", "version", "title", "source", "jurisdiction", "kind", "fallback", "matters"})
_TOP_KEYS = _OWN_KEYS | {
    "notice",
    "decision",
    "joint_decision",
    "department_review",
    "delivery",
    "escalation",
    "overdue",
    "accountability",
    "warning_working_days",
}
_MATTER_KEYS = frozenset({"code", "title", "source", "commitment", "decision", "department_review", "joint"})
_CODE = re.compile(r"[a-z0-9][a-z0-9-]*")

# The clocks every approval case runs (001 (四), 002 item 25; 行政许可法 arts. 32, 42, 44); the periods come
# from the profile.
_NOTICE_MET_BY = ("MaterialsRequested", "Accepted", "Refused", "DeemedAccepted", "Withdrawn")


@dataclass(frozen=True)
class PeriodSpec:
    """A promised or statutory period, with the working days it may be extended by once (if any)."""

    length: int
    unit: PeriodUnit
    source: str
    extension: int | None = None

    @property
    def period(self) -> Period:
        return Period(length=self.length, unit=self.unit)


@dataclass(frozen=True)
class Matter:
    """One approval matter (事项) of the catalogue, with its promise (承诺时限) where it has one."""

    code: str
    title: str
    source: str
    commitment: bool  # may be decided on the applicant's written commitment (告知承诺制)
    decision: PeriodSpec | None = None  # its own decision period; else the profile's
    department_review: PeriodSpec | None = None  # each department's own review clock
    joint: bool = False  # reviewed by several departments together (联审联办 / 并联审批)


# The deadlines every approval runs on, by name (the matter and the profile say how long each is).
DEADLINE_TITLES = {
    "notice": "一次性告知",
    "decision": "作出行政许可决定",
    "department_review": "部门审查意见",
    "delivery": "统一窗口出件",
}


@dataclass(frozen=True)
class ApprovalProfile:
    id: str
    version: int
    title: str
    source: str
    jurisdiction: str
    notice: PeriodSpec
    decision: PeriodSpec
    joint_decision: PeriodSpec | None
    delivery: PeriodSpec
    escalation: tuple[EscalationLevel, ...]
    matters: Mapping[str, Matter]
    department_review: PeriodSpec | None = None
    fallback: str | None = None
    overdue: OverdueRule | None = None
    accountability: AccountabilityPolicy | None = None
    kind: str = "approval"
    record: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def matter_codes(self) -> list[str]:
        """The catalogue's matter codes, in the profile's order."""
        return list(self.matters)

    def case_policy(self, matter_code: str, departments: list[str], commitment: bool) -> dict[str, Any]:
        """What governs one approval case, as plain data for its first event.

        Refuses an unknown matter (naming the catalogue) and a commitment the
        matter does not allow (citing the matter's source).
        """
        matter = self.matters.get(matter_code)
        if matter is None:
            raise ValidationFailed(
                {"matter": (f"profile {self.id} has no matter {matter_code!r}; known: {', '.join(self.matters)}")},
                zh={"matter": "所选的审批事项不在本规则的事项目录中，请从事项目录中选择"},
            )
        if commitment and not matter.commitment:
            raise ValidationFailed(
                {
                    "commitment": (
                        f"matter {matter.code} ({matter.title}) may not be done on "
                        f"commitment (告知承诺制) in profile {self.id}: {matter.source}"
                    )
                },
                zh={"commitment": f"审批事项「{matter.title}」不能以告知承诺制办理（{citation(matter.source)}）"},
            )
        decision = self.decision_spec(matter, departments)
        review = matter.department_review or self.department_review
        deadlines = [
            _rule("notice", DEADLINE_TITLES["notice"], self.notice, ["Submitted"], _NOTICE_MET_BY, binds="platform"),
            _rule(
                "decision",
                DEADLINE_TITLES["decision"],
                decision,
                ["Accepted", "DeemedAccepted"],
                ["Decided"],
                binds="platform",
            ),
        ]
        if review is not None:
            deadlines.append(
                _rule(
                    "department_review",
                    DEADLINE_TITLES["department_review"],
                    review,
                    ["Forwarded", "DepartmentReturned"],
                    ["DepartmentAnswered"],
                    per="department",
                )
            )
        deadlines.append(
            _rule("delivery", DEADLINE_TITLES["delivery"], self.delivery, ["Decided"], ["Delivered"], binds="platform")
        )
        extension = (
            None
            if decision.extension is None
            else {"deadline": "decision", "working_days": decision.extension, "once": True, "source": decision.source}
        )
        return {
            "id": self.id,
            "version": self.version,
            "jurisdiction": self.jurisdiction,
            "kind": self.kind,
            "title": self.title,
            "source": self.source,
            "matter": {
                "code": matter.code,
                "title": matter.title,
                "source": matter.source,
                "commitment_allowed": matter.commitment,
                "joint": matter.joint,
            },
            "commitment": bool(commitment),
            "deadlines": deadlines,
            "extension": extension,
            "escalation": [{"code": e.code, "title": e.title} for e in self.escalation],
            "overdue": _plain(self.record.get("overdue")),
            "accountability": _plain(self.record.get("accountability")),
        }

    def decision_spec(self, matter: Matter, departments: list[str]) -> PeriodSpec:
        """The matter's own promise; else, with two or more departments, the joint period (行政许可法
        arts. 26, 42: 统一办理或者联合办理、集中办理 45 days); else the plain decision period (art. 42)."""
        if matter.decision is not None:
            return matter.decision
        if self.joint_decision is not None and len(set(departments)) >= 2:
            return self.joint_decision
        return self.decision


def _rule(
    name: str,
    title: str,
    spec: PeriodSpec,
    starts_on: list[str],
    met_by: Any,
    binds: str | None = None,
    per: str | None = None,
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": name,
        "title": title,
        "source": spec.source,
        "starts_on": list(starts_on),
        "met_by": [{"event": e} for e in met_by],
        "length": spec.length,
        "unit": spec.unit.value,
    }
    if binds is not None:
        rule["binds"] = binds
    if per is not None:
        rule["per"] = per
    return rule


def merged_with_fallback(profile_record: Mapping[str, Any], fallback_record: Mapping[str, Any]) -> dict[str, Any]:
    """The local profile, with every key it does not set taken from its fallback.

    Tables are taken whole (a local ``[decision]`` replaces the fallback's, it
    is not merged key by key). What the profile is (id, version, title, source,
    jurisdiction, kind, fallback) is never inherited, nor is the catalogue of
    matters, unless the local profile has none.
    """
    merged: dict[str, Any] = _plain(profile_record)
    for key, value in fallback_record.items():
        if key not in _OWN_KEYS and key not in merged:
            merged[key] = _plain(value)
    if not merged.get("matters") and fallback_record.get("matters"):
        merged["matters"] = _plain(fallback_record["matters"])
    return merged


def parse_approval_profile(data: Mapping[str, Any], origin: str) -> ApprovalProfile:
    """Validates one approval profile (after its fallback is merged in); every problem is reported at once."""
    problems: list[str] = []
    problems += [f"{k}: unknown key" for k in sorted(set(data) - _TOP_KEYS)]
    check_warning_window(data, problems)
    pid, title, source, jurisdiction = (_text(data, k, "", problems) for k in ("id", "title", "source", "jurisdiction"))
    version = data.get("version")
    if not _whole(version):
        problems.append("version: required, a whole number")
    elif version < 1:
        problems.append("version: must be 1 or more")
    if data.get("kind") != "approval":
        problems.append("kind: must be 'approval'")
    fallback = data.get("fallback")
    if fallback is not None and not (isinstance(fallback, str) and fallback):
        problems.append("fallback: the id of another approval profile")
    inherited = " (here or in the fallback profile)"
    notice = _spec(data.get("notice"), "notice", problems, required=inherited)
    decision = _spec(data.get("decision"), "decision", problems, required=inherited, extensible=True)
    joint = _spec(data.get("joint_decision"), "joint_decision", problems, extensible=True)
    review = _spec(data.get("department_review"), "department_review", problems)
    delivery = _spec(data.get("delivery"), "delivery", problems, required=inherited)
    _no_longer(review, decision, "department_review", "decision", problems)
    escalation = _escalation(data.get("escalation", []), problems)
    overdue = _parse_overdue(data.get("overdue"), {e.code for e in escalation}, problems)
    accountability = _parse_accountability(data.get("accountability"), problems)
    matters = _matters(data.get("matters"), problems)
    if problems:
        raise ProfileError(f"approval profile {origin}: " + "; ".join(problems))
    # No problem: the version is a whole number and every period the profile needs is there.
    assert _whole(version) and notice is not None and decision is not None and delivery is not None
    return ApprovalProfile(
        id=pid,
        version=version,
        title=title,
        source=source,
        jurisdiction=jurisdiction,
        notice=notice,
        decision=decision,
        joint_decision=joint,
        delivery=delivery,
        escalation=escalation,
        matters=matters,
        department_review=review,
        fallback=fallback,
        overdue=overdue,
        accountability=accountability,
        record=_plain(data),
    )


def _matters(raw: Any, problems: list[str]) -> dict[str, Matter]:
    if not isinstance(raw, list) or not raw:
        problems.append("matters: a non-empty list of matters (事项), here or in the fallback profile")
        return {}
    matters: dict[str, Matter] = {}
    for i, item in enumerate(raw):
        at = f"matters[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: must be a table")
            continue
        before = len(problems)
        if set(item) - _MATTER_KEYS:
            problems.append(f"{at}: unknown keys {sorted(set(item) - _MATTER_KEYS)}")
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            problems.append(f"{at}.code: required, lower-case letters, digits and '-'")
        elif code in matters:
            problems.append(f"{at}.code: {code!r} is already a matter of this profile (codes must be unique)")
        title, source = _text(item, "title", f"{at}.", problems), _text(item, "source", f"{at}.", problems)
        commitment, joint = item.get("commitment"), item.get("joint", False)
        if not isinstance(commitment, bool):
            problems.append(f"{at}.commitment: required, true or false (may it be done on 告知承诺制?)")
        if not isinstance(joint, bool):
            problems.append(f"{at}.joint: true or false")
        decision = _spec(item.get("decision"), f"{at}.decision", problems, extensible=True)
        review = _spec(item.get("department_review"), f"{at}.department_review", problems)
        _no_longer(review, decision, f"{at}.department_review", f"{at}.decision", problems)
        if len(problems) == before:
            # No problem with this item: its code is text and its commitment true or false.
            assert isinstance(code, str) and isinstance(commitment, bool)
            matters[code] = Matter(code, title, source, commitment, decision, review, joint)
    return matters


def _spec(
    raw: Any, at: str, problems: list[str], required: str | None = None, extensible: bool = False
) -> PeriodSpec | None:
    """A period table: ``length``, ``unit``, ``source`` and, where allowed, ``extension`` (working days, once)."""
    if raw is None:
        if required is not None:
            problems.append(f"{at}: required{required}, a table with 'length', 'unit' and 'source'")
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{at}: must be a table with 'length', 'unit' and 'source'")
        return None
    before = len(problems)
    allowed = {"length", "unit", "source"} | ({"extension"} if extensible else set())
    if set(raw) - allowed:
        problems.append(f"{at}: unknown keys {sorted(set(raw) - allowed)}")
    length, unit, extension = raw.get("length"), raw.get("unit"), raw.get("extension")
    if not _whole(length) or length < 1:
        problems.append(f"{at}.length: a whole number of 1 or more")
    if unit not in {u.value for u in PeriodUnit}:
        problems.append(f"{at}.unit: one of {[u.value for u in PeriodUnit]}")
    source = _text(raw, "source", f"{at}.", problems)
    if extension is not None:
        if not _whole(extension) or extension < 1:
            problems.append(f"{at}.extension: a whole number of working days, 1 or more")
        elif unit != PeriodUnit.WORKING_DAYS.value:
            problems.append(f"{at}.extension: counted in working days, so the period must be in working days too")
    if len(problems) > before:
        return None
    assert _whole(length)  # no problem: a whole number of 1 or more
    return PeriodSpec(length, PeriodUnit(unit), source, extension)


def _no_longer(
    review: PeriodSpec | None, decision: PeriodSpec | None, review_at: str, decision_at: str, problems: list[str]
) -> None:
    # A department's opinion feeds the decision: a review clock longer than the decision it feeds
    # (in the same unit) would promise what the decision's own promise rules out.
    if review and decision and review.unit == decision.unit and review.length > decision.length:
        problems.append(
            f"{review_at}: {review.length} {review.unit.value} is longer than {decision_at} ({decision.length})"
        )


def _escalation(raw: Any, problems: list[str]) -> tuple[EscalationLevel, ...]:
    if not isinstance(raw, list):
        problems.append("escalation: a list of levels with 'code' and 'title'")
        return ()
    levels: list[EscalationLevel] = []
    for i, level in enumerate(raw):
        if (
            not isinstance(level, Mapping)
            or set(level) != {"code", "title"}
            or not all(isinstance(level[k], str) and level[k] for k in ("code", "title"))
        ):
            problems.append(f"escalation[{i}]: needs only 'code' and 'title', as text")
        elif level["code"] in {e.code for e in levels}:
            problems.append(f"escalation[{i}].code: {level['code']!r} is already a level")
        else:
            levels.append(EscalationLevel(level["code"], level["title"]))
    return tuple(levels)


def _text(where: Mapping[str, Any], key: str, at: str, problems: list[str]) -> Any:
    value = where.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{at}{key}: required, text")
        return None
    return value


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
