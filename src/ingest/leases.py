"""Leases on registry cursors: one holder at a time, across processes, for work that must
not overlap (a partner's feed build and push), without a lock server.

A lease is the cursor ``lease:<name>``, holding its holder's token and its expiry. It is
taken and handed back by compare-and-set (``swap_cursor``), so two takers never both win;
a thread renews it while it is held, and a lease past its expiry can be taken over, so a
holder that died (SIGKILL, a lost worker) frees it within ``ttl`` seconds. Expiry is
wall-clock time: the holders are different processes, possibly on different machines.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

log = logging.getLogger(__name__)

FREE = "free"
TTL_SECONDS = 10.0  # a dead holder's lease frees this long after its last renewal
POLL_SECONDS = 0.05  # between tries while another holder has it


class SwapCursors(Protocol):
    def get_cursor(self, source: str) -> str | None: ...

    def swap_cursor(self, source: str, expected: str | None, value: str) -> bool: ...


class LeaseBusy(Exception):
    """Another holder kept the lease for the whole wait."""


def expiry(value: str | None) -> float:
    """When a stored lease ends (0 for free, absent or unreadable: takeable now)."""
    if value is None or value == FREE:
        return 0.0
    try:
        return float(value.rpartition(" ")[2])
    except ValueError:
        return 0.0


class _Held:
    """The value this holder last wrote; renewals replace it only while it is still there."""

    def __init__(self, cursors: SwapCursors, key: str, ttl: float,
                 clock: Callable[[], float]) -> None:
        self.cursors, self.key, self.ttl, self.clock = cursors, key, ttl, clock
        self.token = secrets.token_hex(8)
        self.value: str | None = None
        self.lost = threading.Event()

    def fresh(self) -> str:
        return f"{self.token} {self.clock() + self.ttl:.3f}"

    def take(self, wait: float, sleep: Callable[[float], None]) -> bool:
        deadline = self.clock() + wait
        while True:
            current = self.cursors.get_cursor(self.key)
            if expiry(current) <= self.clock():
                mine = self.fresh()
                if self.cursors.swap_cursor(self.key, current, mine):
                    self.value = mine
                    return True
                continue  # someone else moved it between the read and the swap: look again
            if self.clock() >= deadline:
                return False
            sleep(POLL_SECONDS)

    def renew(self, stop: threading.Event) -> None:
        while not stop.wait(self.ttl / 3):
            mine = self.fresh()
            if not self.cursors.swap_cursor(self.key, self.value, mine):
                log.error("lease %s was taken over while held (renewal late by over %gs)",
                          self.key, self.ttl)
                self.lost.set()
                return
            self.value = mine

    def give_back(self) -> None:
        if not self.lost.is_set():
            self.cursors.swap_cursor(self.key, self.value, FREE)


@contextmanager
def hold(cursors: SwapCursors, name: str, *, wait: float, ttl: float = TTL_SECONDS,
         clock: Callable[[], float] = time.time,
         sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """Hold lease ``name`` for the ``with`` block, waiting up to ``wait`` seconds for it
    (``LeaseBusy`` after that); renewed every ``ttl / 3`` seconds, freed at the end."""
    held = _Held(cursors, f"lease:{name}", ttl, clock)
    if not held.take(wait, sleep):
        raise LeaseBusy(f"lease {name} still held after {wait:g}s")
    stop = threading.Event()
    renewer = threading.Thread(target=held.renew, args=(stop,), name=f"lease {name}",
                               daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        held.give_back()
