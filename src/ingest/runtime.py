"""Open what a run needs (registry, object store, partners) from one ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ingest.config import Settings
from ingest.publish.objectstore import ObjectStore, open_store
from ingest.publish.partners import Partner, load_partners
from ingest.registry import SQLRegistry, open_registry
from ingest.sources.budget import RequestBudget, shared_budget

if TYPE_CHECKING:
    from ingest.sources.afp_api import AFPAPIConfig


@dataclass
class Runtime:
    """The live parts of one process's work, opened lazily from settings."""

    settings: Settings

    @classmethod
    def from_env(cls) -> Runtime:
        return cls(Settings.from_env())

    @cached_property
    def registry(self) -> SQLRegistry:
        self.settings.home.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
        return open_registry(self.settings.registry_url)

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.settings.store_url)

    def partners(self) -> list[Partner]:
        """The partner contracts, read afresh (an edit applies to the next run) and only
        when something publishes: a missing file is a ``ConfigError`` naming it here."""
        self.settings.check_partners_file()
        return load_partners(self.settings.partners_file)

    def afp_budget(self, config: AFPAPIConfig) -> RequestBudget:
        """The AFP account's one request budget, shared by every worker and run: in Redis
        when ``INGEST_REDIS_URL`` is set, else in the registry."""
        return shared_budget(self.settings.redis_url, self.registry.engine,
                             f"afp-api:{config.username}", config.budget)

    def close(self) -> None:
        """Release the registry's connections, if they were ever opened."""
        if "registry" in self.__dict__:
            self.registry.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
