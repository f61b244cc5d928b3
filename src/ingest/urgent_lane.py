"""The urgent lane: alerts, urgency 1-2 and kills go out before the rest of their batch.

A batch (a drop chunk, an AFP API window) is read, stored raw and parsed whole first.
Then the versions that cannot wait are recorded and written to ``articles/`` (embargoed
ones still wait for their time: ``publish_articles`` decides); the feeds of the partners
those releases concern are rebuilt, and these versions pushed once, with a short timeout,
to those with an endpoint (``push_partners``: the same plan, the same push log). Both
under each partner's feed lease, as ``partner_feeds`` builds, so the two never overlap.
Only then is the rest recorded. A push that fails here is a ``failed``
row of the push log, which ``partner_feeds`` retries with its full policy; one delivered
here is settled there, so no partner is sent the same entry twice by the two runs in turn.

Drop files are marked done only once their whole content is recorded (``HeldCursors``):
a task that dies between the lanes leaves its files to be taken again, and the rerun finds
the urgent versions already recorded (duplicates) and records the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from datetime import datetime
from typing import TYPE_CHECKING

from ingest.config import ConfigError
from ingest.leases import LeaseBusy, hold
from ingest.model import Article
from ingest.parsers.base import ParseFailure
from ingest.pipeline import (
    Arrival,
    IngestReport,
    Outcomes,
    StoredItem,
    ingest_stored,
    parse_outcomes,
    publish_articles,
    store_raw,
)
from ingest.publish.feeds import build_feeds
from ingest.publish.formats import Entry
from ingest.publish.partners import Partner, PartnerConfigError
from ingest.publish.push import Pusher, PushOutcome, RetryPolicy, push_partners
from ingest.rebuild import concerned, feed_lease
from ingest.registry.latency import OTHER, urgency_class
from ingest.sources.base import RawItem, SourceFailure
from ingest.sources.drop import CursorStore

if TYPE_CHECKING:
    from ingest.publish.media import MediaCopier
    from ingest.runtime import Runtime

log = logging.getLogger(__name__)

URGENT_PUSH = RetryPolicy(attempts=1, timeout=3.0)  # partner_feeds retries what fails
URGENT_LEASE_WAIT = 5.0  # seconds, in all, for partners' feed leases held by other builds


def is_urgent(article: Article) -> bool:
    """A kill, an alert (the genre ``identity.finish`` gives every AFP alert) or an item of
    urgency 1-2 (``latency.urgency_class``, the classes ops see): what a partner must not
    wait for."""
    return article.pub_status == "canceled" or urgency_class(article) != OTHER


class HeldCursors:
    """The registry's cursors, with writes held until ``release``.

    The drop source marks a file done once it has handed over the file's last item; the
    urgent lane reads the whole chunk before recording any of it, so the marks wait here
    until everything is recorded.
    """

    def __init__(self, cursors: CursorStore) -> None:
        self._cursors = cursors
        self._held: dict[str, str] = {}

    def get_cursor(self, source: str) -> str | None:
        return self._held[source] if source in self._held else self._cursors.get_cursor(source)

    def set_cursor(self, source: str, value: str) -> None:
        self._held[source] = value

    def release(self) -> None:
        for source, value in self._held.items():
            self._cursors.set_cursor(source, value)
        self._held.clear()


class _OnlyThese(Pusher):
    """A pusher that sends, of what ``push_partners`` planned, only the given versions."""

    def __init__(self, versions: set[tuple[str, int]]) -> None:
        super().__init__(policy=URGENT_PUSH)
        self._versions = versions

    def submit(self, partner: Partner, entries: Sequence[Entry]) -> Future[list[PushOutcome]]:
        return super().submit(partner, [
            e for e in entries if (e.article.uri, e.article.version) in self._versions])


def _lanes(found: Outcomes) -> tuple[Outcomes, Outcomes]:
    """One item's outcomes split: its urgent versions, and the rest (failures included)."""
    urgent: Outcomes = [o for o in found
                        if not isinstance(o, ParseFailure) and is_urgent(o[0].article)]
    return urgent, [o for o in found if isinstance(o, ParseFailure) or not is_urgent(o[0].article)]


