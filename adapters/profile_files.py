"""Policy profiles read from TOML files.

The packaged profiles live in ``adapters/profiles/``; an operator may point
``CASELEDGER_PROFILES_DIR`` at a directory of further or edited profiles,
which take precedence (a profile can be added or edited without a release).
Every file is validated when loaded, so a bad edit stops start-up with a
message naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from domain.errors import ProfileError
from domain.profiles import PolicyProfile, ProfileCatalogue, parse_profile

PACKAGED = Path(__file__).with_name("profiles")


class FileProfileCatalogue(ProfileCatalogue):
    def __init__(self, directories: Iterable[Path] = ()) -> None:
        # Later directories override earlier ones; the packaged set comes first.
        self._directories = [PACKAGED, *map(Path, directories)]
        self._profiles: dict[str, PolicyProfile] = {}
        self.reload()

    def reload(self) -> None:
        profiles: dict[str, PolicyProfile] = {}
        for directory in self._directories:
            if not directory.is_dir():
                raise ProfileError(f"profile directory {directory} does not exist")
            for path in sorted(directory.glob("*.toml")):
                profile = load_profile(path)
                if profile.id != path.stem:
                    raise ProfileError(f"policy profile {path}: id {profile.id!r} must match the file name")
                profiles[profile.id] = profile
        self._profiles = profiles

    def get(self, profile_id: str) -> PolicyProfile:
        return self._profiles[profile_id]

    def ids(self) -> list[str]:
        return sorted(self._profiles)


def load_profile(path: Path) -> PolicyProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"policy profile {path}: not valid TOML: {exc}") from None
    return parse_profile(data, str(path))
