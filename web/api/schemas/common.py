"""Request and response bodies of docs/http-api.md, as marshmallow schemas (the OpenAPI document is made from them):
the fields every schema shares, the commands on a case, sign-in, units and the reporting period.

A case as it reads, its history and the case list are in ``web.api.schemas.cases``; the audit trail in
``web.api.schemas.reads``; the unit ledger in ``web.api.schemas.reports``. This module stays light (marshmallow
and the domain's vocabulary), so that the work-order import's reading process loads it quickly."""

from __future__ import annotations

import re
from datetime import UTC

import marshmallow as ma
from marshmallow import validate

from domain.deadlines.periods import SHANGHAI
from domain.profiles import CATEGORIES
from domain.status import SATISFACTION_LEVELS


class Text(ma.fields.String):
    """Text as people write it: no NUL and no lone surrogate (neither is a character of any text, and
    neither can be stored: PostgreSQL refuses NUL in text, UTF-8 has no lone surrogates)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("must not contain NUL (U+0000)")
        if _SURROGATE.search(text):
            raise ma.ValidationError("must not contain a lone surrogate (U+D800-U+DFFF); send valid UTF-16 pairs")
        return text


_SURROGATE = re.compile("[\ud800-\udfff]")
MONTH = validate.Regexp(r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])\Z", error="YYYY-MM, year 1970-2999")


def required_text(max_length: int, **kw) -> Text:
    return Text(required=True, validate=validate.Length(min=1, max=max_length), **kw)


# ISO 8601's extended calendar format, the whole string, ASCII digits only: a date, optionally a time of
# day (hh:mm, seconds and a fraction optional) and then optionally a UTC offset (Z, ±hh:mm, ±hhmm, ±hh).
# ``datetime.fromisoformat`` alone is far more lenient: it takes week dates and the basic format, and
# (CPython 3.11) ignores whatever follows a NUL, so "…Z\x00" read as a valid time and was recorded.
ISO_8601 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?",
    re.ASCII,
)


class Timestamp(ma.fields.AwareDateTime):
    """ISO 8601, read strictly (``ISO_8601``, the whole string); a time without an offset is Asia/Shanghai
    (docs/http-api.md *Conventions*). Years 1970-2999."""

    def __init__(self, **kw) -> None:
        super().__init__(format="iso", default_timezone=SHANGHAI, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not ISO_8601.fullmatch(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_range = 1970 <= moment.year <= 2999 and 1970 <= moment.astimezone(UTC).year <= 2999
        except OverflowError:
            in_range = False
        if not in_range:
            raise ma.ValidationError("must lie between the years 1970 and 2999")
        return moment


class Command(ma.Schema):
    """Options every command body may carry (docs/http-api.md *Appeals (企业诉求): commands*)."""

    class Meta:
        unknown = ma.RAISE

    expected_version = ma.fields.Integer(strict=True, validate=validate.Range(min=1))
    occurred_at = Timestamp(metadata={"description": "backfill: when the act happened (platform, admin)"})


class EnterpriseSchema(ma.Schema):
    name = required_text(200)
    credit_code = Text(validate=validate.Length(max=32), allow_none=True)


class ContactSchema(ma.Schema):
    name = Text(validate=validate.Length(max=100), allow_none=True)
    phone = Text(validate=validate.Length(max=40), allow_none=True)


class OpenAppealSchema(Command):
    channel = required_text(40)
    category = Text(required=True, validate=validate.OneOf(CATEGORIES))
    subject = required_text(200)
    content = required_text(20000)
    enterprise = ma.fields.Nested(EnterpriseSchema, required=True)
    contact = ma.fields.Nested(ContactSchema, allow_none=True)
    profile = required_text(64)
    tier = Text(validate=validate.Length(min=1, max=40), allow_none=True)
    external_ref = Text(validate=validate.Length(min=1, max=120), allow_none=True)


class ForwardSchema(Command):
    unit = required_text(64)
    co_units = ma.fields.List(Text(validate=validate.Length(min=1, max=64)), load_default=list)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class EmptyCommandSchema(Command):
    pass


class AnswerSchema(Command):
    kind = Text(required=True, validate=validate.OneOf(["initial", "final"]))
    content = required_text(20000)


class ReviewSchema(Command):
    accepted = ma.fields.Boolean(required=True)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class ReasonSchema(Command):
    reason = required_text(2000)


class MergeSchema(Command):
    into = ma.fields.UUID(required=True, metadata={"description": "the appeal this one repeats: it joins that case"})
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class LadderLevel(ma.fields.Field):
    """A level of the profile's escalation ladder: its number (1 = first) or its code."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value in ("", 0):
            raise ma.ValidationError("a ladder level number (1, 2, …) or a level code")
        return value


class EscalateSchema(ReasonSchema):
    level = LadderLevel(
        allow_none=True,
        metadata={
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}],
            "description": "ladder level number or code, e.g. 1 or 'supervision_notice'; default: the next level",
        },
    )


class ExtendSchema(ReasonSchema):
    working_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=365))


class CoOpinionSchema(Command):
    content = required_text(20000)


class VisitSchema(Command):
    satisfaction = Text(required=True, validate=validate.OneOf(SATISFACTION_LEVELS))
    solved = ma.fields.Boolean(allow_none=True)
    note = Text(validate=validate.Length(max=2000), allow_none=True)


class AsOfSchema(ma.Schema):
    as_of = Timestamp(metadata={"description": "the case as it stood at this moment"})


class TokenRequestSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    username = required_text(64)
    password = required_text(1024)


class TokenSchema(ma.Schema):
    token = Text(required=True)
    role = Text(required=True)
    unit = Text(allow_none=True)
    expires_at = ma.fields.String()


class SignedOutSchema(ma.Schema):
    revoked = ma.fields.Boolean(required=True)
    user = Text(required=True)


class UnitHeadSchema(ma.Schema):
    name = Text(required=True, metadata={"description": "the unit's principal head (主要负责人)"})
    from_ = Text(required=True, data_key="from", metadata={"description": "first day in office, YYYY-MM-DD"})


class UnitSchema(ma.Schema):
    code = Text(required=True)
    name = Text(required=True)
    parent = Text(allow_none=True)
    active = ma.fields.Boolean()
    heads = ma.fields.List(
        ma.fields.Nested(UnitHeadSchema),
        metadata={"description": "who has headed the unit from when, in the order recorded (caseledger unit head)"},
    )


class UnitListSchema(ma.Schema):
    units = ma.fields.List(ma.fields.Nested(UnitSchema))


class PeriodArgsSchema(ma.Schema):
    period = Text(required=True, validate=MONTH)
    close_day = ma.fields.Integer(
        validate=validate.Range(min=1, max=28), metadata={"description": "the day the reporting month closes (e.g. 25)"}
    )
