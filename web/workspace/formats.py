"""How the workspace's pages show a moment: Beijing time to the minute (or second), ``2026-11-02 09:00``."""

from __future__ import annotations

from datetime import datetime

from web.api.presenters import iso


def shown_at(moment: datetime | str | None, spec: str = "minutes") -> str:
    """``moment`` as the pages show it (empty for none); ``spec`` ``"seconds"`` keeps the seconds."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return iso(moment, spec).replace("T", " ")[: 16 if spec == "minutes" else 19]
