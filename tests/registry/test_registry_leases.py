"""Cursor compare-and-set, and the leases made of it, across real processes on both backends.

No fixture files: each test writes its own cursors.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.leases import FREE, LeaseBusy, expiry, hold
from ingest.registry import SQLRegistry, open_registry

HOLDERS = 4
TURNS = 5


def test_a_cursor_is_swapped_only_from_the_value_it_holds(registry: SQLRegistry) -> None:
    assert registry.swap_cursor("c", None, "a")
    assert not registry.swap_cursor("c", None, "b")  # it exists now
    assert not registry.swap_cursor("c", "b", "x")  # it holds "a", not "b"
    assert registry.get_cursor("c") == "a"
    assert registry.swap_cursor("c", "a", "b")
    assert registry.get_cursor("c") == "b"
    assert not registry.swap_cursor("other", "b", "x") and registry.get_cursor("other") is None


def _take_turns(url: str, log: Path, start: Any) -> None:
    """Hold the lease ``TURNS`` times, writing in and out marks while holding it."""
    with SQLRegistry(url) as registry:
        start.wait()
        for _ in range(TURNS):
            with hold(registry, "shared", wait=60):
                with log.open("a") as out:
                    out.write(f"in {os.getpid()}\n")
                time.sleep(0.02)
                with log.open("a") as out:
                    out.write(f"out {os.getpid()}\n")


@pytest.mark.slow
def test_holders_in_several_processes_never_overlap(registry_url: str, tmp_path: Path) -> None:
    open_registry(registry_url).close()  # the schema, once
    log = tmp_path / "turns.log"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(HOLDERS)
    procs = [ctx.Process(target=_take_turns, args=(registry_url, log, start))
             for _ in range(HOLDERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    marks = log.read_text().split("\n")[:-1]
    assert len(marks) == 2 * HOLDERS * TURNS
    for enter, leave in zip(marks[::2], marks[1::2], strict=True):  # in, then the same out
        assert enter.startswith("in ") and leave == "out " + enter.removeprefix("in ")


def _hold_until_killed(url: str, ready: Any) -> None:
    with SQLRegistry(url) as registry, hold(registry, "feeds:p", wait=5, ttl=1.5):
        ready.set()
        time.sleep(600)


def test_a_lease_whose_holder_was_killed_is_free_once_it_expires(
    registry: SQLRegistry, registry_url: str,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_hold_until_killed, args=(registry_url, ready))
    child.start()
    assert ready.wait(60)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join()
    with pytest.raises(LeaseBusy), hold(registry, "feeds:p", wait=0):
        pass  # still within its last renewal's ttl
    with hold(registry, "feeds:p", wait=5):
        assert registry.get_cursor("lease:feeds:p") != FREE
    assert registry.get_cursor("lease:feeds:p") == FREE


def test_a_held_lease_is_renewed_past_its_ttl_and_freed_at_the_end(
    registry: SQLRegistry,
) -> None:
    with hold(registry, "x", wait=0, ttl=0.6):
        time.sleep(1.5)  # over two ttls: only renewals keep it
        assert expiry(registry.get_cursor("lease:x")) > time.time()
        with pytest.raises(LeaseBusy), hold(registry, "x", wait=0.2):
            pass
    with hold(registry, "x", wait=0):
        pass


def test_a_holder_that_lost_its_lease_does_not_free_the_new_holders(
    registry: SQLRegistry,
) -> None:
    other = f"someone-else {time.time() + 3600:.3f}"
    with hold(registry, "x", wait=0, ttl=0.3):
        registry.set_cursor("lease:x", other)  # taken over, as after a stalled renewal
        time.sleep(0.4)  # a renewal finds it gone
    assert registry.get_cursor("lease:x") == other


@pytest.mark.parametrize("value", [None, FREE, "token not-a-time", "token"])
def test_a_free_absent_or_unreadable_lease_can_be_taken_now(value: str | None) -> None:
    assert expiry(value) == 0.0
