"""Open what a run needs (registry, object store, partners) from one ``Settings``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ingest.config import Settings
from ingest.publish.objectstore import ObjectStore, open_store
from ingest.registry import SQLRegistry, open_registry


@dataclass
class Runtime:
    """The live parts of one process's work, opened lazily from settings."""

    settings: Settings

    @classmethod
    def from_env(cls) -> Runtime:
        return cls(Settings.from_env())

    @cached_property
    def registry(self) -> SQLRegistry:
        return open_registry(self.settings.registry_url)

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.settings.store_url)
