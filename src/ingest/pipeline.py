"""The use cases the DAGs and the CLI share: ingest raw items, publish what is due.

Each step is a plain function over the registry and the object store, so Airflow only
decides when and how wide it runs. Raw bytes are stored before anything is parsed; every
failure becomes a quarantine row with a reason, and the batch goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ingest.errors import IngestError, Reason, crash_error, storable
from ingest.model import iso, utc
from ingest.parsers import parse_bytes
from ingest.parsers.base import ParsedItem, ParseFailure
from ingest.publish.articles import dump_json, publish_versions, story_id
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.media import MediaCopier, MediaFetch
from ingest.publish.objectstore import ObjectStore, open_store
from ingest.publish.push import Pusher, push_partners
from ingest.registry.api import ArticleRegistry, RawRecord, RecordResult, VersionRecord
from ingest.registry.sql import Hashes, hash_version
from ingest.sources.base import RawItem, SourceFailure
from ingest.sources.drop import CursorStore, DropFolderSource, PendingFile
from ingest.validate import validate_ninjs

if TYPE_CHECKING:
    from ingest.runtime import Runtime
    from ingest.sources.afp_api import AFPAPIConfig

log = logging.getLogger(__name__)

SKIPPED = "skipped"  # a result count: a known raw object left alone (``skip_known``)


# What parsing one stored item gave: each version with its registry hashes (None: to be
# computed when recorded), or why it failed.
Outcomes = list[tuple[ParsedItem, Hashes | None] | ParseFailure]


def raw_key(item: RawItem, received_at: datetime) -> str:
    """``raw/<source>/<yyyy>/<mm>/<dd>/<sha256>``: content-addressed, so reruns rewrite nothing."""
    digest = hashlib.sha256(item.data).hexdigest()
    day = utc(received_at)
    return f"raw/{item.source}/{day:%Y/%m/%d}/{digest}"


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did, in counts an operator can read at a glance."""

    raw_items: int = 0
    raw_new: int = 0
    results: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)
    stripped: Counter[str] = field(default_factory=Counter)
    media: Counter[str] = field(default_factory=Counter)  # renditions: copied, or why not

    def merge(self, other: IngestReport) -> None:
        self.raw_items += other.raw_items
        self.raw_new += other.raw_new
        self.results.update(other.results)
        self.quarantined.update(other.quarantined)
        self.stripped.update(other.stripped)
        self.media.update(other.media)

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw_items": self.raw_items,
            "raw_new": self.raw_new,
            "results": {str(k): v for k, v in self.results.items()},
            "quarantined": {str(k): v for k, v in self.quarantined.items()},
            "stripped": {str(k): v for k, v in self.stripped.items()},
            "media": dict(self.media),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestReport:
        return cls(
            raw_items=data["raw_items"], raw_new=data["raw_new"],
            results=Counter(data["results"]), quarantined=Counter(data["quarantined"]),
            stripped=Counter(data["stripped"]), media=Counter(data.get("media", {})),
        )


def ingest_items(
    items: Iterable[RawItem | SourceFailure],
    *,
    registry: ArticleRegistry,
    store: ObjectStore,
    received_at: datetime,
    max_item_bytes: int = 20_000_000,
    syndicate: bool = True,
    skip_known: bool = False,
    media: MediaCopier | None = None,
) -> IngestReport:
    """Store each raw item, parse it, validate it and record its versions in the registry.

    ``syndicate=False`` records versions partners must not get (archive loads);
    ``skip_known`` leaves a raw object the registry already knew unparsed (result ``skipped``);
    ``media`` copies the pictures' renditions into the store first (``publish.media``).
    """
    report = IngestReport()
    for item in items:  # one at a time: what a source marks done once handed over is in
        stored = store_raw(item, store, received_at) if isinstance(item, RawItem) else item
        arrival = Arrival(received_at, [stored], skip_known)
        report.merge(ingest_stored(
            [arrival], registry=registry, store=store, max_item_bytes=max_item_bytes,
            syndicate=syndicate, media=media,
        )[0])
    return report


def ingest_one(
    item: RawItem,
    *,
    registry: ArticleRegistry,
    store: ObjectStore,
    received_at: datetime,
    max_item_bytes: int,
    syndicate: bool = True,
    skip_known: bool = False,
) -> IngestReport:
    """One item through ``ingest_items``: what a replay from quarantine runs."""
    return ingest_items(
        [item], registry=registry, store=store, received_at=received_at,
        max_item_bytes=max_item_bytes, syndicate=syndicate, skip_known=skip_known,
    )


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A raw item whose bytes are already in the store under ``key``."""

    item: RawItem
    key: str


@dataclass(frozen=True, slots=True)
class Arrival:
    """One source object's items (raw bytes stored), received at one time."""

    received_at: datetime
    items: list[StoredItem | SourceFailure]
    skip_known: bool = False


