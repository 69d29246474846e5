"""Policy profiles (政策配置): one jurisdiction's rules held as data.

Rules differ per jurisdiction, so they are data, not code paths: a profile
names, for each deadline, the event that starts it, the event(s) that meet it,
its length and unit and any cut-off time; which categories it handles; how far
a deadline may be extended (延期); and its escalation ladder (督办 / 分级会办).

A case stores the profile's record (``as_record``) in its first event, so a
later edit of the profile never changes an existing case (docs/cases-and-approvals.md *Policy profiles*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any, cast

from domain.appeals.ratings import RatingsRule, parse_ratings
from domain.deadlines.periods import Period, PeriodUnit
from domain.errors import ProfileError
from domain.vocabulary import CATEGORY, CONSEQUENCE

# Each case kind's events a deadline may name (to start, meet or reopen it), with the attributes a
# met-by condition may test. A profile says its kind (``kind``, default "appeal").
CASE_EVENTS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "appeal": {
        "Received": frozenset(),
        "Forwarded": frozenset(),
        "Acknowledged": frozenset(),
        "Answered": frozenset({"kind"}),
        "Reviewed": frozenset({"accepted"}),
        "Returned": frozenset(),
        "Escalated": frozenset(),
        "Extended": frozenset(),
        "HandbackRequested": frozenset(),
        "HandbackRuled": frozenset({"upheld"}),
        "Visited": frozenset({"solved"}),
        "Closed": frozenset(),
        "CoOpinionGiven": frozenset(),
        "Rectified": frozenset(),
        "RatingContested": frozenset(),
        "RatingAdjudicated": frozenset(),
        # 联合办理 (004 item 六): a profile's time limit (限时办结) starts on the marking, when it sets one.
        "JointHandlingMarked": frozenset(),
        "JointMeetingHeld": frozenset({"settled"}),
        "DirectlyAnswered": frozenset({"method"}),
        "Rechecked": frozenset({"holds"}),
    },
    # Approvals (审批), in lifecycle order; their profiles are catalogues of matters.
    "approval": {
        **dict.fromkeys(
            (
                "Submitted",
                "MaterialsRequested",
                "MaterialsSupplied",
                "Accepted",
                "DeemedAccepted",
                "Refused",
                "Forwarded",
                "DepartmentAnswered",
                "DepartmentReturned",
                "Paused",
                "Resumed",
                "Extended",
                "Escalated",
                "Decided",
                "Delivered",
                "Revoked",
                "Withdrawn",
            ),
            frozenset(),
        ),
        "DepartmentAnswered": frozenset({"department", "decision"}),
        "Decided": frozenset({"decision"}),
    },
}
# Kinds whose profiles are catalogues of matters rather than lists of deadlines, each with its own parser.
MATTER_KINDS = ("approval",)
# Whom a deadline binds when its rule says so (otherwise: the unit the starting event names, if any).
BINDS = ("unit", "platform")
# What an accountability rule may count: lapses seen on cases, or consequences already issued.
LAPSES = frozenset({"returned", "deadline_missed"})
CONSEQUENCES = CONSEQUENCE  # each with its name (domain.vocabulary)
WINDOWS = ("calendar_month", "rolling_month")
# The consequences an inspector's act answers (a 约谈 held, a 书面检查 received): a profile may give
# each a follow-up period, in working or calendar days.
FOLLOWED_UP = frozenset({"interview", "reminder_interview", "written_self_examination", "order_self_examination"})
FOLLOW_UP_UNITS = ("working_days", "calendar_days")
# per: "each" (every lapse), "case" (that many on one case), "window" (that many within the window)
COUNTING = ("each", "case", "window")
# The categories of appeal: 政策咨询, 服务求助, 投诉, 意见建议, in that order.
CATEGORIES = ("consultation", "help", "complaint", "suggestion")
CATEGORY_NAMES = CATEGORY


@dataclass(frozen=True)
class MetCondition:
    """An event that meets a deadline, optionally only with given attribute values."""

    event: str
    where: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, event: str, attrs: Mapping[str, Any]) -> bool:
        return event == self.event and all(attrs.get(k) == v for k, v in self.where.items())


@dataclass(frozen=True)
class DeadlineRule:
    name: str
    title: str
    source: str
    starts_on: tuple[str, ...]
    met_by: tuple[MetCondition, ...]
    period: Period
    reopened_by: tuple[str, ...] = ()
    binds: str | None = None


@dataclass(frozen=True)
class ExtensionRule:
    """延期: which deadline may be extended, and the cap on its total length."""

    deadline: str
    max_total: int
    source: str


@dataclass(frozen=True)
class EscalationLevel:
    code: str
    title: str


@dataclass(frozen=True)
class OverdueRule:
    """What a missed unit deadline brings on the case itself: an escalation (督办通知 / 分级会办)."""

    escalate: str  # an escalation code of the profile, or "next" (one step up the ladder)
    title: str
    source: str


@dataclass(frozen=True)
class AccountabilityRule:
    """When ``count`` of ``on`` (per ``per``) are reached for a unit, ``issue`` each consequence."""

    id: str
    title: str
    source: str
    on: str
    count: int
    per: str
    issue: tuple[str, ...]


@dataclass(frozen=True)
class AccountabilityPolicy:
    window: str  # "calendar_month" or "rolling_month" (Asia/Shanghai)
    source: str
    rules: tuple[AccountabilityRule, ...]
    # The follow-up period of a consequence kind (约谈, 书面检查), where a document sets one:
    # kind -> {"length", "unit" (working_days or calendar_days), "source"}.
    follow_up: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyProfile:
    id: str
    version: int
    title: str
    source: str
    jurisdiction: str
    categories: frozenset[str]
    deadlines: tuple[DeadlineRule, ...]
    tiers: Mapping[str, tuple[DeadlineRule, ...]]
    default_tier: str | None
    channel_tiers: Mapping[str, str]
    extension: ExtensionRule | None
    escalation: tuple[EscalationLevel, ...]
    overdue: OverdueRule | None = None
    accountability: AccountabilityPolicy | None = None
    ratings: RatingsRule | None = None  # 好差评 follow-through: rectification period, contest window
    kind: str = "appeal"  # the case kind it governs (a key of CASE_EVENTS)
    record: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def tier_for(self, tier: str | None, channel: str) -> str | None:
        """The tier a new case gets: the one asked, the channel's, or the default."""
        if not self.tiers:
            return None
        return tier or self.channel_tiers.get(channel) or self.default_tier

    def case_policy(self, tier: str | None) -> dict[str, Any]:
        """What governs one case, as plain data for its first event.

        Stored in the case itself so that editing the profile later never
        changes an existing case's deadlines (docs/cases-and-approvals.md *Policy profiles*).
        """
        rules = list(self.record.get("deadlines", []))
        if tier:
            rules += self.record["tiers"][tier].get("deadlines", [])
        return {
            "id": self.id,
            "version": self.version,
            "jurisdiction": self.jurisdiction,
            "tier": tier,
            "deadlines": _plain(rules),
            "extension": _plain(self.record.get("extension")),
            "escalation": _plain(self.record.get("escalation", [])),
            "overdue": _plain(self.record.get("overdue")),
            "accountability": _plain(self.record.get("accountability")),
            "ratings": _plain(self.record.get("ratings")),
            "direct_answer": _plain(self.record.get("direct_answer")),
        }


