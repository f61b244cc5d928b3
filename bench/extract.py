"""Web extraction on page datasets: ingest's HTML parser beside trafilatura, in one run.

Usage: python bench/extract.py DATASET_DIR [DATASET_DIR...] [--limit N]
                               [--part tuning|checking|both]

Every page of each dataset goes to one part by site (``bench/splits.py``); rules are tuned
on ``tuning`` only, and ``checking`` is what we report. Both extractors run on the same
pages, serially, in the same process; the scorer (``bench/extract_score.py``) is shared.
For each part, dataset and language (languages with under five pages together), it
prints body P/R/F1 (pages with ``main_content``), ``with`` kept, ``without`` leaked (all,
and news prompts), title, author and date accuracy
(pages with the field), and median / p95 milliseconds per page.

Timing is like for like: ingest's whole ``parse`` (decode, metadata, body, cleaning,
sanitising) against trafilatura's ``bare_extraction(with_metadata=True)`` (decode, body,
title, author, date), each from the page's bytes. The checking table is printed last.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).parent))

from extract_score import Extracted, Tally
from ingest.errors import IngestError
from ingest.parsers.base import ParsedItem
from ingest.parsers.html import HTMLPageParser
from splits import part_of

Extractor = Callable[[bytes], Extracted]
# Languages with fewer pages in a part are reported together.
MIN_LANGUAGE_PAGES = 5
FIGURES = ("body P", "body R", "body F1", "with kept", "without leaked", "prompts leaked",
           "title", "author", "date", "median ms", "p95 ms")


def ingest_extract(raw: bytes) -> Extracted:
    start = time.perf_counter()
    try:
        item = next(HTMLPageParser().parse(raw, source="bench"))
    except IngestError:
        return Extracted(ms=(time.perf_counter() - start) * 1000)
    elapsed = (time.perf_counter() - start) * 1000
    if not isinstance(item, ParsedItem):
        return Extracted(ms=elapsed)
    article = item.article
    return Extracted(
        title=article.headline or "",
        author=article.byline or "",
        date=article.first_created.isoformat() if article.first_created else "",
        body=article.body_text,
        ms=elapsed,
    )


def trafilatura_extract(raw: bytes) -> Extracted:
    start = time.perf_counter()
    try:
        doc = trafilatura.bare_extraction(raw, with_metadata=True)
    except Exception:
        doc = None
    elapsed = (time.perf_counter() - start) * 1000
    if doc is None:
        return Extracted(ms=elapsed)
    return Extracted(
        title=getattr(doc, "title", None) or "",
        author=getattr(doc, "author", None) or "",
        date=getattr(doc, "date", None) or "",
        body=getattr(doc, "text", None) or "",
        ms=elapsed,
    )


EXTRACTORS: dict[str, Extractor] = {"ingest": ingest_extract, "trafilatura": trafilatura_extract}


def pages(dataset: Path, part: str, limit: int | None) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """The dataset's pages of ``part`` (at most ``limit``), with their ground truth."""
    count = 0
    for path in sorted((dataset / "ground-truth").glob("*.json")):
        truth = json.loads(path.read_text())
        if part != "both" and part_of(truth) != part:
            continue
        html = dataset / "html" / f"{path.stem}.html.gz"
        if not html.exists():
            continue
        if limit is not None and count >= limit:
            return
        count += 1
        yield gzip.decompress(html.read_bytes()), truth["ground_truth"]


def _cell(value: float | None, ms: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if ms else f"{value:.3f}"


def table(title: str, groups: dict[str, dict[str, Tally]]) -> None:
    """One row per figure, a column pair (ingest, trafilatura) per group."""
    print(f"\n=== {title}")
    names = list(groups)
    header = "".join(f"{name[:21]:>22}" for name in names)
    print(f"{'':<16}{header}")
    print(f"{'':<16}" + "".join(f"{'ingest':>11}{'trafil.':>11}" for _ in names))
    print(f"{'pages':<16}" + "".join(f"{groups[n]['ingest'].pages:>22}" for n in names))
    figures = {n: {e: groups[n][e].figures() for e in EXTRACTORS} for n in names}
    for key in FIGURES:
        cells = []
        for name in names:
            ours, count = figures[name]["ingest"][key]
            theirs, _ = figures[name]["trafilatura"][key]
            is_ms = key.endswith("ms")
            cells.append(f"{_cell(ours, is_ms):>11}{_cell(theirs, is_ms):>11}" if count else
                         f"{'—':>11}{'—':>11}")
        print(f"{key:<16}" + "".join(cells))
    counts = {key: max(figures[n]["ingest"][key][1] for n in names) for key in FIGURES[:9]}
    print("  (measured on, largest group: " +
          ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


def run(datasets: list[Path], part: str, limit: int | None) -> None:
    by_dataset: dict[str, dict[str, Tally]] = {}
    by_language: dict[str, dict[str, Tally]] = {}
    for dataset in datasets:
        for raw, truth in pages(dataset, part, limit):
            language = str(truth.get("language") or "unknown")
            for name, extract in EXTRACTORS.items():
                got = extract(raw)
                for key, groups in ((dataset.name, by_dataset), (language, by_language)):
                    groups.setdefault(key, {e: Tally() for e in EXTRACTORS})[name].add(got, truth)
    table(f"{part} part, per dataset", by_dataset)
    other = f"other (<{MIN_LANGUAGE_PAGES} pages)"
    grouped: dict[str, dict[str, Tally]] = {}
    for language, tallies in by_language.items():
        key = language if tallies["ingest"].pages >= MIN_LANGUAGE_PAGES else other
        for name, tally in tallies.items():
            grouped.setdefault(key, {e: Tally() for e in EXTRACTORS})[name].merge(tally)
    ordered = sorted(grouped.items(),
                     key=lambda item: (item[0] == other, -item[1]["ingest"].pages))
    for start in range(0, len(ordered), 5):
        table(f"{part} part, per language ({start // 5 + 1})", dict(ordered[start:start + 5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--limit", type=int, help="at most N pages per dataset and part")
    parser.add_argument("--part", choices=("tuning", "checking", "both"), default="both")
    args = parser.parse_args()
    for part in (("tuning", "checking") if args.part == "both" else (args.part,)):
        run(args.datasets, part, args.limit)


if __name__ == "__main__":
    main()
