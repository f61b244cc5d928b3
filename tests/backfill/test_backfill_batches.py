"""The read-ahead window and the batches a chunk records at once stay bounded."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

import ingest.backfill as backfill
from ingest.backfill import Entry, Read, _batches, read_ahead
from ingest.pipeline import StoredItem
from ingest.sources.base import RawItem

AT = datetime(2026, 10, 1, tzinfo=UTC)


def entries(sizes: list[int]) -> list[Entry]:
    return [Entry(f"k{n}", size, AT) for n, size in enumerate(sizes)]


@pytest.mark.parametrize(("sizes", "window", "budget", "most"), [
    ([1] * 20, 4, 100, 4),  # the window bounds the count
    ([10] * 20, 8, 30, 3),  # the budget bounds the bytes
    ([50, 50, 1], 8, 30, 1),  # an entry over the budget goes alone
])
def test_read_ahead_keeps_order_and_holds_at_most_its_window(
    sizes: list[int], window: int, budget: int, most: int
) -> None:
    held, peak, lock = 0, 0, threading.Lock()

    def read(entry: Entry) -> str:
        nonlocal held, peak
        with lock:
            held += 1
            peak = max(peak, held)
        return entry.key

    with ThreadPoolExecutor(4) as pool:
        out = []
        for key in read_ahead(pool, read, entries(sizes), window=window, budget=budget):
            with lock:
                held -= 1
            out.append(key)
    assert out == [e.key for e in entries(sizes)]
    assert peak <= most


def test_batches_end_at_checkpoints_and_at_the_byte_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backfill, "BATCH_BYTES", 25)

    def read(size: int) -> Read:
        return AT, [StoredItem(RawItem("drop", "x", b"x" * size), "raw/x")]

    sizes = [1, 1, 1, 1, 1, 1, 1, 20, 10, 1, 1]
    cuts = [len(b) for b in _batches(map(read, sizes), offset=3, every=5)]
    # From offset 3: to the checkpoint at 5, on to 10, then 25 bytes are reached at 12.
    assert cuts == [2, 5, 2, 2]
