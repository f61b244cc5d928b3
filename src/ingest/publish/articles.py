"""Immutable article versions and per-story ``latest`` pointers in the object store.

``articles/<id>/v<version>.json`` is written once with a conditional put; re-publishing
finds it there and writes nothing. ``articles/<id>/latest.json`` names the version a
reader should take, and disappears when the story is killed or withheld.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.errors import IngestError
from ingest.publish.objectstore import ObjectStore
from ingest.registry.api import ArticleRegistry, VersionRow
from ingest.validate import validate_ninjs

JSON_TYPE = "application/json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def story_id(uri: str) -> str:
    """A key-safe, readable and collision-free id for a story uri.

    The readable part is the uri with anything outside ``[A-Za-z0-9._-]`` folded to
    ``-``; the hash suffix keeps two uris that fold alike apart, and means a hostile uri
    (``../../etc``) can never name a path outside ``articles/``.
    """
    readable = _UNSAFE.sub("-", uri).strip("-.")[:80] or "story"
    digest = hashlib.sha256(uri.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def version_key(uri: str, version: int) -> str:
    return f"articles/{story_id(uri)}/v{version}.json"


def latest_key(uri: str) -> str:
    return f"articles/{story_id(uri)}/latest.json"


def dump_json(document: Any) -> bytes:
    """The one JSON serialisation of published documents: stable, so reruns match byte for byte."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode()


@dataclass(slots=True)
class ArticlePublishReport:
    written: list[str] = field(default_factory=list)
    already_there: int = 0
    pointers_changed: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def publish_versions(
    registry: ArticleRegistry, store: ObjectStore, now: datetime, *, batch: int = 1000
) -> ArticlePublishReport:
    """Write every version the registry has not published yet (embargoes respected at ``now``)."""
    report = ArticlePublishReport()
    touched: set[str] = set()
    while rows := registry.versions_to_write(now, limit=batch):
        for row in rows:
            _write_version(registry, store, row, now, report)
            touched.add(row.uri)
        if len(rows) < batch:
            break
    for uri in sorted(touched):
        if update_latest_pointer(registry, store, uri):
            report.pointers_changed.append(latest_key(uri))
    return report


def _write_version(
    registry: ArticleRegistry, store: ObjectStore, row: VersionRow, now: datetime,
    report: ArticlePublishReport,
) -> None:
    key = version_key(row.uri, row.version)
    document = row.article.to_ninjs()
    try:
        validate_ninjs(document)
    except IngestError as exc:
        # Never publish an invalid document: it goes to quarantine with its raw reference.
        registry.quarantine(
            raw_key=row.raw_key or key, source="publish", reason=exc.reason,
            detail=exc.detail, at=now,
        )
        registry.mark_written(row.uri, row.version, "")
        report.invalid.append(key)
        return
    if store.put_if_absent(key, dump_json(document), content_type=JSON_TYPE):
        report.written.append(key)
    else:
        report.already_there += 1
    registry.mark_written(row.uri, row.version, key)


def update_latest_pointer(registry: ArticleRegistry, store: ObjectStore, uri: str) -> bool:
    """Point ``latest.json`` at the story's newest usable published version; True if changed."""
    key = latest_key(uri)
    latest = registry.latest(uri)
    status = registry.story_status(uri)
    visible = latest is not None and status == "usable" and bool(latest.published_key)
    current = store.head(key)
    if not visible or latest is None:
        if current is None:
            return False
        store.delete(key)
        return True
    pointer = dump_json(
        {"uri": uri, "version": latest.version, "href": latest.published_key}
    )
    if current is not None and store.get(key) == pointer:
        return False
    store.put(key, pointer, content_type=JSON_TYPE, cache_control="max-age=60")
    return True

