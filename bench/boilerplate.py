"""Boilerplate rules on real pages: news prompts that leak, article lines wrongly condemned.

Usage: python bench/boilerplate.py DATASET_DIR... [--limit N] [--part tuning|checking]

Per dataset part (``bench/splits.py``) and page language (the ground truth's, else the one
ingest detected), two figures:

- **leaked**: ``without`` snippets that read as a news prompt (subscribing, newsletters,
  cookies, donations, signing in, ads; in AFP's languages, ``PROMPT``) and that are still
  in the body ingest extracts from the page. Lower is better.
- **condemned**: lines of the ground truth's ``main_content`` and its ``with`` snippets
  (article text) that
  ``classify_text`` would remove as boilerplate. Lower is better; a line of several
  sentences condemned is counted apart, as the rules promise never to do that.

Only aggregate figures are printed, so the checking part can be reported without being looked at.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from ingest.clean.boilerplate import classify_text, sentence_count
from ingest.errors import IngestError
from ingest.parsers.base import ParsedItem
from ingest.parsers.html import HTMLPageParser
from ingest.parsers.text import detect_language
from splits import part_of

# Word stems of news prompts in English, French, German, Spanish, Portuguese and Arabic.
PROMPT = re.compile(
    r"subscri|newsletter|cookie|donat|sign[ -]?in|sign[ -]?up|log[ -]?in|register|advert|"
    r"sponsor|\bads?\b|abonn|inscri|connectez|publicit|"
    r"anmeld|einlogg|registrier|spende|anzeige|werbung|"
    r"suscri|bolet[ií]n|inicia sesi|reg[ií]strate|publicidad|don(?:ar|aci[oó]n)|"
    r"assin[ea]|inscreva|cadastr|publicidade|doa[cç][aã]o|"
    r"اشترك|النشرة|الكوكيز|ملفات تعريف الارتباط|تبرع|تسجيل الدخول|إعلان",
    re.IGNORECASE,
)


def pages(dataset: Path, limit: int | None) -> list[tuple[bytes, dict[str, Any], str]]:
    """(page bytes, ground truth, part) for every page of a dataset folder."""
    found: list[tuple[bytes, dict[str, Any], str]] = []
    for path in sorted((dataset / "ground-truth").glob("*.json"))[:limit]:
        record = json.loads(path.read_text())
        html_path = dataset / "html" / f"{path.stem}.html.gz"
        if html_path.exists():
            found.append((gzip.decompress(html_path.read_bytes()), record, part_of(record)))
    return found


def extracted(raw: bytes) -> tuple[str, str | None]:
    """The body ingest keeps, and the language it gave the page."""
    try:
        item = next(HTMLPageParser().parse(raw, source="bench"))
    except IngestError:
        return "", None
    if not isinstance(item, ParsedItem):
        return "", None
    return item.article.body_text, item.article.language


def squeeze(text: str) -> str:
    return " ".join(text.lower().split())


def leaks(snippet: str, body: str) -> bool:
    """The snippet is in the (squeezed) body as whole words: "Subscribe" is not in "subscribers"."""
    return re.search(r"(?<!\w)" + re.escape(squeeze(snippet)) + r"(?!\w)", body) is not None


LANGUAGES = ("en", "fr", "de", "es", "pt", "ar")
FIGURES = ("prompts", "leaked", "lines", "condemned", "prose condemned")


def tally(counts: Counter[tuple[str, str, str, str]], dataset: str, part: str,
          raw: bytes, truth: dict[str, Any]) -> None:
    """Add one page's figures under (dataset, part, language, figure)."""
    prompts = [s for s in truth.get("without") or [] if PROMPT.search(s)]
    body, detected = extracted(raw) if prompts else ("", None)
    article_lines = [line for line in (*str(truth.get("main_content") or "").splitlines(),
                                       *(truth.get("with") or [])) if line.strip()]
    lang = (truth.get("language") or detected
            or detect_language(" ".join(article_lines)) or "").split("-")[0].lower()
    key = (dataset, part, lang if lang in LANGUAGES else "other")
    low = squeeze(body)
    for snippet in prompts:
        counts[(*key, "prompts")] += 1
        counts[(*key, "leaked")] += leaks(snippet, low)
    for line in article_lines:
        condemned = classify_text(line) is not None
        counts[(*key, "lines")] += 1
        counts[(*key, "condemned")] += condemned
        counts[(*key, "prose condemned")] += condemned and sentence_count(line) >= 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--part", choices=("tuning", "checking"))
    args = parser.parse_args()
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for dataset in args.datasets:
        for raw, record, part in pages(dataset, args.limit):
            if not args.part or part == args.part:
                tally(counts, dataset.name, part, raw, record["ground_truth"])
    for (dataset, part, lang, figure), n in list(counts.items()):
        counts[("all", part, lang, figure)] += n
        counts[(dataset, part, "all", figure)] += n
        counts[("all", part, "all", figure)] += n
    print(f"{'dataset':<20}{'part':<10}{'lang':<6}{'prompts':>8}{'leaked':>8}{'rate':>7}"
          f"{'lines':>8}{'condemned':>10}{'rate':>7}{'prose cond.':>12}")
    for dataset, part, lang in sorted({key[:3] for key in counts}):
        asked, leaked, lines, condemned, prose = (counts[(dataset, part, lang, f)]
                                                  for f in FIGURES)
        print(f"{dataset:<20}{part:<10}{lang:<6}{asked:>8}{leaked:>8}"
              f"{leaked / max(asked, 1):>7.1%}{lines:>8}{condemned:>10}"
              f"{condemned / max(lines, 1):>7.2%}{prose:>12}")


if __name__ == "__main__":
    main()
