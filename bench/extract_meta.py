"""Page metadata (title, author, publication date): ingest beside trafilatura's extract_metadata.

Usage: python bench/extract_meta.py DATASET_DIR... [--part tuning|checking] [--limit N]
                                    [--misses FIELD]

Each dataset is split by site (``bench/splits.py``); only the chosen part is read. A value
is scored on the pages whose ground truth has one, by ``bench/extract.py``'s own rules
(``extract_score``: a title has the same words in the same order, an author every expected
name and mostly those names, a date the same calendar day as the page writes it).
"author, none due" is the share of pages whose ground truth has no author where one was
given anyway. Rows: all pages, and the pages without any JSON-LD script.
ms is the metadata read alone (ingest: ``read_meta`` on the parsed tree; trafilatura:
``extract_metadata`` on its tree). ``--misses`` lists the tuning pages where ingest is
wrong on one field, for debugging; it refuses the checking part.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).parent))

from extract_score import same_author, same_date, same_title
from ingest.errors import IngestError
from ingest.parsers.html import load as load_page
from ingest.parsers.html_meta import read_meta
from splits import Part, part_of

FIELDS = ("title", "author", "date")
MATCHERS = {"title": same_title, "author": same_author, "date": same_date}


@dataclass(slots=True)
class Found:
    """What one extractor read from one page."""

    title: str
    author: str
    date: str
    ms: float


def ingest_meta(raw: bytes) -> Found:
    start = time.perf_counter()
    try:
        meta = read_meta(load_page(raw))
    except IngestError:
        return Found("", "", "", (time.perf_counter() - start) * 1000)
    elapsed = (time.perf_counter() - start) * 1000
    date = meta.published.date().isoformat() if meta.published else ""
    return Found(meta.headline or "", meta.byline or "", date, elapsed)


def trafilatura_meta(raw: bytes) -> Found:
    start = time.perf_counter()
    tree = trafilatura.load_html(raw)
    meta = trafilatura.extract_metadata(tree) if tree is not None else None
    elapsed = (time.perf_counter() - start) * 1000
    if meta is None:
        return Found("", "", "", elapsed)
    return Found(meta.title or "", meta.author or "", meta.date or "", elapsed)


def matches(field: str, got: str, truth: str) -> bool:
    return MATCHERS[field](got, truth)


def has_json_ld(raw: bytes) -> bool:
    return re.search(rb"application/ld\+json", raw, re.IGNORECASE) is not None


Page = tuple[str, bytes, dict[str, Any]]


def load(dataset: Path, part: Part, limit: int | None) -> list[Page]:
    pages: list[Page] = []
    for path in sorted((dataset / "ground-truth").glob("*.json")):
        record = json.loads(path.read_text())
        if part_of(record) != part:
            continue
        html = dataset / "html" / f"{path.stem}.html.gz"
        pages.append((path.stem, gzip.decompress(html.read_bytes()), record))
        if limit and len(pages) >= limit:
            break
    return pages


def truth_of(record: dict[str, Any], field: str) -> str:
    key = "publish_date" if field == "date" else field
    return str(record["ground_truth"].get(key) or "")


def score(pages: list[Page], found: list[Found]) -> dict[str, tuple[int, int]]:
    """field -> (matched, pages with a value in the truth)."""
    result = {}
    for field in FIELDS:
        pairs = [(getattr(f, field), truth_of(rec, field)) for (_, _, rec), f in zip(
            pages, found, strict=True)]
        scored = [(got, want) for got, want in pairs if want]
        result[field] = (sum(matches(field, g, w) for g, w in scored), len(scored))
    return result


def table(name: str, pages: list[Page], runs: dict[str, list[Found]]) -> None:
    print(f"{name}: {len(pages)} pages")
    print(f"  {'':<18}" + "".join(f"{tool:>22}" for tool in runs))
    for field in FIELDS:
        cells = []
        for found in runs.values():
            hit, total = score(pages, found)[field]
            cells.append(f"{hit / total if total else float('nan'):.3f} ({hit}/{total})")
        print(f"  {field + ' accuracy':<18}" + "".join(f"{c:>22}" for c in cells))
    cells = []
    for found in runs.values():
        given = [bool(f.author) for (_, _, rec), f in zip(pages, found, strict=True)
                 if not truth_of(rec, "author")]
        cells.append(f"{sum(given) / len(given) if given else float('nan'):.3f} "
                     f"({sum(given)}/{len(given)})")
    print(f"  {'author, none due':<18}" + "".join(f"{c:>22}" for c in cells))
    for label, pick in (("median ms", statistics.median),
                        ("p95 ms", lambda ms: sorted(ms)[int(0.95 * (len(ms) - 1))])):
        cells = [f"{pick([f.ms for f in found]):.2f}" for found in runs.values()]
        print(f"  {label:<18}" + "".join(f"{c:>22}" for c in cells))


Extractor = Callable[[bytes], Found]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--part", choices=("tuning", "checking"), default="tuning")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--misses", choices=FIELDS)
    parser.add_argument("--no-trafilatura", action="store_true")
    args = parser.parse_args()
    if args.misses and args.part != "tuning":
        parser.error("--misses lists pages: tuning part only")
    extractors: dict[str, Extractor] = {"ingest": ingest_meta}
    if not args.no_trafilatura:
        extractors["trafilatura"] = trafilatura_meta
    for dataset in args.datasets:
        pages = load(dataset, args.part, args.limit)
        runs = {tool: [run(raw) for _, raw, _ in pages] for tool, run in extractors.items()}
        table(f"{dataset.name} ({args.part})", pages, runs)
        bare = [i for i, (_, raw, _) in enumerate(pages) if not has_json_ld(raw)]
        table("  without JSON-LD", [pages[i] for i in bare],
              {tool: [found[i] for i in bare] for tool, found in runs.items()})
        if args.misses:
            for (stem, _, record), found in zip(pages, runs["ingest"], strict=True):
                want = truth_of(record, args.misses)
                got = getattr(found, args.misses)
                if want and not matches(args.misses, got, want):
                    print(f"    MISS {stem}: got {got!r} want {want!r}")
        print()


if __name__ == "__main__":
    main()