def store_raw(item: RawItem, store: ObjectStore, received_at: datetime) -> StoredItem:
    """Keep the raw bytes first, so nothing is parsed that could not be replayed.

    A step of its own so a backfill can store on its read-ahead threads.
    """
    key = raw_key(item, received_at)
    store.put_if_absent(key, item.data, content_type="application/octet-stream")
    return StoredItem(item, key)


def ingest_stored(
    arrivals: Sequence[Arrival],
    *,
    registry: ArticleRegistry,
    store: ObjectStore,
    max_item_bytes: int,
    syndicate: bool = True,
    renormalise: bool = False,
    media: MediaCopier | None = None,
    parsed_as: Iterable[Outcomes] | None = None,
) -> list[IngestReport]:
    """Note stored items in the registry, parse and validate them, record their versions.

    One registry write for the raw objects and one for the versions of the whole batch
    (quarantines aside), with the results ``ingest_one`` gives item by item in the same
    order; one report per arrival. ``renormalise``: see ``ArticleRegistry.record_versions``.
    ``media``: see ``ingest_items``; a version is recorded pointing at its copies.
    ``parsed_as``: each stored item's outcomes, parsed and hashed elsewhere (a backfill's
    parser processes: ``parse_outcomes``), one list per ``StoredItem`` in order.
    """
    given = iter(parsed_as) if parsed_as is not None else None
    reports = [IngestReport() for _ in arrivals]
    new = iter(registry.record_raws([
        RawRecord(entry.key, entry.item.source, entry.key.rsplit("/", 1)[1],
                  len(entry.item.data), arrival.received_at)
        for arrival in arrivals for entry in arrival.items if isinstance(entry, StoredItem)
    ]))
    parsed: list[tuple[IngestReport, StoredItem, ParsedItem, datetime]] = []
    hashes: list[Hashes | None] = []
    for report, arrival in zip(reports, arrivals, strict=True):
        at = arrival.received_at
        for entry in arrival.items:
            if isinstance(entry, SourceFailure):
                registry.quarantine(
                    raw_key=f"{entry.source}:{entry.name}", source=entry.source,
                    reason=entry.reason, detail=entry.detail, at=at,
                )
                report.quarantined[entry.reason] += 1
                continue
            is_new = next(new)
            outcomes = next(given) if given is not None else None
            report.raw_items += 1
            report.raw_new += is_new
            if arrival.skip_known and not is_new:
                report.results[SKIPPED] += 1
                continue
            if outcomes is None:
                outcomes = [o if isinstance(o, ParseFailure) else (o, None)
                            for o in _parse(entry.item, max_item_bytes)]
            for outcome in outcomes:
                if isinstance(outcome, ParseFailure):
                    _quarantine(registry, entry.key, entry.item, outcome, at, report)
                else:
                    parsed.append((report, entry, outcome[0], at))
                    hashes.append(outcome[1])
    if media is not None:
        for report, _, item, _ in parsed:
            report.media.update(media.localise(item.article))
    # hashes given with the outcomes are of the articles as parsed: not once localised
    known = [h for h in hashes if h is not None]
    results = registry.record_versions(
        [VersionRecord(p.article, entry.key, at) for _, entry, p, at in parsed],
        syndicate=syndicate, renormalise=renormalise,
        hashes=known if media is None and len(known) == len(hashes) else None,
    )
    for (report, entry, item, _), result in zip(parsed, results, strict=True):
        report.results[result] += 1
        if result not in (RecordResult.NEW, RecordResult.RENORMALISED):
            continue
        report.stripped.update(s.kind for s in item.stripped)
        write_audit(store, entry, item, result)
    return reports


def write_audit(
    store: ObjectStore, entry: StoredItem, outcome: ParsedItem, result: RecordResult
) -> None:
    """The editor's audit of what cleaning removed from a version just recorded."""
    key = audit_key(outcome.article.uri, outcome.article.version)
    if result is RecordResult.NEW:
        if outcome.stripped:
            store.put_if_absent(key, _audit(entry.item, entry.key, outcome))
    elif outcome.stripped:  # renormalised: the audit follows the version's new rules
        store.put(key, _audit(entry.item, entry.key, outcome))
    elif store.head(key) is not None:
        store.delete(key)


def parse_outcomes(item: RawItem, max_item_bytes: int) -> Outcomes:
    """``_parse`` with each version hashed for the registry (``hash_version``): what a
    backfill's parser process hands to ``ingest_stored``."""
    return [o if isinstance(o, ParseFailure) else (o, hash_version(o.article))
            for o in _parse(item, max_item_bytes)]


