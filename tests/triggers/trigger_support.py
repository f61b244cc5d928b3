"""Helpers for the trigger tests: drive a trigger as the triggerer does, ingest as its run does."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ingest.config import Settings
from ingest.pipeline import ingest_drop_files, list_drop_chunks
from ingest.reconcile import ReconcileReport, reconcile
from ingest.runtime import Runtime
from ingest.triggers.base import IngestEventTrigger

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T", bound=IngestEventTrigger)


class Running:
    """A trigger's ``run()`` pumped into a queue by a task of its own, as the triggerer
    drives it; ``stop()`` cancels it as the triggerer does on shutdown."""

    def __init__(self, trigger: IngestEventTrigger) -> None:
        self.trigger = trigger
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self.trigger.run():
            await self._events.put(event.payload)

    async def next(self, timeout: float) -> dict[str, Any] | None:
        """The next event's payload, or None if none came within ``timeout`` seconds."""
        getter = asyncio.ensure_future(self._events.get())
        done, _ = await asyncio.wait({getter, self._task}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            self._task.result()  # the trigger crashed: raise its error here
            raise AssertionError("the trigger returned, which event triggers never should")
        return None

    async def keys_until(self, wanted: set[str], timeout: float) -> list[dict[str, Any]]:
        """Events until their keys cover ``wanted`` (or ``timeout`` passes)."""
        loop = asyncio.get_running_loop()
        deadline, events, seen = loop.time() + timeout, [], set[str]()
        while not wanted <= seen and (left := deadline - loop.time()) > 0:
            event = await self.next(left)
            if event is not None:
                events.append(event)
                seen |= set(event["keys"])
        return events

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def rebuilt(trigger: T) -> T:
    """A new trigger from the serialised form alone, as a restarted triggerer builds it."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    made = getattr(importlib.import_module(module), name)(**kwargs)
    assert type(made) is type(trigger)
    return made


def ingest_pending() -> dict[str, int]:
    """What the run an event starts does with the drop folder: list, then ingest each chunk."""
    now = datetime.now(UTC)
    totals: dict[str, int] = {}
    with Runtime(Settings.from_env()) as rt:
        rt.registry.upgrade()
        for chunk in list_drop_chunks(rt, now=now, chunk_size=200):
            for result, count in ingest_drop_files(rt, chunk, now=now).results.items():
                totals[str(result)] = totals.get(str(result), 0) + count
    return totals


def reconciled() -> ReconcileReport:
    with Runtime(Settings.from_env()) as rt:
        return reconcile(rt.registry, rt.store)


def newsml(item_id: str) -> bytes:
    """The bundled NewsML 1.2 alert with its item id replaced: one story per id."""
    text = (REPO / "samples" / "afp-newsml12-wind-farm-alert.xml").read_text()
    return text.replace("TX-PAR-QAB12", item_id).encode()
