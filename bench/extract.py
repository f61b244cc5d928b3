"""Body extraction on WCXB-format pages: ingest's HTML parser beside trafilatura.

Usage: python bench/extract.py DATASET_DIR [--limit N] [--split]

For each extractor: word-level precision / recall / F1 of the body against the ground
truth ``main_content`` (lower-cased word tokens, multiset overlap, averaged per page),
share of ``with`` snippets kept, share of ``without`` snippets leaked (all, and those
about subscribing, newsletters, cookies, donations, signing in and ads), title accuracy,
and median / p95 milliseconds per page; then the ratios ingest / trafilatura. With
``--split`` the table is also printed for the even-numbered pages (the half rules were
tuned on) and the odd-numbered ones (held out).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from ingest.errors import IngestError
from ingest.parsers.html import HTMLPageParser

WORD = re.compile(r"\w+")
PROMPT = re.compile(
    r"subscri|newsletter|cookie|donat|contribut|sign[ -]?in|sign[ -]?up|log[ -]?in|"
    r"register|advert|sponsor|\bads?\b|abonn|inscri|connect|publicit",
    re.IGNORECASE,
)

# An extractor returns the title, the body text, and the milliseconds the body took.
Extractor = Callable[[bytes], tuple[str, str, float]]


def ingest_extract(raw: bytes) -> tuple[str, str, float]:
    """The whole parse (metadata, cleaning, sanitising) is timed."""
    start = time.perf_counter()
    try:
        item = next(HTMLPageParser().parse(raw, source="bench"))
    except IngestError:
        return "", "", (time.perf_counter() - start) * 1000
    elapsed = (time.perf_counter() - start) * 1000
    article = item.article  # type: ignore[union-attr]
    return article.headline or "", article.body_text, elapsed


def trafilatura_extract(raw: bytes) -> tuple[str, str, float]:
    """Only ``extract`` is timed; the title comes from a separate, untimed metadata call."""
    start = time.perf_counter()
    text = trafilatura.extract(raw) or ""
    elapsed = (time.perf_counter() - start) * 1000
    tree = trafilatura.load_html(raw)
    meta = trafilatura.extract_metadata(tree) if tree is not None else None
    return (meta.title or "") if meta else "", text, elapsed


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def prf(got: str, truth: str) -> tuple[float, float, float]:
    g, t = words(got), words(truth)
    common = sum((g & t).values())
    p = common / sum(g.values()) if g else 0.0
    r = common / sum(t.values()) if t else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def same_title(a: str, b: str) -> bool:
    return " ".join(WORD.findall(a.lower())) == " ".join(WORD.findall(b.lower()))


def score(pages: list[tuple[bytes, dict[str, object]]], extract: Extractor) -> dict[str, float]:
    ps, rs, fs, ms = [], [], [], []
    kept = total_with = leaked = total_without = p_leaked = p_total = titles = 0
    for raw, truth in pages:
        title, body, elapsed = extract(raw)
        ms.append(elapsed)
        p, r, f = prf(body, str(truth["main_content"]))
        ps.append(p)
        rs.append(r)
        fs.append(f)
        low = " ".join(body.lower().split())
        for snippet in truth.get("with") or []:  # type: ignore[attr-defined]
            total_with += 1
            kept += " ".join(snippet.lower().split()) in low
        for snippet in truth.get("without") or []:  # type: ignore[attr-defined]
            hit = " ".join(snippet.lower().split()) in low
            total_without += 1
            leaked += hit
            if PROMPT.search(snippet):
                p_total += 1
                p_leaked += hit
        titles += same_title(title, str(truth.get("title") or ""))
    ms.sort()
    return {
        "precision": statistics.mean(ps),
        "recall": statistics.mean(rs),
        "F1": statistics.mean(fs),
        "with kept": kept / max(total_with, 1),
        "without leaked": leaked / max(total_without, 1),
        "prompts leaked": p_leaked / max(p_total, 1),
        "title accuracy": titles / len(pages),
        "median ms": statistics.median(ms),
        "p95 ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
    }


def load(dataset: Path, limit: int | None) -> list[tuple[str, bytes, dict[str, object]]]:
    pages = []
    for path in sorted((dataset / "html").glob("*.html.gz"))[:limit]:
        stem = path.name.split(".")[0]
        truth = json.loads((dataset / "ground-truth" / f"{stem}.json").read_text())
        if "main_content" not in truth["ground_truth"]:
            print(f"skipped {stem}: its ground truth has no main_content")
            continue
        pages.append((stem, gzip.decompress(path.read_bytes()), truth["ground_truth"]))
    return pages


def report(title: str, pages: list[tuple[str, bytes, dict[str, object]]]) -> None:
    ours = score([(raw, truth) for _, raw, truth in pages], ingest_extract)
    theirs = score([(raw, truth) for _, raw, truth in pages], trafilatura_extract)
    print(f"{len(pages)} pages: {title}")
    print(f"{'metric':<16}{'ingest':>10}{'trafilatura':>13}{'ratio':>9}")
    for key, value in ours.items():
        ratio = value / theirs[key] if theirs[key] else float("nan")
        print(f"{key:<16}{value:>10.3f}{theirs[key]:>13.3f}{ratio:>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--split", action="store_true",
                        help="also report even (tuning) and odd (held-out) pages apart")
    args = parser.parse_args()
    pages = load(args.dataset, args.limit)
    report(str(args.dataset), pages)
    if args.split:
        for name, parity in (("even, tuning half", 0), ("odd, held-out half", 1)):
            print()
            report(name, [p for p in pages if p[0].isdigit() and int(p[0]) % 2 == parity])


if __name__ == "__main__":
    main()
