"""The deadline verdicts in SQL, for the views that decide them in a query (SQLite and PostgreSQL alike).

Each is the SQL of one domain function, and nothing else decides it: ``ended_by`` is
``domain.deadlines.clocks.ended_by`` (a period ending at ``ends`` had ended by ``at``), the test behind
"overdue" in the case list (its next open deadline has ended by now) and in the ledger (a deadline ended
and unmet at the period's end). ``tests/unit/adapters/test_verdicts.py`` holds the SQL to the domain function.
"""

from __future__ import annotations


def ended_by(ends: str, at: str) -> str:
    """SQL: the period ending at column ``ends`` had ended by ``at`` (a parameter or column)."""
    return f"({ends} IS NOT NULL AND {ends} <= {at})"


def not_ended_by(ends: str, at: str) -> str:
    """SQL: ``NOT ended_by``, written so that an index on ``ends`` serves it."""
    return f"({ends} IS NULL OR {ends} > {at})"


def unmet_at(at: str) -> str:
    """SQL over ``case_deadlines``: a deadline started before ``at`` that had ended by ``at`` and was neither met
    nor stopped before it: overdue at ``at`` (``domain.deadlines.clocks.is_overdue``). A paused deadline has no
    ``ends_at`` (it has no end while paused), so it is never overdue."""
    return (
        f"started_at < {at} AND {ended_by('ends_at', at)} AND (met_at IS NULL OR met_at >= {at}) "
        f"AND (cancelled_at IS NULL OR cancelled_at >= {at})"
    )
