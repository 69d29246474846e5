"""City work-order files (市转办工单) as the 12345 platform exports them: JSON Lines or CSV.

Each record becomes the body of ``POST /api/appeals`` (field names and
nesting of docs/http-api.md) plus ``occurred_at``, the platform's receipt time (受理时间),
and keeps the number of the line it starts on, so that a refusal names the
line an operator sees in an editor or a spreadsheet (a CSV's header row is
line 1). Judging the fields is not done here: the importer loads them with
the HTTP command's own schema and the service's own checks.

A CSV row is read by its header: the API's names, flattened
(``enterprise_name``), or the headers a 12345 export uses (``COLUMNS``);
columns of the export that are not work-order fields (承办单位, 办结时间, …)
are left out and named once. A JSON line carries the API's names, with
``enterprise`` and ``contact`` nested or flattened; an unknown name is
refused, as the HTTP command refuses it. Chinese names of a category, a
channel or a tier are read as their codes (``VALUES``), and a Chinese
spreadsheet's ``2026/10/9 9:30`` as ``2026-10-09T09:30``.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.labels import CATEGORY

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}

# field (dotted: nested) -> the CSV headers read as it: the API's flattened name first, then a 12345 export's.
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_ref": ("external_ref", "工单编号", "工单号"),
    "occurred_at": ("occurred_at", "受理时间", "登记时间"),
    "channel": ("channel", "来源渠道", "诉求渠道"),
    "category": ("category", "诉求类型", "诉求分类"),
    "subject": ("subject", "诉求标题", "标题", "工单标题"),
    "content": ("content", "诉求内容", "内容"),
    "enterprise.name": ("enterprise_name", "企业名称"),
    "enterprise.credit_code": ("enterprise_credit_code", "统一社会信用代码"),
    "contact.name": ("contact_name", "联系人"),
    "contact.phone": ("contact_phone", "联系电话"),
    "profile": ("profile",),
    "tier": ("tier", "紧急程度"),
}
# Without these a file holds no work order that could be imported; the rest may be absent or defaulted.
REQUIRED_COLUMNS = ("external_ref", "occurred_at", "category", "subject", "content", "enterprise.name")
# The Chinese a 12345 export writes for a code (docs/http-api.md: categories, channels; Suqian's tiers,
# 004 item 八).
VALUES: dict[str, dict[str, str]] = {
    "category": {
        **{zh: code for code, zh in CATEGORY.items()},
        "咨询": "consultation",
        "求助": "help",
        "投诉举报": "complaint",
        "建议": "suggestion",
    },
    "channel": {
        "12345热线": "12345",
        "12345政务服务便民热线": "12345",
        "企业直通车": "enterprise_express",
        "直达市长": "mayor_line",
        "直通市长": "mayor_line",
        "市长信箱": "mayor_line",
        "办不成事反映窗口": "window",
        "互联网+督查": "online_supervision",
        "走访": "visit",
    },
    "tier": {"紧急": "urgent", "一般": "ordinary", "复杂": "complex"},
}
NESTED = ("enterprise", "contact")
_SPREADSHEET_TIME = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


class WorkOrderFileError(Exception):
    """The file as a whole cannot be read as work orders; the message names the problem."""


@dataclass(frozen=True)
class Line:
    """One record: its fields in the API's shape, or why the line could not be read at all."""

    number: int  # the physical line it starts on
    fields: dict[str, Any] | None
    problem: str | None = None
    read_to: int = 0  # physical lines read once this record was (for the progress bar)


@dataclass
class WorkOrderFile:
    path: Path
    format: str  # "jsonl" or "csv"
    encoding: str
    lines: int  # physical lines, for the progress bar
    ignored_columns: list[str] = field(default_factory=list)

    def records(self, after: int = 0) -> Iterator[Line]:
        """The records in file order; a blank line is no record. ``after``: a physical line before
        which records may be left out (a JSON line is then not even parsed)."""
        if self.format == "jsonl":
            return self._json_lines(after)
        return self._csv_rows()

    def _json_lines(self, after: int = 0) -> Iterator[Line]:
        with open(self.path, encoding=self.encoding, newline="") as f:
            for number, text in enumerate(f, start=1):
                if number <= after or not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except ValueError as exc:
                    yield Line(
                        number,
                        None,
                        f"not valid JSON: {getattr(exc, 'msg', exc)} (column {getattr(exc, 'colno', '?')})",
                        number,
                    )
                    continue
                if not isinstance(record, dict):
                    yield Line(number, None, "a line must be a JSON object, one work order", number)
                    continue
                fields, problem = _nested(record)
                yield Line(number, fields if problem is None else None, problem, number)

    def _csv_rows(self) -> Iterator[Line]:
        with open(self.path, encoding=self.encoding, newline="") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            columns = _columns(header or [])
            self.ignored_columns = [name for name, path in zip(header or [], columns) if path is None and name]
            while True:
                starts = rows.line_num + 1
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Line(starts, None, f"not a CSV row: {exc}", rows.line_num)
                    continue
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(columns):
                    yield Line(starts, None, f"has {len(row)} cells where the header has {len(columns)}", rows.line_num)
                    continue
                cells = {path: cell.strip() for path, cell in zip(columns, row) if path and cell.strip()}
                yield Line(starts, _unflattened(cells), None, rows.line_num)