def check_warning_window(data: Mapping[str, Any], problems: list[str]) -> None:
    """``warning_working_days``: the reminders' warning window (预警, domain.notices), a whole number of
    working days of at least 1; absent, the default of one."""
    value = data.get("warning_working_days")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30):
        problems.append("warning_working_days: a whole number of working days from 1 to 30")


def parse_appeal_profile(data: Mapping[str, Any], origin: str) -> PolicyProfile:
    """Validates one appeal profile's data; every problem is reported at once (``domain.catalogue.parse_profile``
    reads a profile of any kind)."""
    problems: list[str] = []

    def need(key: str, kind: type | tuple[type, ...], where: Mapping[str, Any] = data, at: str = "") -> Any:
        value = where.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            problems.append(f"{at}{key}: required, {_kind_name(kind)}")
            return None
        return value

    known = {
        "id",
        "version",
        "title",
        "source",
        "jurisdiction",
        "kind",
        "categories",
        "deadlines",
        "tiers",
        "default_tier",
        "channel_tiers",
        "extension",
        "escalation",
        "overdue",
        "accountability",
        "ratings",
        "warning_working_days",
        "direct_answer",
    }
    problems += [f"{k}: unknown key" for k in sorted(set(data) - known)]
    check_warning_window(data, problems)
    pid, version = need("id", str), need("version", int)
    title, source, jurisdiction = need("title", str), need("source", str), need("jurisdiction", str)
    if version is not None and version < 1:
        problems.append("version: must be 1 or more")
    kind = data.get("kind", "appeal")
    if kind not in CASE_EVENTS:
        problems.append(f"kind: one of {sorted(set(CASE_EVENTS) - set(MATTER_KINDS))}, or {list(MATTER_KINDS)}")
        kind = "appeal"
    events = CASE_EVENTS[kind]
    categories = data.get("categories", list(CATEGORIES))
    if not isinstance(categories, list) or not set(categories) <= set(CATEGORIES) or not categories:
        problems.append(f"categories: a non-empty list drawn from {list(CATEGORIES)}")
        categories = []
    deadlines = _parse_rules(data.get("deadlines", []), "deadlines", events, problems)
    tiers: dict[str, tuple[DeadlineRule, ...]] = {}
    raw_tiers = data.get("tiers", {})
    if not isinstance(raw_tiers, Mapping):
        problems.append("tiers: must be a table of tier name to {title, deadlines}")
        raw_tiers = {}
    for name, tier in raw_tiers.items():
        if not isinstance(tier, Mapping) or set(tier) - {"title", "deadlines"}:
            problems.append(f"tiers.{name}: must have only 'title' and 'deadlines'")
            continue
        tiers[name] = _parse_rules(tier.get("deadlines", []), f"tiers.{name}.deadlines", events, problems)
    default_tier = data.get("default_tier")
    if tiers and default_tier not in tiers:
        problems.append(f"default_tier: must name one of the tiers {sorted(tiers)}")
    channel_tiers = data.get("channel_tiers", {})
    if not isinstance(channel_tiers, Mapping) or not set(channel_tiers.values()) <= set(tiers):
        problems.append("channel_tiers: must map channel codes to tier names")
        channel_tiers = {}
    all_rules = {r.name for r in deadlines} | {r.name for rs in tiers.values() for r in rs}
    extension = None
    if "extension" in data:
        ext = data["extension"]
        if not isinstance(ext, Mapping):
            problems.append("extension: must be a table")
        else:
            d, cap, src = (
                need("deadline", str, ext, "extension."),
                need("max_total", int, ext, "extension."),
                need("source", str, ext, "extension."),
            )
            if d is not None and d not in all_rules:
                problems.append(f"extension.deadline: no deadline named {d!r}")
            if None not in (d, cap, src):
                extension = ExtensionRule(deadline=d, max_total=cap, source=src)
    escalation: list[EscalationLevel] = []
    for i, level in enumerate(data.get("escalation", [])):
        if (
            not isinstance(level, Mapping)
            or not isinstance(level.get("code"), str)
            or not isinstance(level.get("title"), str)
        ):
            problems.append(f"escalation[{i}]: needs 'code' and 'title'")
        else:
            escalation.append(EscalationLevel(level["code"], level["title"]))
    overdue = _parse_overdue(data.get("overdue"), {e.code for e in escalation}, problems)
    accountability = _parse_accountability(data.get("accountability"), problems)
    ratings = parse_ratings(data.get("ratings"), problems)
    _check_direct_answer(data.get("direct_answer"), set(categories), problems)
    if problems:
        raise ProfileError(f"policy profile {origin}: " + "; ".join(problems))
    return PolicyProfile(
        id=pid,
        version=version,
        title=title,
        source=source,
        jurisdiction=jurisdiction,
        categories=frozenset(categories),
        deadlines=deadlines,
        tiers=tiers,
        default_tier=default_tier,
        channel_tiers=dict(channel_tiers),
        extension=extension,
        escalation=tuple(escalation),
        overdue=overdue,
        accountability=accountability,
        ratings=ratings,
        kind=kind,
        record=_plain(data),
    )