def _parse(item: RawItem, max_item_bytes: int) -> list[ParsedItem | ParseFailure]:
    """The item's outcomes, each valid ninjs or a failure to quarantine."""
    try:
        outcomes = list(
            parse_bytes(item.data, source=item.name, fmt=item.fmt, max_bytes=max_item_bytes)
        )
    except IngestError as exc:
        outcomes = [ParseFailure(exc.reason, exc.detail)]
    except Exception as exc:  # a parser bug must not stop the batch; it is quarantined
        log.exception("parser crashed on %s", item.name)
        outcomes = [_crashed(exc)]
    if not outcomes:
        return [ParseFailure(Reason.EMPTY, "no items in input")]
    return [_validated(o) if isinstance(o, ParsedItem) else o for o in outcomes]


def _validated(parsed: ParsedItem) -> ParsedItem | ParseFailure:
    try:
        validate_ninjs(parsed.article.to_ninjs())
    except IngestError as exc:
        return ParseFailure(exc.reason, exc.detail)
    except Exception as exc:  # a bug in one article's ninjs must not stop the batch either
        log.exception("ninjs of %s crashed", parsed.article.uri)
        return _crashed(exc)
    return parsed


def _crashed(exc: Exception) -> ParseFailure:
    """An ``INTERNAL_ERROR`` whose detail leads with the crash digest (``crash_error``)."""
    error = crash_error(exc)
    return ParseFailure(error.reason, error.detail)


def _quarantine(
    registry: ArticleRegistry, key: str, item: RawItem, failure: ParseFailure,
    at: datetime, report: IngestReport,
) -> None:
    ref = storable(f"{key}#{failure.ref}" if failure.ref else key)
    detail = storable(f"{item.name}: {failure.detail}")  # a name may hold any character
    registry.quarantine(
        raw_key=ref, source=item.source, reason=failure.reason, detail=detail, at=at
    )
    report.quarantined[failure.reason] += 1


def audit_key(uri: str, version: int) -> str:
    """Where the editor's audit of what cleaning removed from a version is kept."""
    return f"audit/{story_id(uri)}/v{version}.json"


def _audit(item: RawItem, key: str, parsed: ParsedItem) -> bytes:
    return dump_json(
        {
            "uri": parsed.article.uri,
            "version": parsed.article.version,
            "source": item.name,
            "raw": key,
            "stripped": [{"kind": s.kind, "text": s.text} for s in parsed.stripped],
        }
    )


def summary_lines(report: IngestReport) -> list[str]:
    """The operator's summary of an ingest run."""
    lines = [
        f"raw items: {report.raw_items} ({report.raw_new} new)",
        "versions: " + json.dumps(dict(sorted(report.results.items()))),
    ]
    quarantined = sum(report.quarantined.values())
    lines.append(f"quarantined: {quarantined} {dict(sorted(report.quarantined.items()))}")
    stripped = sum(report.stripped.values())
    lines.append(f"boilerplate removed: {stripped} blocks {dict(sorted(report.stripped.items()))}")
    if report.media:
        lines.append(f"picture renditions: {dict(sorted(report.media.items()))}")
    return lines


def log_summary(report: IngestReport) -> None:
    for line in summary_lines(report):
        log.info("%s", line)


# Use cases over a Runtime: what DAG tasks and CLI commands call.


def drop_source(rt: Runtime, now: datetime, cursors: CursorStore | None = None) -> DropFolderSource:
    return DropFolderSource(
        rt.settings.drop_url, cursors=cursors or rt.registry, now=now,
        settle_seconds=rt.settings.drop_settle_seconds,
    )


def list_drop_chunks(rt: Runtime, *, now: datetime, chunk_size: int) -> list[list[list[str]]]:
    """The drop folder's ready files as chunks of ``[key, state]`` pairs, for mapped tasks."""
    chunks: list[list[list[str]]] = []
    for file in drop_source(rt, now).pending():
        if not chunks or len(chunks[-1]) >= chunk_size:
            chunks.append([])
        chunks[-1].append([file.key, file.state])
    return chunks


def ingest_drop_files(rt: Runtime, files: list[list[str]], *, now: datetime) -> IngestReport:
    """Ingest one chunk of listed drop files, urgent versions first (``urgent_lane``); the
    files are marked done once their whole content is recorded."""
    from ingest.sources.media import StoreFiles
    from ingest.urgent_lane import HeldCursors, ingest_urgent_first

    marks = HeldCursors(rt.registry)
    taken = drop_source(rt, now, marks).take(PendingFile(key, state) for key, state in files)
    files_beside = StoreFiles(open_store(rt.settings.drop_url))
    report = ingest_urgent_first(rt, taken, received_at=now, now=now,
                                 media=_copier(rt, files_beside))
    marks.release()
    return report


def _copier(rt: Runtime, source: MediaFetch) -> MediaCopier:
    return MediaCopier(rt.store, source, max_bytes=rt.settings.max_media_bytes)


