"""Long polls without a database query per waiting client.

One task per process asks the registry for the newest release position every
``interval`` seconds while anyone waits, and wakes the waiters when it moves: a
thousand clients in ``wait=30`` cost one cheap query each interval, not a thousand.
The query runs on a worker thread, so the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool


class ReleaseWatch:
    """Wait, in the event loop, until the release log grows past a position."""

    def __init__(self, last_release: Callable[[], int], interval: float) -> None:
        self._last_release = last_release
        self._interval = interval
        self._latest = 0  # only ever grows, as the log does
        self._waiters = 0
        self._moved = asyncio.Event()  # set, and replaced, each time the log grows
        self._task: asyncio.Task[None] | None = None

    async def wait_past(self, position: int, timeout: float) -> bool:
        """True once a release after ``position`` exists; False after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._waiters += 1
        try:
            if self._task is None:
                self._task = loop.create_task(self._poll())
            while self._latest <= position:
                left = deadline - loop.time()
                if left <= 0:
                    return False
                try:
                    await asyncio.wait_for(self._moved.wait(), left)
                except TimeoutError:
                    return False
            return True
        finally:
            self._waiters -= 1

    async def _poll(self) -> None:
        try:
            while self._waiters:
                latest = await run_in_threadpool(self._last_release)
                if latest > self._latest:
                    self._latest = latest
                    moved, self._moved = self._moved, asyncio.Event()
                    moved.set()
                await asyncio.sleep(self._interval)
        finally:
            self._task = None
