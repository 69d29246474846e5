"""Policy profiles read from TOML files.

The packaged profiles live in ``adapters/profiles/``; an operator may point
``CASELEDGER_PROFILES_DIR`` at a directory of further or edited profiles,
which take precedence (a profile can be added or edited without a release).
Every file is validated when loaded, so a bad edit stops start-up with a
message naming the file and the key.

An approval profile may name a ``fallback`` profile (the national defaults of
行政许可法) for what it does not set; fallbacks are resolved once every file
is read, so a profile may fall back on one from another directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from domain.approvals.profiles import ApprovalProfile, merged_with_fallback
from domain.catalogue import ProfileCatalogue, parse_profile
from domain.errors import ProfileError
from domain.profiles import PolicyProfile

PACKAGED = Path(__file__).parent

Profile = PolicyProfile | ApprovalProfile


class FileProfileCatalogue(ProfileCatalogue):
    def __init__(self, directories: Iterable[Path] = ()) -> None:
        # Later directories override earlier ones; the packaged set comes first.
        self._directories = [PACKAGED, *map(Path, directories)]
        self._profiles: dict[str, Profile] = {}
        self.reload()

    def reload(self) -> None:
        files: dict[str, tuple[Path, dict[str, Any]]] = {}
        for directory in self._directories:
            if not directory.is_dir():
                raise ProfileError(f"profile directory {directory} does not exist")
            for path in sorted(directory.glob("*.toml")):
                files[path.stem] = (path, read_profile_data(path))
        profiles: dict[str, Profile] = {}
        for name in files:
            _resolve(name, files, profiles, ())
        self._profiles = profiles

    # A caller asks for the kind it governs: appeal code written before approvals never sees a
    # catalogue of matters where it expects deadlines.
    def get(self, profile_id: str, kind: str | None = "appeal") -> Profile:
        profile = self._profiles[profile_id]
        if kind is not None and profile.kind != kind:
            raise KeyError(profile_id)
        return profile

    def ids(self, kind: str | None = "appeal") -> list[str]:
        return sorted(pid for pid, p in self._profiles.items() if kind is None or p.kind == kind)


def _resolve(
    name: str, files: dict[str, tuple[Path, dict[str, Any]]], profiles: dict[str, Profile], chain: tuple[str, ...]
) -> Profile:
    """Parses one file, its fallback first (merged in), so a problem is reported against the file that has it."""
    if name in profiles:
        return profiles[name]
    path, data = files[name]
    fallback = data.get("fallback") if data.get("kind") == "approval" else None
    if isinstance(fallback, str):
        loop = (*chain, name)
        if fallback in loop:
            cycle = " → ".join((*loop[loop.index(fallback) :], fallback))
            raise ProfileError(f"approval profile {path}: fallback cycle {cycle}")
        if fallback not in files:
            raise ProfileError(
                f"approval profile {path}: fallback {fallback!r} is not a profile on offer "
                f"(known: {', '.join(sorted(files))})"
            )
        base = _resolve(fallback, files, profiles, (*chain, name))
        if base.kind != "approval":
            raise ProfileError(
                f"approval profile {path}: fallback {fallback!r} is an {base.kind} profile, not an approval profile"
            )
        data = merged_with_fallback(data, base.record)
    profile = parse_profile(data, str(path))
    if profile.id != path.stem:
        raise ProfileError(f"policy profile {path}: id {profile.id!r} must match the file name")
    profiles[name] = profile
    return profile


def read_profile_data(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"policy profile {path}: not valid TOML: {exc}") from None


def load_profile(path: Path) -> Profile:
    """One file on its own: an approval profile with a fallback needs the catalogue to resolve it."""
    return parse_profile(read_profile_data(path), str(path))