def ingest_urgent_first(
    rt: Runtime, items: Iterable[RawItem | SourceFailure], *, received_at: datetime,
    now: datetime, media: MediaCopier | None = None,
) -> IngestReport:
    """Store and parse every item, record, publish and push the urgent versions, then
    record the rest; one report for the whole batch, as ``ingest_items`` gives."""
    entries = [store_raw(i, rt.store, received_at) if isinstance(i, RawItem) else i
               for i in items]
    stored = [e for e in entries if isinstance(e, StoredItem)]
    lanes = [_lanes(parse_outcomes(e.item, rt.settings.max_item_bytes)) for e in stored]
    first = [(e, urgent) for e, (urgent, _) in zip(stored, lanes, strict=True) if urgent]
    report = IngestReport()
    if first:
        report = _record(rt, [Arrival(received_at, [e for e, _ in first])],
                         [urgent for _, urgent in first], media)
        _publish_and_push(rt, {(o[0].article.uri, o[0].article.version)
                               for _, urgent in first for o in urgent
                               if not isinstance(o, ParseFailure)}, now)
    rest = _record(rt, [Arrival(received_at, entries)], [later for _, later in lanes], media)
    report.merge(rest)
    report.raw_items = rest.raw_items  # the urgent lane's items are counted again in the rest
    return report


def _record(rt: Runtime, arrivals: list[Arrival], parsed: list[Outcomes],
            media: MediaCopier | None) -> IngestReport:
    [report] = ingest_stored(arrivals, registry=rt.registry, store=rt.store,
                             max_item_bytes=rt.settings.max_item_bytes, media=media,
                             parsed_as=parsed)
    return report


def _publish_and_push(rt: Runtime, versions: set[tuple[str, int]], now: datetime) -> None:
    """Write what is due to ``articles/``; then, for each partner those releases concern,
    rebuild its feeds and push it these versions, under its feed lease.

    A partner whose lease another build keeps past ``URGENT_LEASE_WAIT`` (in all) is left
    to ``partner_feeds``, whose next run rebuilds it anyway: the urgent lane notes no
    build. Without a readable partners file nothing publishes, and ingest goes on: the
    rest of the batch is recorded, and ``partner_feeds`` fails on the file with its own
    alert.
    """
    try:
        partners = rt.partners()
    except (ConfigError, PartnerConfigError) as exc:
        log.error("urgent lane: %d versions recorded, not published: %s", len(versions), exc)
        return
    since = rt.registry.last_release()
    # only these stories: a backlog of other pending versions must not hold the alert up
    written = publish_articles(rt, now=now, uris=sorted({uri for uri, _ in versions}))
    deadline = time.monotonic() + URGENT_LEASE_WAIT
    with ExitStack() as leases:
        held = [p for p in concerned(rt.registry, partners, since)
                if _try_hold(leases, rt, p, deadline - time.monotonic())]
        built = build_feeds(rt.registry, rt.store, held, now, rt.settings.tag_ids)
        with _OnlyThese(versions) as pusher:
            pushed = push_partners(rt.registry, held, now, pusher, rt.settings.tag_ids)
    log.info("urgent lane: %d versions, articles %s, feeds %s, pushed %s", len(versions),
             written, {pid: r.written for pid, r in built.items()},
             {pid: [o.result for o in outcomes] for pid, outcomes in pushed.items()})


def _try_hold(leases: ExitStack, rt: Runtime, partner: Partner, wait: float) -> bool:
    try:
        leases.enter_context(hold(rt.registry, feed_lease(partner.id), wait=max(0.0, wait)))
    except LeaseBusy:
        log.info("urgent lane: %s is being built elsewhere; partner_feeds will", partner.id)
        return False
    return True
