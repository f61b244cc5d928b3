"""A registry of N stories with a filled release log, for ``bench/api.py``, kept by N.

Rows go straight into ``stories``, ``versions`` and ``releases`` in batches (what
``record_version`` and ``mark_written`` would leave), from one record per language with
the uri, version and dates changed: a million stories load in minutes, where the
per-item path would take an hour. The log is one release every 30 s: story ``i``'s first
version, then, ten stories on, a correction of one story in seven, and two hundred on,
a kill of one in 101 (a story's correction comes before its kill). English is one story
in five, and gets its share of both.

SQLite files are kept as ``bench/out/api-<FORMAT>-<N>.db`` (migrated to the newest
schema when reused); a PostgreSQL registry as schema ``bench_api_<N>``, kept likewise.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, make_url, text

from ingest.model import Article, Subject
from ingest.registry import open_registry
from ingest.registry import schema as t
from ingest.registry.migrate import upgrade_database

FORMAT = 2  # bump when the generated rows change: older kept files are not reused
OUT = Path(__file__).resolve().parent / "out"
LANGUAGES = ("en", "fr", "de", "es", "ar")
STEP = timedelta(seconds=30)
END = datetime(2026, 11, 1, tzinfo=UTC)  # the last release; everything is in the past
CORRECTED_EVERY, CORRECTION_LAG = 7, 10
KILLED_EVERY, KILL_LAG = 101, 200
BATCH = 5_000
URI = "urn:newsml:afp.com:bench:{:08d}"


def uri(i: int) -> str:
    return URI.format(i)


def delivered_to_english(i: int) -> bool:
    """Whether story ``i`` is in the English partner's view (its first version is)."""
    return i % len(LANGUAGES) == 0


def _template(language: str) -> dict[str, Any]:
    article = Article(
        uri=uri(0), language=language, urgency=3, provider="AFP", products=["news"],
        headline="Story makes the news", standfirst="A one-line summary of the story.",
        body_html="<p>PARIS (AFP) - First paragraph of the story.</p>"
        + "<p>Another paragraph, with <strong>emphasis</strong> and detail.</p>" * 6,
        byline="Anna SMITH", dateline="PARIS", country="FRA",
        subjects=[Subject("medtop:04000000", "economy"), Subject("medtop:11000000", "politics")],
        copyright_notice="© 2026 AFP",
    )
    return article.to_record()


@dataclass(slots=True)
class _Batch:
    stories: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    releases: list[dict[str, Any]]


def _corrected(j: int) -> bool:
    return j % CORRECTED_EVERY == 3


def _killed(j: int) -> bool:
    return j % KILLED_EVERY == 37


def _plan(size: int) -> Iterator[tuple[int, int, str]]:
    """``(story, version, status)`` in release order."""
    for i in range(size):
        yield i, 1, "usable"
        if (j := i - CORRECTION_LAG) >= 0 and _corrected(j):
            yield j, 2, "usable"
        if (j := i - KILL_LAG) >= 0 and _killed(j):
            yield j, 2 + _corrected(j), "canceled"  # a correction (if any) came first


def _final(j: int, size: int) -> tuple[int, str]:
    """Story ``j``'s latest version and status once the whole plan is released."""
    corrected = _corrected(j) and j + CORRECTION_LAG < size
    killed = _killed(j) and j + KILL_LAG < size
    return 1 + corrected + killed, "canceled" if killed else "usable"


def _batches(size: int) -> Iterator[_Batch]:
    templates = {lang: _template(lang) for lang in LANGUAGES}
    first = END - STEP * (size + size // CORRECTED_EVERY + size // KILLED_EVERY)
    batch = _Batch([], [], [])
    for seq, (j, version, status) in enumerate(_plan(size), start=1):
        at = first + STEP * seq
        created = at if version == 1 else first + STEP * (seq - 1)
        language = LANGUAGES[j % len(LANGUAGES)]
        record = {**templates[language], "uri": uri(j), "version": version,
                  "pub_status": status, "version_created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "headline": f"Story {j} makes the news (version {version})"}
        digest = hashlib.sha256(f"{j}/{version}".encode()).hexdigest()
        batch.versions.append({
            "uri": uri(j), "version": version, "content_hash": digest, "substance_hash": digest,
            "status": status, "embargoed_until": None, "version_created": created,
            "received_at": at, "raw_key": None, "pending": False, "same_as": None,
            "published_key": f"articles/{uri(j)}/v{version}.json", "signals": [],
            "ed_note": None, "language": language, "provider": "AFP", "country": "FRA",
            "products": ["news"], "record": record,
        })
        batch.releases.append({"seq": seq, "uri": uri(j), "version": version, "released_at": at})
        if version == 1:
            latest, final = _final(j, size)
            killed = final == "canceled"
            batch.stories.append({
                "uri": uri(j), "latest_version": latest, "status": final,
                "embargoed_until": None, "feed_at": at, "killed": killed,
                "kill_version": latest if killed else None,
                "killed_at": at + STEP * KILL_LAG if killed else None,  # about then
                "visible": not killed, "updated_at": at,
            })
        if len(batch.versions) >= BATCH:
            yield batch
            batch = _Batch([], [], [])
    yield batch


def fill(url: str, size: int) -> None:
    """Load ``size`` stories into the (migrated, empty) registry at ``url``."""
    with open_registry(url) as reg:
        for batch in _batches(size):
            with reg.engine.begin() as conn:
                for table, rows in ((t.stories, batch.stories), (t.versions, batch.versions),
                                    (t.releases, batch.releases)):
                    if rows:
                        conn.execute(insert(table), rows)
        with reg.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _postgres(url: str, size: int) -> tuple[str, bool]:
    """The kept schema for ``size`` (scoped URL), and whether it was there already."""
    schema = f"bench_api_{size}"
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    scoped_url = scoped.render_as_string(hide_password=False)
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            exists = conn.execute(text(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = :s AND table_name = 'releases'"), {"s": schema}).first()
            if exists:
                stories = text(f"SELECT count(*) FROM {schema}.stories")  # noqa: S608 (ours)
                count = conn.execute(stories).scalar_one()
                if count >= size:
                    upgrade_database(scoped_url)
                    return scoped_url, True
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    finally:
        admin.dispose()
    return scoped_url, False


def registry_for(size: int, postgres_url: str | None) -> tuple[str, float]:
    """A URL of a registry holding ``size`` stories, and the seconds spent building it
    (0 when a kept one was reused)."""
    if postgres_url is not None:
        url, kept = _postgres(postgres_url, size)
        if kept:
            return url, 0.0
        started = time.perf_counter()
        fill(url, size)
        return url, time.perf_counter() - started
    path = OUT / f"api-{FORMAT}-{size}.db"
    if path.exists():
        upgrade_database(f"sqlite:///{path}")
        return f"sqlite:///{path}", 0.0
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in OUT.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    fill(f"sqlite:///{partial}", size)
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    partial.rename(path)
    return f"sqlite:///{path}", time.perf_counter() - started
