"""Validation messages as the API's error body gives them (docs/http-api.md *Errors*): one text per field,
by its dotted path.

Apart from ``web.errors`` (which needs Flask) so that the work-order import's reading process, which
words a refused line the same way, does not load the web stack."""

from __future__ import annotations

from typing import Any


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """webargs/marshmallow messages ({"json": {"a": {"b": ["…"]}}}) as {"a.b": "…"}."""
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "headers", "view_args"):
                out.update(flatten(value, ""))
            else:
                out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, list):
        texts = [m for m in messages if isinstance(m, str)]
        nested = [m for m in messages if not isinstance(m, str)]
        out = {prefix or "_schema": "; ".join(texts)} if texts else {}
        for item in nested:
            out.update(flatten(item, prefix))
        return out
    return {prefix or "_schema": str(messages)}
