"""What every ingest event trigger shares: plain kwargs, run-time settings, one event shape.

A trigger's kwargs are what the DAG processor stores and the triggerer rebuilds it from, so
they hold only explicit overrides (``None``: read the environment when the trigger starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ingest.config import ConfigError

if TYPE_CHECKING:
    from ingest.runtime import Runtime

log = logging.getLogger(__name__)

IDLE_SECONDS = 3600.0
NOTIFY_ENV = "INGEST_DROP_NOTIFY"  # redis://… or an SQS queue URL: the drop's notifications


class IngestEventTrigger(BaseEventTrigger):
    """An event trigger rebuilt from exactly the keyword arguments it was given."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._kwargs = kwargs

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", dict(self._kwargs)


def fired(source: str, keys: Sequence[str], **extra: Any) -> TriggerEvent:
    """The event payload (the Asset event's ``extra["payload"]``): what is new, and when."""
    return TriggerEvent({  # type: ignore[no-untyped-call]
        "source": source, "count": len(keys), "keys": list(keys),
        "fired_at": datetime.now(UTC).isoformat(), **extra,
    })


async def idle(what: str, why: str) -> None:
    """A path that is not configured here: wait without ever firing (never return, which
    the triggerer would log as a trigger that failed)."""
    log.info("%s: not active (%s); the schedule is the safety net", what, why)
    while True:
        await asyncio.sleep(IDLE_SECONDS)


def seconds(value: float | None, env: Mapping[str, str], name: str, default: float) -> float:
    """An explicit value, else the variable ``name``, else ``default``; never negative."""
    if value is not None:
        raw: object = value
    else:
        raw = env.get(name) or default
    try:
        number = float(raw)  # type: ignore[arg-type]
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number of seconds") from None
    if number < 0:
        raise ConfigError(f"{name}={raw!r}: must not be negative")
    return number


def batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size``: one event stays a small row in Airflow's DB."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def open_runtime() -> Runtime:
    """The settings and registry the DAG's tasks use (the ``ingest_registry`` connection),
    migrated: the triggerer may start before any run has (safe from several processes).
    Blocking: call it in a thread."""
    from ingest.airflow_support import runtime

    rt = runtime()
    rt.registry.upgrade()
    return rt