def ingest_web(rt: Runtime, *, now: datetime) -> IngestReport:
    """Fetch what is new or changed on the watch list and ingest it; failed URLs are quarantined."""
    from ingest.sources.media import WebFiles
    from ingest.sources.watchlist import load_watchlist
    from ingest.sources.web import CursorFetchState, Fetcher, WebSource

    watchlist = load_watchlist(rt.settings.watchlist_file)
    pictures = dataclasses.replace(watchlist.fetch, max_bytes=rt.settings.max_media_bytes)
    with Fetcher(watchlist.fetch) as fetcher, Fetcher(pictures) as picture_fetcher:
        source = WebSource(watchlist, fetcher, CursorFetchState(rt.registry))
        report = ingest_items(
            source.fetch(), registry=rt.registry, store=rt.store, received_at=now,
            max_item_bytes=rt.settings.max_item_bytes,
            media=_copier(rt, WebFiles(picture_fetcher)),
        )
    failures = [SourceFailure(source.source, url, exc.reason, exc.detail)
                for url, exc in source.failures]
    report.merge(ingest_items(failures, registry=rt.registry, store=rt.store, received_at=now))
    return report


def ingest_afp_window(
    rt: Runtime, config: AFPAPIConfig, *, start: datetime, end: datetime
) -> IngestReport:
    """Pull one AFP API Core window (the run's data interval) and ingest it, urgent
    versions first (``urgent_lane``)."""
    from urllib.parse import urlsplit

    from ingest.sources.afp_api import AFPAPIClient
    from ingest.sources.media import AFPFiles
    from ingest.urgent_lane import ingest_urgent_first

    with AFPAPIClient(config, budget=rt.afp_budget(config)) as client:
        renditions = AFPFiles(client.authorization, urlsplit(config.base_url).hostname or "")
        report = ingest_urgent_first(rt, client.fetch(start, end), received_at=end, now=end,
                                     media=_copier(rt, renditions))
    rt.registry.set_cursor("afp-api", iso(end))
    return report


def publish_articles(
    rt: Runtime, *, now: datetime, uris: Sequence[str] | None = None
) -> dict[str, Any]:
    """Write every version that is due to ``articles/`` (of ``uris`` only, when given) and
    move ``latest`` pointers."""
    partners = rt.partners()
    media_base = partners[0].base_url if partners else ""  # one public base, file-wide
    report = publish_versions(rt.registry, rt.store, now, media_base=media_base, uris=uris)
    return {
        "written": report.written,
        "already_there": report.already_there,
        "pointers_changed": report.pointers_changed,
        "invalid": report.invalid,
    }


def partner_ids(rt: Runtime, *, now: datetime | None = None) -> list[str]:
    """Every partner's id; for a run at ``now``, only those whose view may have changed
    since their last build (``rebuild``: releases for them, contract, pushes, an hour)."""
    from ingest.rebuild import rebuilds

    partners = rt.partners()
    if now is None:
        return [p.id for p in partners]
    return list(rebuilds(rt.registry, partners, now, rt.settings.tag_ids))


FEED_LEASE_WAIT = 600.0  # seconds a partner's build waits for another's (then it fails, retried)


def publish_partner(rt: Runtime, partner_id: str, *, now: datetime) -> dict[str, Any]:
    """Rebuild one partner's feeds from the registry, replace the changed ones and push;
    then note the build, which the next run's ``partner_ids`` compares with. All under the
    partner's feed lease, which the urgent lane takes too: two builds never overlap, so
    one that read the registry earlier cannot overwrite a later one's feeds."""
    from ingest.leases import hold
    from ingest.rebuild import feed_lease, record_build

    partners = {p.id: p for p in rt.partners()}
    if partner_id not in partners:
        raise KeyError(f"partner {partner_id!r} is not in {rt.settings.partners_file}")
    partner = partners[partner_id]
    with hold(rt.registry, feed_lease(partner.id), wait=FEED_LEASE_WAIT):
        seen = rt.registry.last_release()  # read first: what is released meanwhile counts next run
        result = dataclasses.asdict(
            build_partner_feeds(rt.registry, rt.store, partner, now, rt.settings.tag_ids))
        retry = 0
        if partner.push is not None:
            with Pusher() as pusher:
                outcomes = push_partners(rt.registry, [partner], now, pusher,
                                         rt.settings.tag_ids)[partner.id]
            result["pushed"] = sum(o.delivered for o in outcomes)
            result["push_failed"] = [o.entry_id for o in outcomes if not o.delivered]
            retry = sum(not o.final for o in outcomes)
        record_build(rt.registry, partner, rt.settings.tag_ids, seen=seen, now=now,
                     push_failed=retry)
    return result
