"""One scorer for every extractor on every page dataset (used by ``bench/extract.py``).

An extractor turns page bytes into an ``Extracted`` (title, author, date, body, ms); the
scorer compares it with the ground truth the datasets share (``title``, ``author``,
``publish_date``, ``main_content``, ``with``, ``without``, ``language``). Each figure is
counted only on pages that have the field, so a set without bodies scores no body F1.

- body: word-level precision / recall / F1 (lower-cased ``\\w+`` tokens, multiset overlap),
  averaged per page;
- snippets: a snippet is found when its lower-cased, whitespace-collapsed text is a
  substring of the body's; news prompts are the ``without`` snippets ``PROMPT`` matches;
- title: the same words in the same order;
- author: every expected name found (all of its name tokens, accents and case folded,
  among the extracted author's tokens) and at least half of the extracted tokens belong to
  an expected name (a whole byline sentence or a site name is wrong);
- date: the same calendar date as ``publish_date`` as the page writes it (its own offset,
  no conversion to UTC).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"\w+")
PROMPT = re.compile(
    r"subscri|newsletter|cookie|donat|contribut|sign[ -]?in|sign[ -]?up|log[ -]?in|"
    r"register|advert|sponsor|\bads?\b|abonn|inscri|connect|publicit",
    re.IGNORECASE,
)
_NAME_SEPARATORS = re.compile(r"\s*(?:[,;/&|]|\band\b|\bund\b|\bet\b|\by\b|\be\b)\s*", re.I)
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(slots=True)
class Extracted:
    """What an extractor found on one page, and the milliseconds it took."""

    title: str = ""
    author: str = ""
    date: str = ""
    body: str = ""
    ms: float = 0.0


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def prf(got: str, truth: str) -> tuple[float, float, float]:
    g, t = words(got), words(truth)
    common = sum((g & t).values())
    p = common / sum(g.values()) if g else 0.0
    r = common / sum(t.values()) if t else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def same_title(got: str, truth: str) -> bool:
    return " ".join(WORD.findall(got.lower())) == " ".join(WORD.findall(truth.lower()))


def _name_tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return [t for t in WORD.findall(plain) if not t.isdigit()]


def same_author(got: str, truth: str) -> bool:
    """Every expected name found, and the extracted byline mostly made of those names."""
    names = [_name_tokens(n) for n in _NAME_SEPARATORS.split(truth)]
    names = [n for n in names if n]
    got_tokens = _name_tokens(got)
    if not names or not got_tokens:
        return False
    have = set(got_tokens)
    if not all(set(name) <= have for name in names):
        return False
    expected = {t for name in names for t in name}
    return sum(t in expected for t in got_tokens) >= 0.5 * len(got_tokens)


def calendar_day(value: str) -> str | None:
    """``YYYY-MM-DD`` of an ISO 8601 date or timestamp as written (its own offset)."""
    match = _ISO_DAY.search(value or "")
    if match is None:
        return None
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def same_date(got: str, truth: str) -> bool:
    day = calendar_day(got)
    return day is not None and day == calendar_day(truth)


def flat(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(slots=True)
class Tally:
    """Running counts for one extractor on one group of pages."""

    pages: int = 0
    body: list[tuple[float, float, float]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    ms: list[float] = field(default_factory=list)

    def add(self, got: Extracted, truth: dict[str, Any]) -> None:
        self.pages += 1
        self.ms.append(got.ms)
        if truth.get("main_content"):
            self.body.append(prf(got.body, str(truth["main_content"])))
        body = flat(got.body)
        for snippet in truth.get("with") or []:
            self.counts["with"] += 1
            self.counts["with kept"] += flat(snippet) in body
        for snippet in truth.get("without") or []:
            hit = flat(snippet) in body
            self.counts["without"] += 1
            self.counts["without leaked"] += hit
            if PROMPT.search(snippet):
                self.counts["prompts"] += 1
                self.counts["prompts leaked"] += hit
        for key, check in (("title", same_title), ("author", same_author),
                           ("publish_date", same_date)):
            if truth.get(key):
                self.counts[key] += 1
                self.counts[key + " ok"] += check(getattr(got, key if key != "publish_date"
                                                          else "date"), str(truth[key]))

    def merge(self, other: Tally) -> None:
        self.pages += other.pages
        self.body.extend(other.body)
        self.counts.update(other.counts)
        self.ms.extend(other.ms)

    def figures(self) -> dict[str, tuple[float | None, int]]:
        """Each figure with the number of pages or snippets it is measured on."""
        def share(hit: str, total: str) -> tuple[float | None, int]:
            n = self.counts[total]
            return (self.counts[hit] / n if n else None), n

        out: dict[str, tuple[float | None, int]] = {}
        for i, name in enumerate(("body P", "body R", "body F1")):
            out[name] = ((statistics.mean(b[i] for b in self.body) if self.body else None),
                         len(self.body))
        out["with kept"] = share("with kept", "with")
        out["without leaked"] = share("without leaked", "without")
        out["prompts leaked"] = share("prompts leaked", "prompts")
        out["title"] = share("title ok", "title")
        out["author"] = share("author ok", "author")
        out["date"] = share("publish_date ok", "publish_date")
        ms = sorted(self.ms)
        out["median ms"] = (statistics.median(ms) if ms else None), len(ms)
        out["p95 ms"] = (ms[min(len(ms) - 1, int(0.95 * len(ms)))] if ms else None), len(ms)
        return out