def open_work_orders(path: Path, format: str | None = None, encoding: str = "utf-8") -> WorkOrderFile:
    """The file, its format (``format``, else from its extension), checked to decode throughout and
    (CSV) to have the columns a work order needs; ``WorkOrderFileError`` if not."""
    fmt = format or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise WorkOrderFileError(
            f"{path}: say --format jsonl or csv (the extension {path.suffix or '(none)'} "
            f"is none of {', '.join(FORMATS)})"
        )
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise WorkOrderFileError(f"--encoding {encoding!r} is no encoding Python knows") from None
    # Excel writes UTF-8 with a byte-order mark; read either way.
    codec = "utf-8-sig" if codec in ("utf-8", "utf-8-sig") else codec
    work_orders = WorkOrderFile(path, fmt, codec, _scan(path, codec))
    if fmt == "csv":
        with open(path, encoding=codec, newline="") as f:
            header = next(csv.reader(f), None)
        if not header:
            raise WorkOrderFileError(f"{path} is empty: a CSV export starts with its header row")
        columns = _columns(header)
        missing = [f for f in REQUIRED_COLUMNS if f not in columns]
        if missing:
            raise WorkOrderFileError(
                f"{path} has no column for " + ", ".join(f"{f} ({' / '.join(COLUMNS[f])})" for f in missing)
            )
    return work_orders


def _scan(path: Path, encoding: str) -> int:
    """The file's physical lines, once it is known to decode throughout: an export in another encoding
    (a Chinese Excel's GB18030) is refused before anything is imported, naming the line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines, last = 0, b""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line = lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
                    raise WorkOrderFileError(
                        f"{path} line {line} is not {encoding} text; give the file's encoding, e.g. --encoding gb18030"
                    ) from None
                lines += chunk.count(b"\n")
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise WorkOrderFileError(f"{path} ends in the middle of a {encoding} character") from None
    except OSError as exc:
        raise WorkOrderFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return lines + (1 if last not in (b"", b"\n") else 0)


def _columns(header: list[str]) -> list[str | None]:
    """Each header cell's field (None: not a work-order field); two cells for one field are refused."""
    by_name = {name.lower(): path for path, names in COLUMNS.items() for name in names}
    columns = [by_name.get(name.strip().lower()) for name in header]
    for path in set(c for c in columns if c):
        named = [name.strip() for name, c in zip(header, columns) if c == path]
        if len(named) > 1:
            raise WorkOrderFileError(f"the columns {' and '.join(named)} both give {path}; keep one")
    return columns


def _unflattened(cells: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for path, value in cells.items():
        head, _, tail = path.partition(".")
        if tail:
            fields.setdefault(head, {})[tail] = value
        else:
            fields[head] = _coded(head, value)
    return fields


def _nested(record: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A JSON line in the API's shape: ``enterprise_name`` into ``enterprise.name``, codes for Chinese names."""
    fields = dict(record)
    for key in [k for k in fields if k.partition("_")[0] in NESTED and "_" in k]:
        group, _, inner = key.partition("_")
        value = fields.pop(key)
        nested = fields.setdefault(group, {})
        if not isinstance(nested, dict):
            return fields, f"{group}: both {group} and {key} are given"
        if inner in nested and nested[inner] != value:
            return fields, f"{group}.{inner}: {key} and {group}.{inner} disagree"
        nested[inner] = value
    for name in VALUES:
        if isinstance(fields.get(name), str):
            fields[name] = _coded(name, fields[name])
    return fields, None


def _coded(name: str, value: str) -> str:
    if name == "occurred_at":
        return _iso_time(value)
    return VALUES.get(name, {}).get(value.strip(), value)


def _iso_time(value: str) -> str:
    match = _SPREADSHEET_TIME.fullmatch(value.strip())
    if not match:
        return value
    y, m, d, hh, mm, ss = match.groups()
    day = f"{y}-{int(m):02d}-{int(d):02d}"
    return day if hh is None else f"{day}T{int(hh):02d}:{mm}:{ss or '00'}"
