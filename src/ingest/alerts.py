"""Tell a person when ingest needs one: failed or retried tasks, quiet sources, slow news.

Every alert is one JSON POST to the webhook of the Airflow connection ``ingest_alerts``
(``AIRFLOW_CONN_INGEST_ALERTS`` or the UI), so ops can point it at Slack, Teams or a pager
without a deploy. An alert never breaks what it reports on: without the connection, or
when the webhook is down, it is logged and dropped. Messages name DAG, task, source or
partner, counts, try and log link, and never an exception's text, which can carry URLs
with credentials (a registry DSN, a presigned S3 link): only its type goes out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from airflow.sdk import BaseNotifier

from ingest.config import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ingest.registry import SQLRegistry

log = logging.getLogger(__name__)

ALERTS_CONN_ID = "ingest_alerts"
IDLE_ENV = "INGEST_IDLE_ALERT_MINUTES"
DEFAULT_IDLE = timedelta(hours=2)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where alerts go: ``extra.url`` if given, else scheme/host/port/path of the connection.

    A password, when set, is sent as a bearer token: it stays out of URLs and logs.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_connection(cls, conn: Any) -> Webhook:
        extra: dict[str, Any] = conn.extra_dejson or {}
        url = extra.get("url")
        if not url:
            if not conn.host:
                raise ConfigError(f"connection {ALERTS_CONN_ID}: needs a host or extra.url")
            scheme = extra.get("scheme") or (
                conn.conn_type if conn.conn_type in ("http", "https") else "https"
            )
            port = f":{conn.port}" if conn.port else ""
            path = (conn.schema or "").lstrip("/")
            url = f"{scheme}://{conn.host}{port}/{path}"
        headers = {str(k): str(v) for k, v in (extra.get("headers") or {}).items()}
        if conn.password:
            headers["Authorization"] = f"Bearer {conn.password}"
        return cls(url=str(url), headers=headers)

    def post(self, payload: Mapping[str, Any]) -> bool:
        """Send one alert; False (and a log line) when the webhook does not take it."""
        try:
            response = requests.post(
                self.url, json=payload, headers=dict(self.headers), timeout=TIMEOUT_SECONDS
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            log.error("alert not delivered to %s webhook: %s", ALERTS_CONN_ID, type(exc).__name__)
            return False
        return True


def webhook() -> Webhook | None:
    """The configured webhook, or None (logged) when ``ingest_alerts`` is missing or unusable."""
    from ingest.airflow_support import _connection

    conn = _connection(ALERTS_CONN_ID)
    if conn is None:
        log.warning("no %s connection: alert not sent", ALERTS_CONN_ID)
        return None
    try:
        return Webhook.from_connection(conn)
    except ConfigError as exc:
        log.warning("%s: alert not sent", exc)
        return None


def task_alert(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """The alert for one task instance: what ran, on what, which try, where its log is."""
    ti = context["ti"]
    task = context.get("task")
    subject, items = _subject(getattr(task, "op_kwargs", None) or {})
    error = context.get("exception")
    fields: dict[str, Any] = {
        "event": event,
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "run_id": ti.run_id,
        "map_index": ti.map_index,
        "subject": subject,
        "items": items,
        "try_number": ti.try_number,
        "max_tries": ti.max_tries,
        "error": type(error).__name__ if error is not None else None,
        "log_url": ti.log_url,
    }
    where = f" for {subject}" if subject else ""
    count = f", {items} item(s) affected" if items is not None else ""
    cause = f": {fields['error']}" if fields["error"] else ""
    fields["text"] = (
        f"[ingest] {ti.dag_id}.{ti.task_id}{where} {event} on try {ti.try_number}"
        f"/{ti.max_tries + 1}{count}{cause}. Log: {ti.log_url}"
    )
    return fields


def _subject(op_kwargs: Mapping[str, Any]) -> tuple[str, int | None]:
    """A mapped task's source or partner, from the arguments it was expanded over.

    Lists (a drop chunk's keys) give the count of items the task was handling and their
    first entry; scalars (a partner id) are named as they are.
    """
    parts: list[str] = []
    items: int | None = None
    for name, value in sorted(op_kwargs.items()):
        if isinstance(value, list | tuple):
            items = (items or 0) + len(value)
            first = f" from {value[0]}" if value else ""
            parts.append(f"{name}={len(value)}{first}")
        elif isinstance(value, str | int):
            parts.append(f"{name}={value}")
    return ", ".join(parts), items


class _Notifier(BaseNotifier):
    """A notifier with nothing to template.

    Skipping the render also keeps DAG callbacks working under ``dag.test()``, which hands
    them a SerializedDAG that has no template environment (Airflow 3.3.2).
    """

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        return None


class IngestAlertNotifier(_Notifier):
    """Task callback (``on_failure_callback``/``on_retry_callback``) posting to the webhook."""

    def __init__(self, event: str) -> None:
        super().__init__()
        self.event = event

    def notify(self, context: Any) -> None:
        alert = task_alert(context, self.event)
        log.warning("%s", alert["text"])  # in the task log too, whether or not it is delivered
        hook = webhook()
        if hook is not None:
            hook.post(alert)


@dataclass(frozen=True, slots=True)
class IdleLimits:
    """How long each source may stay silent before someone is told."""

    default: timedelta = DEFAULT_IDLE
    per_source: Mapping[str, timedelta] = field(default_factory=dict)

    def for_source(self, source: str) -> timedelta:
        return self.per_source.get(source, self.default)

    @classmethod
    def parse(cls, raw: str | None) -> IdleLimits:
        """``INGEST_IDLE_ALERT_MINUTES``: ``"120"`` or ``"drop=30,afp-api=15,default=120"``."""
        if not raw or not raw.strip():
            return cls()
        default = DEFAULT_IDLE
        per_source: dict[str, timedelta] = {}
        for part in raw.split(","):
            name, sep, minutes = part.strip().rpartition("=")
            if not sep:
                name = "default"
            try:
                limit = timedelta(minutes=int(minutes))
            except ValueError:
                raise ConfigError(f"{IDLE_ENV}={raw!r}: {part.strip()!r} is not minutes") from None
            if limit <= timedelta(0) or not name.strip():
                raise ConfigError(f"{IDLE_ENV}={raw!r}: expected source=minutes, minutes > 0")
            if name.strip() == "default":
                default = limit
            else:
                per_source[name.strip()] = limit
        return cls(default=default, per_source=per_source)


@dataclass(frozen=True, slots=True)
class IdleSource:
    source: str
    last_received_at: datetime | None
    limit: timedelta

    def describe(self, now: datetime) -> str:
        minutes = int(self.limit.total_seconds() // 60)
        if self.last_received_at is None:
            return f"{self.source}: nothing received yet (limit {minutes} min)"
        silent = int((now - self.last_received_at).total_seconds() // 60)
        return f"{self.source}: nothing for {silent} min (limit {minutes} min)"


def idle_sources(registry: SQLRegistry, now: datetime, limits: IdleLimits) -> list[IdleSource]:
    """Sources whose newest raw item is older than their limit, by source name.

    A source named in ``limits`` that has never produced anything counts as idle: a feed
    that was configured but never arrived is the first thing ops want to hear about.
    """
    from sqlalchemy import func, select

    from ingest.registry.schema import raw_objects

    newest_q = select(raw_objects.c.source, func.max(raw_objects.c.received_at)).group_by(
        raw_objects.c.source
    )
    with registry.engine.connect() as conn:
        newest: dict[str, datetime | None] = {row[0]: row[1] for row in conn.execute(newest_q)}
    for source in limits.per_source:
        newest.setdefault(source, None)
    return [
        IdleSource(source, at, limits.for_source(source))
        for source, at in sorted(newest.items())
        if at is None or now - at > limits.for_source(source)
    ]


def idle_alert(idle: list[IdleSource], now: datetime) -> dict[str, Any]:
    lines = [source.describe(now) for source in idle]
    return {
        "event": "idle_sources",
        "sources": [source.source for source in idle],
        "text": "[ingest] sources gone quiet at " + now.isoformat() + ": " + "; ".join(lines),
    }


class IdleSourcesNotifier(_Notifier):
    """DAG callback of ``afp_ingest``: after each run, tell ops which sources went quiet.

    Checked at the run's own time, so a backfilled window is judged as of that window.
    """

    def notify(self, context: Any) -> None:
        from ingest.airflow_support import run_time, runtime

        now = run_time(context)
        limits = IdleLimits.parse(os.environ.get(IDLE_ENV))
        with runtime().registry as registry:  # the DAG processor is long-lived: no leaked pool
            idle = idle_sources(registry, now, limits)
        if not idle:
            return
        log.warning("idle sources: %s", ", ".join(s.source for s in idle))
        hook = webhook()
        if hook is not None:
            hook.post(idle_alert(idle, now))


def latency_alert(engine: Engine, now: datetime, limit: float | None) -> dict[str, Any] | None:
    """The alert when a published-latency p95 of the hour before ``now`` is over ``limit``.

    Judged overall and per urgency class, over the versions recorded in that hour (so a
    run's own versions count); None when all are within the limit or there is no limit.
    """
    from ingest.registry.latency import ALL, CLASSES, last_hour

    if limit is None:
        return None
    hour = last_hour(engine, now)
    over = []
    for cls in (ALL, *CLASSES):
        latency = hour.get((ALL, cls))
        p95 = latency.published.p95 if latency else None
        if latency and p95 is not None and p95 > limit:
            over.append({"class": cls, "p95": p95, "count": latency.published.count})
    if not over:
        return None
    lines = [f"{o['class']}: p95 {o['p95']:g} s over {o['count']} version(s)" for o in over]
    return {
        "event": "latency",
        "at": now.isoformat(),
        "limit_seconds": limit,
        "over": over,
        "text": f"[ingest] published latency over {limit:g} s in the hour to "
        f"{now.isoformat()}: " + "; ".join(lines),
    }


class LatencyNotifier(_Notifier):
    """DAG callback of ``partner_feeds``: after each run, tell ops when news came out slow.

    Judged at the run's own time; ``INGEST_LATENCY_ALERT_SECONDS`` unset means never.
    """

    def notify(self, context: Any) -> None:
        from ingest.airflow_support import run_time, runtime
        from ingest.registry.latency import LATENCY_ENV, latency_limit

        limit = latency_limit(os.environ.get(LATENCY_ENV))
        if limit is None:
            return
        now = run_time(context)
        with runtime().registry as registry:
            alert = latency_alert(registry.engine, now, limit)
        if alert is None:
            return
        log.warning("%s", alert["text"])
        hook = webhook()
        if hook is not None:
            hook.post(alert)
