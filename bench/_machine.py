"""What the numbers were measured on: printed beside every benchmark's results."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version


def describe(extra: dict[str, str] | None = None) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    mem = next((line.split()[1] for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), "0")
    facts = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), {int(mem) // 1024 // 1024} GiB",
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "eventsourcing": version("eventsourcing"),
        "psycopg": version("psycopg"),
    }
    facts.update(extra or {})
    return "\n".join(f"{k:>14}: {v}" for k, v in facts.items())


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readlines()
    except OSError:
        return []
