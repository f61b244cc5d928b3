"""The article registry: what ingest knows about stories, versions and where they went."""

from ingest.registry.api import (
    ArticleRegistry,
    Delivery,
    QuarantineRow,
    RecordResult,
    VersionRow,
)
from ingest.registry.migrate import upgrade_database
from ingest.registry.sql import SQLRegistry, open_registry

__all__ = [
    "ArticleRegistry",
    "Delivery",
    "QuarantineRow",
    "RecordResult",
    "SQLRegistry",
    "VersionRow",
    "open_registry",
    "upgrade_database",
]