def _check_direct_answer(raw: Any, categories: set[str], problems: list[str]) -> None:
    """``direct_answer``: which of the profile's categories the platform may answer at first contact
    (首接负责, domain.appeals.hotline), and the rule's source."""
    if raw is None:
        return
    if not isinstance(raw, Mapping) or set(raw) != {"categories", "source"}:
        problems.append("direct_answer: a table with 'categories' and 'source'")
        return
    if not isinstance(raw["source"], str) or not raw["source"]:
        problems.append("direct_answer.source: required, a string")
    chosen = raw["categories"]
    if not isinstance(chosen, list) or not chosen or not set(chosen) <= categories:
        problems.append(f"direct_answer.categories: a non-empty list drawn from the profile's {sorted(categories)}")


def _parse_overdue(raw: Any, codes: set[str], problems: list[str]) -> OverdueRule | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"escalate", "title", "source"}:
        problems.append("overdue: must be a table with 'escalate', 'title' and 'source'")
        return None
    escalate, title, source = raw.get("escalate"), raw.get("title"), raw.get("source")
    if escalate != "next" and escalate not in codes:
        problems.append(f"overdue.escalate: 'next' or an escalation code of this profile ({sorted(codes)})")
    if not isinstance(title, str) or not isinstance(source, str):
        problems.append("overdue: 'title' and 'source' are required text")
    if problems:
        return None
    # No problem: ``escalate`` is "next" or one of ``codes``, ``title`` and ``source`` are text.
    assert isinstance(escalate, str) and isinstance(title, str) and isinstance(source, str)
    return OverdueRule(escalate, title, source)


