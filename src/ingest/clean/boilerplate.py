"""Boilerplate recognition driven by the rule files in ``clean/rules`` (data, not code).

Two kinds of evidence: phrases in a text block (``en.yaml``, ``fr.yaml``...) and tokens
in an element's class/id (``structure.yaml``). The rules are compiled once. Parsers use
``classify_text`` and ``classify_blocks`` for text and ``classify_attrs`` for elements, and
report what they remove as ``Stripped`` so an editor can audit it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from ingest.parsers.base import Stripped

KINDS: tuple[str, ...] = (
    "donation_appeal",
    "paywall_prompt",
    "subscription_prompt",
    "newsletter_signup",
    "cookie_notice",
    "share_prompt",
    "related_links",
    "advertisement",
    "comments_prompt",
    "app_promo",
    "signoff",
    "other",
)

# A one-word phrase ("cookies") only condemns a label-sized block; a longer phrase
# ("we need your help") condemns a block up to a short paragraph.
WORD_PHRASE_MAX_CHARS = 100
PHRASE_MAX_CHARS = 320

_QUOTES = re.compile("[’‘ʼ\u00a0]")
_SPLIT = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True, slots=True)
class Rules:
    """Compiled rules: per kind, one regex for word phrases and one for longer phrases."""

    short_phrases: tuple[tuple[str, re.Pattern[str]], ...]
    long_phrases: tuple[tuple[str, re.Pattern[str]], ...]
    tokens: dict[str, str]
    hyphenated: tuple[tuple[str, str], ...]
    drop_tags: frozenset[str]
    control_tags: frozenset[str]
    furniture_tags: dict[str, str]


def _load(name: str) -> dict[str, Any]:
    text = resources.files("ingest.clean").joinpath("rules", name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _alternation(phrases: Sequence[str]) -> re.Pattern[str]:
    escaped = sorted((re.escape(fold(p)) for p in phrases), key=len)
    return re.compile(r"(?<!\w)(?:" + "|".join(reversed(escaped)) + r")(?!\w)")


@cache
def rules() -> Rules:
    """All rule files, compiled once per process."""
    by_kind_short: dict[str, list[str]] = {}
    by_kind_long: dict[str, list[str]] = {}
    for entry in sorted(resources.files("ingest.clean").joinpath("rules").iterdir(),
                        key=lambda e: e.name):
        if not entry.name.endswith(".yaml") or entry.name == "structure.yaml":
            continue
        for kind, phrases in _load(entry.name)["phrases"].items():
            if kind not in KINDS:
                raise ValueError(f"{entry.name}: unknown boilerplate kind {kind!r}")
            for phrase in phrases:
                target = by_kind_long if " " in phrase.strip() else by_kind_short
                target.setdefault(kind, []).append(phrase)
    structure = _load("structure.yaml")
    tokens: dict[str, str] = {}
    hyphenated: list[tuple[str, str]] = []
    for kind, words in structure["tokens"].items():
        for word in words:
            if "-" in word:
                hyphenated.append((word, kind))
            else:
                tokens.setdefault(word, kind)
    furniture = {tag: kind for kind, tags in structure["furniture_tags"].items() for tag in tags}
    return Rules(
        short_phrases=tuple((k, _alternation(v)) for k, v in by_kind_short.items()),
        long_phrases=tuple((k, _alternation(v)) for k, v in by_kind_long.items()),
        tokens=tokens,
        hyphenated=tuple(hyphenated),
        drop_tags=frozenset(structure["drop_tags"]),
        control_tags=frozenset(structure["control_tags"]),
        furniture_tags=furniture,
    )


def fold(text: str) -> str:
    """Lower-cased text with curly quotes and no-break spaces folded, as rules are matched."""
    return _QUOTES.sub(_unquote, text).lower()


def _unquote(match: re.Match[str]) -> str:
    return " " if match.group() == "\u00a0" else "'"


def classify_text(text: str) -> str | None:
    """The boilerplate kind of one text block, or None when it reads like article text."""
    size = len(text)
    if size > PHRASE_MAX_CHARS or not text.strip():
        return None
    folded = fold(text)
    compiled = rules()
    for kind, pattern in compiled.long_phrases:
        if pattern.search(folded):
            return kind
    if size <= WORD_PHRASE_MAX_CHARS:
        for kind, pattern in compiled.short_phrases:
            if pattern.search(folded):
                return kind
    return None


def classify_blocks(texts: Sequence[str]) -> list[str | None]:
    """Kinds for a run of blocks, with appeals spread to the blocks they enclose.

    A donation appeal or paywall box is several paragraphs of which only some carry a
    telltale phrase; a block sitting between two blocks of the same kind belongs to that box too.
    """
    kinds = [classify_text(t) for t in texts]
    spread = list(kinds)
    for i in range(1, len(kinds) - 1):
        kind = kinds[i - 1]
        enclosed = kinds[i] is None and kind is not None and kinds[i + 1] == kind
        if enclosed and len(texts[i]) <= PHRASE_MAX_CHARS:
            spread[i] = kind
    return spread


@lru_cache(maxsize=8192)
def classify_attrs(attrs: str) -> str | None:
    """The boilerplate kind an element's class/id/role names, or None."""
    compiled = rules()
    for token in _SPLIT.split(attrs.lower().replace("_", "-")):
        if not token:
            continue
        bounded = f"-{token}-"
        for word, kind in compiled.hyphenated:
            if f"-{word}-" in bounded:
                return kind
        for part in (token, *token.split("-")):
            found = compiled.tokens.get(part)
            if found is not None:
                return found
    return None


def audit(kind: str, text: str) -> Stripped:
    """One audit entry, with the text's whitespace collapsed and capped for the record."""
    return Stripped(kind, " ".join(text.split())[:2000])
