"""One configuration for the DAGs and the CLI: environment first, embedded defaults after.

Every setting has a default that works on a laptop (``INGEST_HOME=./var``: a SQLite
registry and a local object store inside it). A setting that is present but wrong fails
at start with a message naming it, rather than half-way through a run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    registry_url: str
    store_url: str
    partners_file: Path
    watchlist_file: Path
    drop_url: str
    drop_settle_seconds: int
    max_item_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``INGEST_*`` variables; relative paths are taken from the working directory."""
        env = os.environ if env is None else env
        home = Path(env.get("INGEST_HOME", "var")).expanduser().resolve()
        project = Path(env.get("INGEST_PROJECT_DIR", ".")).expanduser().resolve()
        settings = cls(
            home=home,
            registry_url=env.get("INGEST_REGISTRY_URL") or f"sqlite:///{home / 'registry.db'}",
            store_url=env.get("INGEST_STORE_URL") or (home / "objectstore").as_uri(),
            partners_file=Path(env.get("INGEST_PARTNERS_FILE", project / "config/partners.yaml")),
            watchlist_file=Path(
                env.get("INGEST_WATCHLIST_FILE", project / "config/watchlist.yaml")
            ),
            drop_url=env.get("INGEST_DROP_URL") or (home / "drop").as_uri(),
            drop_settle_seconds=_whole(env, "INGEST_DROP_SETTLE_SECONDS", 60, minimum=0),
            max_item_bytes=_whole(env, "INGEST_MAX_ITEM_BYTES", 20_000_000, minimum=1),
        )
        settings.check()
        return settings

    def check(self) -> None:
        _check_url("INGEST_REGISTRY_URL", self.registry_url, ("sqlite", "postgresql"))
        _check_url("INGEST_STORE_URL", self.store_url, ("file", "s3"))
        _check_url("INGEST_DROP_URL", self.drop_url, ("file", "s3"))
        if not self.partners_file.is_file():
            raise ConfigError(f"INGEST_PARTNERS_FILE: no such file {self.partners_file}")


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> None:
    scheme = urlparse(value).scheme.split("+", 1)[0]
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name}={value!r}: expected a URL starting with {allowed}")


def _whole(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r}: must be at least {minimum}")
    return value
