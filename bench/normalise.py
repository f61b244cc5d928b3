"""Throughput of raw AFP item -> validated ninjs, per format, on one core.

Generates N distinct items per format in memory from the hand-written fixtures (each a
different story id), times parse -> ``to_ninjs()`` -> ``validate_ninjs`` for each, and
prints it beside a floor: parsing the same bytes (lxml for XML, json.loads for JSON)
plus ``json.dumps``, the least any normaliser has to do.

    .venv/bin/python bench/normalise.py [N] [RUNS]

Each rate is the best of RUNS passes (default 3), the three measurements taking turns,
since the machine is shared and a single pass mostly measures the neighbours. Time is
this process's CPU time (``time.process_time``): a rate per core, not counting the
moments another process had the core. Pin it to one core to keep it there:
``taskset -c 0 .venv/bin/python bench/normalise.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from ingest import vocab
from ingest.model import Subject
from ingest.parsers import ParsedItem, parse_bytes
from ingest.validate import validate_ninjs

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "afp"
TEMPLATES = {  # format -> (fixture, the story id to vary)
    "newsml-g2": ("g2-story-v3-correction.xml", b"doc-39xk2ab"),
    "afp-newsml12": ("nml12-story-v3-correction.xml", b"doc-39xk2ab"),
    "afp-api": ("api-story-v3-correction.json", b"doc-39xk2ab"),
}


# The SubjectCode FormalNames of a real AFP item, in its order, as the NewsML 1.2 parser
# hands them to ``vocab.subjects``: AFP's Arabic sport story doc-33ul3px of 2023-09-19
# (14 codes, 8 distinct: AFP repeats codes across SubjectCode blocks).
REAL_ITEM_CODES = [
    "15073000", "15000000", "15073000", "15000000", "10001000", "01000000", "04003000",
    "01000000", "04000000", "10000000", "04000000", "10010000", "10001000", "15000000",
]


def items(fmt: str, count: int) -> list[bytes]:
    name, story = TEMPLATES[fmt]
    raw = (FIXTURES / name).read_bytes()
    return [raw.replace(story, f"doc-{i:07d}".encode()) for i in range(count)]


def normalise(fmt: str, *, validate: bool = True) -> Callable[[bytes], None]:
    def run(raw: bytes) -> None:
        for outcome in parse_bytes(raw, source="bench", fmt=fmt):
            assert isinstance(outcome, ParsedItem)
            document = outcome.article.to_ninjs()
            if validate:
                validate_ninjs(document)

    return run


def floor(fmt: str) -> Callable[[bytes], None]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)

    def xml(raw: bytes) -> None:
        etree.fromstring(raw, parser)
        json.dumps(raw.decode("latin-1"))

    def json_only(raw: bytes) -> None:
        json.dumps(json.loads(raw))

    return json_only if fmt == "afp-api" else xml


def rate(step: Callable[[bytes], None], data: list[bytes]) -> float:
    start = time.process_time()
    for raw in data:
        step(raw)
    return len(data) / (time.process_time() - start)


def best_rates(steps: list[Callable[[bytes], None]], data: list[bytes], runs: int) -> list[float]:
    """Each step's best rate over ``runs`` passes, the steps taking turns within a pass so
    that load from other processes on a shared machine falls on all of them alike."""
    for step in steps:
        step(data[0])  # warm caches (validator, parser instances)
    best = [0.0] * len(steps)
    for _ in range(runs):
        for i, step in enumerate(steps):
            best[i] = max(best[i], rate(step, data))
    return best


def subject_lookup(count: int, runs: int) -> tuple[float, int]:
    """CPU microseconds per item of ``vocab.subjects`` on the real item's codes, in Arabic
    (the vocabulary already loaded, as in a running worker), and how many subjects result."""
    given = [Subject(code) for code in REAL_ITEM_CODES]
    repeat = max(count, 1) * 10
    vocab.subjects(given, "ar")  # load the vocabulary: once per process, not per item
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for _ in range(repeat):
            vocab.subjects(given, "ar")
        best = min(best, (time.process_time() - start) / repeat)
    return best * 1e6, len(vocab.subjects(given, "ar"))


def main(count: int, runs: int) -> None:
    print("items per CPU-second: parse -> to_ninjs -> validate_ninjs; 'no-validate' leaves out"
          " the last step")
    print(f"best of {runs} passes over {count} items each")
    print(
        f"{'format':<14}{'items':>8}{'items/s':>10}{'no-validate':>13}{'floor/s':>10}{'ratio':>8}"
        f"{'µs/item':>9}"
    )
    for fmt in TEMPLATES:
        data = items(fmt, count)
        steps = [normalise(fmt), normalise(fmt, validate=False), floor(fmt)]
        ours, bare, base = best_rates(steps, data, runs)
        print(f"{fmt:<14}{count:>8}{ours:>10.0f}{bare:>13.0f}{base:>10.0f}{base / ours:>7.1f}x"
              f"{1e6 / ours:>9.0f}")
    lookup, found = subject_lookup(count, runs)
    label = f"subjects ({len(REAL_ITEM_CODES)} codes -> {found}, ar)"
    print(f"{label:<65}{lookup:>9.1f}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 3,
    )
