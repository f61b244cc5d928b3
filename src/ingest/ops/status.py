"""What the ops view shows, as plain JSON-ready data: sources, partners, recent articles.

Computed per request from the registry, the object store and the partners file; ``now``
is the request's time (this is a web page, not a task, so reruns need not agree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingest.model import iso, utc
from ingest.ops import queries as q
from ingest.ops.chart import hourly_svg
from ingest.publish.formats import feed_format
from ingest.publish.partners import Partner, load_partners
from ingest.publish.push import PUSH_FORMAT, pending_pushes
from ingest.runtime import Runtime
from ingest.sources.afp_api import SOURCE as AFP_API
from ingest.sources.drop import SOURCE as DROP

HOURS = 24  # the chart's span: the last day


def ops_status(rt: Runtime, now: datetime) -> dict[str, Any]:
    now = utc(now)
    engine = rt.registry.engine
    carried = {(d.partner, d.format): d for d in q.format_deliveries(engine)}
    kills = q.last_kills(engine)
    return {
        "now": iso(now),
        "sources": source_status(rt, now),
        "partners": [
            partner_status(rt, p, now, carried=carried, kill=kills.get(p.id))
            for p in load_partners(rt.settings.partners_file)
        ],
        "published": [
            {"uri": p.uri, "version": p.version, "status": p.status, "key": p.key,
             "url": rt.store.uri_for(p.key), "received_at": iso(p.received_at)}
            for p in q.recently_published(rt.registry.engine)
        ],
    }


def source_status(rt: Runtime, now: datetime) -> list[dict[str, Any]]:
    """Per source: last successful window, items per hour over a day, and publication lag."""
    engine = rt.registry.engine
    hourly = q.hourly(engine, now=now, hours=HOURS)
    windows = q.last_windows(engine)
    newest = q.newest_publication(engine)
    empty = [0] * HOURS
    result = []
    for source in sorted({AFP_API, DROP, *q.raw_sources(engine)}):
        window = windows.get(source)
        ingested = hourly.ingested.get(source, empty)
        quarantined = hourly.quarantined.get(source, empty)
        latest = newest.get(source)
        result.append({
            "source": source,
            "window": window and {"position": window.position, "at": iso(window.at)},
            "newest_item": latest and iso(latest),
            "lag_seconds": latest and int((now - latest).total_seconds()),
            "hours_start": iso(hourly.start),
            "ingested": ingested,
            "quarantined": quarantined,
            "chart_svg": hourly_svg(
                hourly.start, ingested, quarantined,
                label=f"{source}: items ingested and quarantined per hour, last 24 hours",
            ),
        })
    return result


def partner_status(
    rt: Runtime, partner: Partner, now: datetime, *,
    carried: dict[tuple[str, str], q.FormatDeliveries], kill: q.KillDelivered | None,
) -> dict[str, Any]:
    """Per partner: each feed's last write, what it carried, the last kill, pushes unsettled."""
    written = {info.key: info.last_modified for info in rt.store.list(partner.prefix)}
    formats = []
    for name in partner.formats:
        filename = feed_format(name).filename
        delivered = carried.get((partner.id, name))
        updated = written.get(partner.prefix + filename)
        formats.append({
            "format": name,
            "url": partner.url_for(filename),
            "updated": updated and iso(updated),
            "items": delivered.items if delivered else 0,
            "kills": delivered.kills if delivered else 0,
            "last_delivery": delivered and iso(delivered.last_at),
        })
    return {
        "id": partner.id,
        "name": partner.name,
        "formats": formats,
        "last_kill": kill and {"uri": kill.uri, "version": kill.version, "format": kill.format,
                               "at": iso(kill.at)},
        "push": partner.push
        and _push_status(rt, partner, now, carried.get((partner.id, PUSH_FORMAT))),
    }


def _push_status(
    rt: Runtime, partner: Partner, now: datetime, delivered: q.FormatDeliveries | None
) -> dict[str, Any]:
    """Entries due by push and not settled: they failed (retries spent) or wait for a push run."""
    assert partner.push is not None
    unsettled = pending_pushes(rt.registry, rt.store, partner, now)
    return {
        "url": partner.push.url,
        "delivered": delivered.items + delivered.kills if delivered else 0,
        "unsettled": len(unsettled),
        "oldest_unsettled": iso(unsettled[0].updated) if unsettled else None,
    }
