"""One configuration for the DAGs and the CLI: environment first, embedded defaults after.

Every setting has a default that works on a laptop and does not depend on the folder a
command is run from: a SQLite registry and a local object store in ``INGEST_HOME``
(``$XDG_DATA_HOME/ingest``, i.e. ``~/.local/share/ingest``, when unset). A setting that is
present but wrong fails at start with a message naming it, rather than half-way through a
run. The partners file is checked only where partners are loaded (``Runtime.partners``):
commands that do not publish need none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ingest.publish.formats.ids import DEFAULT_IDS, TagIds

DEFAULTS = Path(__file__).resolve().parent / "defaults"  # embedded defaults (the watch list)


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
    max_media_bytes: int = 20_000_000  # INGEST_MAX_MEDIA_BYTES: a picture rendition's cap
    tag_ids: TagIds = DEFAULT_IDS  # INGEST_TAG_AUTHORITY="domain,date": who mints feed ids
    redis_url: str | None = None  # INGEST_REDIS_URL: shared request budgets live there

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``INGEST_*`` variables; no default depends on the working directory.

        Contract files come from ``INGEST_PARTNERS_FILE`` / ``INGEST_WATCHLIST_FILE``, else
        from ``$INGEST_PROJECT_DIR/config/`` (a checkout: the demo, compose, the cluster),
        else the partners file is ``$INGEST_HOME/partners.yaml`` and the watch list the
        package's empty one. No partner contracts ship in the package: a default partner
        would receive feeds under rights nobody agreed to.
        """
        env = os.environ if env is None else env
        home = _home(env)
        project = env.get("INGEST_PROJECT_DIR")
        config = Path(project).expanduser().resolve() / "config" if project else None
        settings = cls(
            home=home,
            registry_url=env.get("INGEST_REGISTRY_URL") or f"sqlite:///{home / 'registry.db'}",
            store_url=env.get("INGEST_STORE_URL") or (home / "objectstore").as_uri(),
            partners_file=_file(
                env, "INGEST_PARTNERS_FILE",
                config / "partners.yaml" if config else home / "partners.yaml",
            ),
            watchlist_file=_file(
                env, "INGEST_WATCHLIST_FILE",
                config / "watchlist.yaml" if config else DEFAULTS / "watchlist.yaml",
            ),
            drop_url=env.get("INGEST_DROP_URL") or (home / "drop").as_uri(),
            drop_settle_seconds=_whole(env, "INGEST_DROP_SETTLE_SECONDS", 60, minimum=0),
            max_item_bytes=_whole(env, "INGEST_MAX_ITEM_BYTES", 20_000_000, minimum=1),
            max_media_bytes=_whole(env, "INGEST_MAX_MEDIA_BYTES", 20_000_000, minimum=1),
            tag_ids=_tag_ids(env),
            redis_url=env.get("INGEST_REDIS_URL") or None,
        )
        settings.check()
        return settings

    def check(self) -> None:
        _check_url("INGEST_REGISTRY_URL", self.registry_url, ("sqlite", "postgresql"))
        _check_url("INGEST_STORE_URL", self.store_url, ("file", "s3"))
        _check_url("INGEST_DROP_URL", self.drop_url, ("file", "s3"))
        if self.redis_url:
            _check_url("INGEST_REDIS_URL", self.redis_url, ("redis", "rediss"))

    def check_partners_file(self) -> None:
        """Only publishing needs partner contracts, so only publishing asks for the file."""
        if not self.partners_file.is_file():
            raise ConfigError(
                f"INGEST_PARTNERS_FILE: no such file {self.partners_file} "
                "(publishing needs the partner contracts; config/partners.yaml is an example)"
            )


def _home(env: Mapping[str, str]) -> Path:
    """``INGEST_HOME``, else ``ingest`` in the XDG data directory: the same from any folder.

    As the XDG Base Directory spec says, a relative ``XDG_DATA_HOME`` is ignored.
    """
    if env.get("INGEST_HOME"):
        return Path(env["INGEST_HOME"]).expanduser().resolve()
    xdg = Path(env.get("XDG_DATA_HOME", ""))
    if not xdg.is_absolute():
        xdg = (Path(env["HOME"]) if env.get("HOME") else Path.home()) / ".local/share"
    return xdg / "ingest"


def _file(env: Mapping[str, str], name: str, default: Path) -> Path:
    return Path(env[name]).expanduser().resolve() if env.get(name) else default


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> None:
    scheme = urlparse(value).scheme.split("+", 1)[0]
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name}={value!r}: expected a URL starting with {allowed}")


def _tag_ids(env: Mapping[str, str]) -> TagIds:
    """RFC 4151 tagging entity; never change it once feeds are out (every id would)."""
    raw = env.get("INGEST_TAG_AUTHORITY")
    if not raw:
        return DEFAULT_IDS
    try:
        return TagIds.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"INGEST_TAG_AUTHORITY={raw!r}: {exc}") from None


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