def _parse_accountability(raw: Any, problems: list[str]) -> AccountabilityPolicy | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"window", "source", "rules", "follow_up"}:
        problems.append("accountability: must be a table with 'window', 'source', 'rules' and 'follow_up'")
        return None
    window, source = raw.get("window"), raw.get("source")
    if window not in WINDOWS:
        problems.append(f"accountability.window: one of {list(WINDOWS)}")
    if not isinstance(source, str):
        problems.append("accountability.source: required text")
    rules: list[AccountabilityRule] = []
    for i, item in enumerate(raw.get("rules", [])):
        at = f"accountability.rules[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: must be a table")
            continue
        extra = set(item) - {"id", "title", "source", "on", "count", "per", "issue"}
        if extra:
            problems.append(f"{at}: unknown keys {sorted(extra)}")
        if not all(isinstance(item.get(k), str) and item[k] for k in ("id", "title", "source")):
            problems.append(f"{at}: 'id', 'title' and 'source' are required text")
        on, count, per, issue = item.get("on"), item.get("count", 1), item.get("per", "each"), item.get("issue")
        if on not in LAPSES and on not in CONSEQUENCES:
            problems.append(f"{at}.on: one of {sorted(LAPSES)} or a consequence {sorted(CONSEQUENCES)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.append(f"{at}.count: a whole number of 1 or more")
        if per not in COUNTING:
            problems.append(f"{at}.per: one of {list(COUNTING)}")
        if not isinstance(issue, list) or not issue or not set(issue) <= set(CONSEQUENCES):
            problems.append(f"{at}.issue: a non-empty list drawn from {sorted(CONSEQUENCES)}")
        elif on in issue:
            problems.append(f"{at}.issue: must not issue what it counts ({on})")
        else:
            # Built as given even when the item has a problem (its id still counts in the uniqueness
            # check below); the policy is then dropped, so a rule returned has every field right.
            rules.append(
                AccountabilityRule(
                    cast(str, item.get("id")),
                    cast(str, item.get("title")),
                    cast(str, item.get("source")),
                    cast(str, on),
                    count,
                    per,
                    tuple(issue),
                )
            )
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        problems.append("accountability.rules: ids must be unique")
    follow_up = _parse_follow_up(raw.get("follow_up", {}), problems)
    if problems:
        return None
    # No problem: ``window`` is one of WINDOWS and ``source`` is text.
    assert isinstance(window, str) and isinstance(source, str)
    return AccountabilityPolicy(window, source, tuple(rules), follow_up)


def _parse_follow_up(raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """``[accountability.follow_up.<kind>]``: the period within which a 约谈 is held or a 书面检查 handed
    in, counted from the consequence (``domain.accountability.follow_up``)."""
    if not isinstance(raw, Mapping):
        problems.append("accountability.follow_up: must be a table of consequence kinds")
        return {}
    found: dict[str, dict[str, Any]] = {}
    for kind, item in raw.items():
        at = f"accountability.follow_up.{kind}"
        if kind not in FOLLOWED_UP:
            problems.append(f"{at}: one of {sorted(FOLLOWED_UP)}")
            continue
        if not isinstance(item, Mapping) or set(item) - {"length", "unit", "source"}:
            problems.append(f"{at}: must be a table with 'length', 'unit' and 'source'")
            continue
        length, unit, source = item.get("length"), item.get("unit"), item.get("source")
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            problems.append(f"{at}.length: a whole number of 1 or more")
        if unit not in FOLLOW_UP_UNITS:
            problems.append(f"{at}.unit: one of {list(FOLLOW_UP_UNITS)}")
        if not isinstance(source, str) or not source:
            problems.append(f"{at}.source: required text (the sentence that sets the period)")
        found[kind] = {"length": length, "unit": unit, "source": source}
    return found


def _parse_rules(
    raw: Any, at: str, events: Mapping[str, frozenset[str]], problems: list[str]
) -> tuple[DeadlineRule, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        problems.append(f"{at}: must be a list of deadlines")
        return ()
    rules = []
    for i, item in enumerate(raw):
        where = f"{at}[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        extra = set(item) - {
            "name",
            "title",
            "source",
            "starts_on",
            "met_by",
            "reopened_by",
            "length",
            "unit",
            "cutoff",
            "binds",
        }
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        try:
            rules.append(_parse_rule(item, events))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: {exc}")
    names = [r.name for r in rules]
    if len(names) != len(set(names)):
        problems.append(f"{at}: deadline names must be unique")
    return tuple(rules)


def _parse_rule(item: Mapping[str, Any], events: Mapping[str, frozenset[str]]) -> DeadlineRule:
    for key in ("name", "title", "source"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ValueError(f"'{key}' is required text")
    starts_on = tuple(item.get("starts_on", ()))
    if not starts_on or not set(starts_on) <= set(events):
        raise ValueError(f"'starts_on' must list events from {sorted(events)}")
    met_by = []
    for cond in item.get("met_by", ()):
        event, where = cond.get("event"), {k: v for k, v in cond.items() if k != "event"}
        if event not in events or not set(where) <= events[event]:
            raise ValueError(f"'met_by' condition {dict(cond)} names an unknown event or attribute")
        met_by.append(MetCondition(event, where))
    if not met_by:
        raise ValueError("'met_by' must list at least one event")
    reopened_by = tuple(item.get("reopened_by", ()))
    if not set(reopened_by) <= set(events):
        raise ValueError(f"'reopened_by' must list events from {sorted(events)}")
    length = item.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise ValueError("'length' must be a whole number of 1 or more")
    unit = PeriodUnit(item.get("unit"))
    cutoff = time.fromisoformat(item["cutoff"]) if "cutoff" in item else None
    if cutoff is not None and unit is PeriodUnit.HOURS:
        raise ValueError("'cutoff' cannot apply to a period in hours")
    binds = item.get("binds")
    if binds is not None and binds not in BINDS:
        raise ValueError(f"'binds' must be one of {list(BINDS)}")
    return DeadlineRule(
        name=item["name"],
        title=item["title"],
        source=item["source"],
        starts_on=starts_on,
        met_by=tuple(met_by),
        period=Period(length=length, unit=unit, cutoff=cutoff),
        reopened_by=reopened_by,
        binds=binds,
    )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _plain(value: Any) -> Any:
    """Deep copy into JSON-ready types (TOML may hand back datetime.time)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, time):
        return value.isoformat(timespec="minutes")
    return value
