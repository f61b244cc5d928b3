"""Progress of a long CLI run: items, rate, ETA and errors, readable on a terminal or in a log.

On a terminal the line is redrawn in place a few times a second; anywhere else (a log file,
CI) a plain line is printed every ``every`` seconds, so logs stay short and greppable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TextIO

_BAR = 24
_REDRAW_SECONDS = 0.2


class Progress:
    """Counts objects (of a known ``total``), items and errors, and shows them as they grow."""

    def __init__(
        self,
        stream: TextIO,
        *,
        total: int = 0,
        tty: bool | None = None,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty() if tty is None else tty
        self.every = _REDRAW_SECONDS if self.tty else every
        self.clock = clock
        self.objects = self.items = self.errors = 0
        self.started = self._shown = clock()

    def start(self, total: int) -> None:
        """Begin counting towards ``total`` objects (known once the source is listed)."""
        self.total = total
        self.started = self._shown = self.clock()

    def advance(self, *, objects: int = 1, items: int = 0, errors: int = 0) -> None:
        self.objects += objects
        self.items += items
        self.errors += errors
        if self.clock() - self._shown >= self.every:
            self._show()

    def close(self) -> None:
        """Show the final state (and end the redrawn line on a terminal)."""
        self._show()
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.items / elapsed
        left = max(self.total - self.objects, 0)
        eta = str(timedelta(seconds=round(left * elapsed / self.objects))) if self.objects else "?"
        done = f"{self.objects}/{self.total} objects" if self.total else f"{self.objects} objects"
        text = f"{done}, {self.items} items, {rate:.1f} items/s, ETA {eta}, {self.errors} errors"
        if not self.tty:
            return text
        filled = _BAR * self.objects // self.total if self.total else 0
        return f"[{'#' * filled}{'.' * (_BAR - filled)}] {text}"

    def _show(self) -> None:
        self._shown = self.clock()
        self.stream.write(f"\r\x1b[K{self.line()}" if self.tty else f"{self.line()}\n")
        self.stream.flush()
