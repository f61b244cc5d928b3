"""AFP API Core polled by a trigger: an event when documents newer than the last seen appear.

Each poll is one search (the first page published since the newest document seen),
spending the same shared request budget as the DAG's pulls (``Runtime.afp_budget``): a
spent budget makes the poll wait, never send. Polls also keep to a share of that budget of
their own (``max_share``, half by default), so polling can never starve the pulls. The run
an event starts pulls the last schedule interval, as a run started by hand does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from airflow.triggers.base import TriggerEvent

from ingest.sources.afp_api import AFPAPIClient, AFPAPIError, published_time
from ingest.sources.retry import BudgetExhausted, TokenBucket
from ingest.triggers.base import IngestEventTrigger, fired, idle, open_runtime, seconds

if TYPE_CHECKING:
    from ingest.runtime import Runtime
    from ingest.sources.afp_api import AFPAPIConfig

log = logging.getLogger(__name__)

POLL_ENV = "INGEST_AFP_POLL_SECONDS"


class AFPProbe:
    """What is new since the last poll; plain and blocking (the trigger runs it in a thread)."""

    def __init__(self, client: AFPAPIClient, *, since: datetime, polls_per_hour: int,
                 rows: int) -> None:
        self.client = client
        self.mark = since  # the newest ``published`` an event was fired for
        self._at_mark: set[str] = set()  # documents published at exactly that instant
        self._share = TokenBucket(polls_per_hour, 3600.0)
        self._rows = rows

    def poll(self, now: datetime) -> list[str]:
        """The ``uno``s published in ``[mark, now)`` not yet reported, from one page at most;
        ``BudgetExhausted`` when the poll's share or the shared budget is spent."""
        if now <= self.mark:
            return []
        self._share.take()
        new: list[tuple[datetime, str]] = []
        for item in islice(self.client.fetch(self.mark, now), self._rows):
            doc = json.loads(item.data)
            published, uno = published_time(doc), str(doc.get("uno", ""))
            if published is not None and uno not in self._at_mark:
                new.append((published, uno))
        if new:
            newest = max(published for published, _ in new)
            if newest > self.mark:
                self.mark, self._at_mark = newest, set()
            self._at_mark |= {uno for published, uno in new if published == newest}
        return [uno for _, uno in new]


class AFPPollTrigger(IngestEventTrigger):
    """Polls every ``poll_seconds`` (``INGEST_AFP_POLL_SECONDS``, default 15) when
    ``afp_default`` or ``INGEST_AFP_*`` is set, else idle. A new trigger looks back
    ``lookback_seconds`` (one schedule interval) for what it may have missed."""

    def __init__(self, *, poll_seconds: float | None = None, max_share: float = 0.5,
                 lookback_seconds: float = 600.0, rows: int = 50) -> None:
        super().__init__(poll_seconds=poll_seconds, max_share=max_share,
                         lookback_seconds=lookback_seconds, rows=rows)
        self.poll_seconds, self.max_share = poll_seconds, max_share
        self.lookback_seconds, self.rows = lookback_seconds, rows

    async def run(self) -> AsyncIterator[TriggerEvent]:
        rt, config = await asyncio.to_thread(_open)
        if config is None:
            await asyncio.to_thread(rt.close)
            await idle("AFP API polling", "no afp_default connection nor INGEST_AFP_BASE_URL")
            return
        interval = seconds(self.poll_seconds, os.environ, POLL_ENV, 15.0)
        budget = rt.afp_budget(config)
        client = AFPAPIClient(dataclasses.replace(config, max_rows=self.rows), budget=budget)
        probe = AFPProbe(
            client, since=datetime.now(UTC) - timedelta(seconds=self.lookback_seconds),
            polls_per_hour=max(1, int(config.budget * self.max_share)), rows=self.rows,
        )
        try:
            while True:
                try:
                    unos = await asyncio.to_thread(probe.poll, datetime.now(UTC))
                except BudgetExhausted as exc:
                    log.info("afp-api poll skipped: %s", exc)
                except AFPAPIError as exc:  # the API is down: the next poll tries again
                    log.warning("afp-api poll failed: %s", exc)
                else:
                    if unos:
                        yield fired("afp-api", unos, newest=probe.mark.isoformat())
                await asyncio.sleep(interval)
        finally:
            from ingest.sources.budget import RedisBudget

            client.close()
            if isinstance(budget, RedisBudget):
                budget.close()
            await asyncio.to_thread(rt.close)


def _open() -> tuple[Runtime, AFPAPIConfig | None]:
    from ingest.airflow_support import afp_api_config

    return open_runtime(), afp_api_config()
