"""What the ops view shows, as plain JSON-ready data: sources, latency, partners, articles.

Computed per request from the registry, the object store and the partners file; ``now``
is the request's time (this is a web page, not a task, so reruns need not agree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingest.model import iso, utc
from ingest.ops import queries as q
from ingest.ops.chart import hourly_svg, latency_svg
from ingest.publish.formats import feed_format
from ingest.publish.partners import Partner
from ingest.publish.push import PUSH_FORMAT, plan_pushes
from ingest.registry import latency as lat
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
        "latency": latency_status(rt, now),
        "partners": [
            partner_status(rt, p, now, carried=carried, kill=kills.get(p.id))
            for p in rt.partners()
        ],
        "published": [
            {"uri": p.uri, "version": p.version, "status": p.status, "key": p.key,
             "url": rt.store.uri_for(p.key), "received_at": iso(p.received_at)}
            for p in q.recently_published(rt.registry.engine)
        ],
        "push_problems": [
            {"partner": s.last.partner, "entry_id": s.entry_id, "uri": s.last.uri,
             "version": s.last.version, "kind": s.last.kind, "attempts": s.attempts,
             "first_at": iso(s.first_at), "last_at": iso(s.last.at), "result": s.last.result,
             "status": s.last.status, "error": s.last.error}
            for s in rt.registry.push_problems()
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


def latency_status(rt: Runtime, now: datetime) -> dict[str, Any]:
    """Wire-to-registry and wire-to-``articles/`` latency: the last hour's p50/p95 per
    (source, class) with every source and every class summed, the last day per hour, and
    per source (every source first) a chart of the wire-to-``articles/`` latency by class."""
    engine = rt.registry.engine
    day = lat.hourly(engine, now, hours=HOURS)
    sources = sorted({source for source, _ in day.groups} - {lat.ALL})
    charts = []
    for source in [lat.ALL, *sources] if day.groups else []:
        lines = {
            cls: ([b.published.p50 for b in series], [b.published.p95 for b in series])
            for cls in lat.CLASSES if (series := day.groups.get((source, cls)))
        }
        name = "every source" if source == lat.ALL else source
        charts.append({"source": source, "svg": latency_svg(
            day.start, lines,
            label=f"{name}: seconds from the wire to articles/ per hour, last 24 hours",
        )})
    return {
        "hours_start": iso(day.start),
        "last_hour": [
            {"source": source, "class": cls, "count": m.recorded.count,
             "waiting": m.waiting, "recorded_p50": m.recorded.p50,
             "recorded_p95": m.recorded.p95, "published_p50": m.published.p50,
             "published_p95": m.published.p95}
            for (source, cls), m in sorted(lat.last_hour(engine, now).items(),
                                           key=lambda item: _table_order(*item[0]))
        ],
        "hourly": [
            {"source": source, "class": cls,
             **_series("recorded", [b.recorded for b in series]),
             **_series("published", [b.published for b in series])}
            for (source, cls), series in day.groups.items()
        ],
        "charts": charts,
    }


def _table_order(source: str, cls: str) -> tuple[bool, str, int]:
    """Every source first, then by name; in each, every class first, then alert to other."""
    return source != lat.ALL, source, (lat.ALL, *lat.CLASSES).index(cls)


def _series(name: str, ps: list[lat.Percentiles]) -> dict[str, list[float | None]]:
    """``{name}_p50`` and ``{name}_p95``, one value per hour."""
    return {f"{name}_p50": [p.p50 for p in ps], f"{name}_p95": [p.p95 for p in ps]}


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
    """The push log for one partner: what the next run sends (new entries and failing
    ones), what failed last and why, what was refused or given up."""
    assert partner.push is not None
    plan = plan_pushes(rt.registry, partner, now, rt.settings.tag_ids)
    log = next((s for s in rt.registry.push_summary() if s.partner == partner.id), None)
    standing = log.entries if log else {}
    return {
        "url": partner.push.url,
        "delivered": delivered.items + delivered.kills if delivered else 0,
        "unsettled": len(plan.due) + len(plan.give_up),
        "oldest_unsettled": iso(plan.due[0].updated) if plan.due else None,
        "failing": standing.get("failed", 0),
        "refused": standing.get("refused", 0),
        "given_up": standing.get("given_up", 0),
        "last_attempt": log and log.last_at and iso(log.last_at),
        "last_error": log and log.last_error,
        "give_up_after_seconds": int(partner.push.give_up_after.total_seconds()),
    }


def push_lines(rt: Runtime) -> list[str]:
    """``ingest status``'s lines on the push log: per partner, entries by standing."""
    lines = []
    for log in rt.registry.push_summary():
        standing = ", ".join(f"{n} {result}" for result, n in sorted(log.entries.items()))
        last = f"; last attempt {iso(log.last_at)}" if log.last_at else ""
        error = f"; last error: {log.last_error[:110]}" if log.last_error else ""
        lines.append(f"  pushed to {log.partner}: {standing}{last}{error}")
    return lines
