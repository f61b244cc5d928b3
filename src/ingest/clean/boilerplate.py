"""Boilerplate recognition driven by the rule files in ``clean/rules`` (data, not code).

Two kinds of evidence: phrases in a text block (``en.yaml``, ``fr.yaml``...) and tokens
in an element's class/id (``structure.yaml``). The rules are compiled once. Parsers use
``classify_text`` and ``classify_blocks`` for text and ``classify_attrs`` for elements, and
report what they remove as ``Stripped`` so an editor can audit it.

A phrase condemns a sentence, not a paragraph: a sentence counts as boilerplate when the
calls found in it cover a fair share of it (a prompt is short and made of its call; prose
that mentions "subscribe" is not), and a block only when most of its sentences do. Each
language file has two tiers: ``phrases`` (calls and notices) and ``context`` (prices, "most
popular": words prose uses too). Context words alone condemn only a bare label ("Most
read"); in a block with a call, sentences holding them count on the call's side.
"""

from __future__ import annotations

import re
from collections import Counter
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

# A sentence is boilerplate when its phrases cover this share of its characters...
MIN_COVERAGE = 0.2
# ...or, with context phrases only, when it is little more than them (a label: "Most read").
LABEL_COVERAGE = 0.75
# Longer sentences are prose whatever they mention; longer blocks are never one prompt.
MAX_SENTENCE_CHARS = 320
MAX_BLOCK_CHARS = 1000
# A phrase-less block is taken into a box of boilerplate around it only when this short.
MAX_ENCLOSED_CHARS = 320

_QUOTES = re.compile("[’‘ʼ\u00a0]")
_SPLIT = re.compile(r"[^a-z0-9-]+")
# Sentences end at Latin/Arabic marks followed by a space (or the end), or at CJK marks.
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|(?<=[。！？])")
# A call opening a block and followed by one of these is the block's label ("Read more: ...").
_LABEL_END = re.compile(r"\s*(?:[:：|–—]|-\s)")


@dataclass(frozen=True, slots=True)
class Rules:
    """Compiled rules: per tier, one pattern of all phrases and the kind of each phrase."""

    calls: re.Pattern[str]
    context: re.Pattern[str]
    kind_of: dict[str, str]
    tokens: dict[str, str]
    hyphenated: tuple[tuple[str, str], ...]
    subject_prefixes: frozenset[str]
    drop_tags: frozenset[str]
    control_tags: frozenset[str]
    furniture_tags: dict[str, str]


def _load(name: str) -> dict[str, Any]:
    text = resources.files("ingest.clean").joinpath("rules", name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _overlapping(phrases: Sequence[str]) -> re.Pattern[str]:
    """One pattern finding every phrase at every position (a lookahead, so matches overlap).

    The phrases are merged into a trie first, so a position costs one walk down it rather
    than a try of each of the hundreds of phrases.
    """
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}
    return re.compile(r"(?<!\w)(?=(" + _trie_pattern(trie) + r"))")


def _trie_pattern(node: dict[str, Any]) -> str:
    """The regex of one trie node, longest matches first, each ending at a word boundary."""
    branches = [re.escape(char) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if "" in node:
        branches.append(r"(?!\w)")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


@cache
def rules() -> Rules:
    """All rule files, compiled once per process."""
    tiers: dict[str, list[str]] = {"phrases": [], "context": []}
    kind_of: dict[str, str] = {}
    for entry in sorted(resources.files("ingest.clean").joinpath("rules").iterdir(),
                        key=lambda e: e.name):
        if not entry.name.endswith(".yaml") or entry.name == "structure.yaml":
            continue
        data = _load(entry.name)
        for tier, phrases_of in tiers.items():
            for kind, phrases in (data.get(tier) or {}).items():
                if kind not in KINDS:
                    raise ValueError(f"{entry.name}: unknown boilerplate kind {kind!r}")
                for phrase in map(fold, phrases):
                    phrases_of.append(phrase)
                    kind_of.setdefault(phrase, kind)
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
        calls=_overlapping(tiers["phrases"]),
        context=_overlapping(tiers["context"]),
        kind_of=kind_of,
        tokens=tokens,
        hyphenated=tuple(hyphenated),
        subject_prefixes=frozenset(structure["subject_prefixes"]),
        drop_tags=frozenset(structure["drop_tags"]),
        control_tags=frozenset(structure["control_tags"]),
        furniture_tags=furniture,
    )


def fold(text: str) -> str:
    """Lower-cased text with curly quotes and no-break spaces folded, as rules are matched."""
    return _QUOTES.sub(_unquote, text).lower()


def _unquote(match: re.Match[str]) -> str:
    return " " if match.group() == "\u00a0" else "'"


def sentences(text: str) -> list[str]:
    """The sentences of a text, cut at ``.!?`` + space, ``؟`` and ``。！？`` (no space needed)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if any(c.isalnum() for c in s)]


def sentence_count(text: str) -> int:
    return len(sentences(text))


def _covered(pattern: re.Pattern[str], sentence: str) -> tuple[int, list[str]]:
    """Characters of ``sentence`` inside some phrase of ``pattern``, and the phrases found."""
    spans: list[tuple[int, int]] = []
    found: list[str] = []
    for match in pattern.finditer(sentence):
        spans.append(match.span(1))
        found.append(match.group(1))
    covered = end = 0
    for start, stop in spans:  # finditer yields them by start
        if stop > end:
            covered += stop - max(start, end)
            end = stop
    return covered, found


def _sentence_kind(sentence: str) -> tuple[str | None, str | None]:
    """(kind the folded sentence is, kind its context words hint at); see the module docstring."""
    size = len(sentence)
    if size > MAX_SENTENCE_CHARS:
        return None, None
    compiled = rules()
    called, calls = _covered(compiled.calls, sentence)
    context, contexts = _covered(compiled.context, sentence)
    hint = compiled.kind_of[contexts[0]] if contexts else None
    if calls and called >= MIN_COVERAGE * size:
        return Counter(compiled.kind_of[c] for c in calls).most_common(1)[0][0], hint
    if contexts and context >= LABEL_COVERAGE * size:
        return hint, hint
    return None, hint


def _evidence(text: str) -> tuple[str | None, str | None]:
    """(kind the block is on its own, kind some sentence of it names) for one block.

    Once a sentence of the block is a call, its sentences with context words count too
    ("Please subscribe. Choose a $60 annual subscription.").
    """
    if len(text) > MAX_BLOCK_CHARS or not text.strip():
        return None, None
    folded = fold(text).strip()
    compiled = rules()
    label = compiled.calls.search(folded)
    if label is None and compiled.context.search(folded) is None:
        return None, None  # most blocks: no phrase at all
    if label and label.start() == 0 and len(folded) <= MAX_ENCLOSED_CHARS and (
            _LABEL_END.match(folded, label.end(1))):
        kind = compiled.kind_of[label.group(1)]  # "Read more: ...", "ANZEIGE - ..."
        return kind, kind
    found = [_sentence_kind(s) for s in sentences(folded)]
    named = [kind for kind, _ in found if kind is not None]
    if not named:
        return None, None
    hinted = sum(1 for kind, hint in found if kind is None and hint is not None)
    kind = Counter(named).most_common(1)[0][0]
    return (kind if 2 * (len(named) + hinted) > len(found) else None), kind


def classify_text(text: str) -> str | None:
    """The boilerplate kind of one text block, or None when it reads like article text."""
    return _evidence(text)[0]


def classify_blocks(texts: Sequence[str]) -> list[str | None]:
    """Kinds for a run of blocks, with a box of boilerplate spread over its blocks.

    An appeal or paywall box is several blocks of which only some are prompts on their own.
    Next to a condemned block, a block that names the same kind in one of its sentences
    joins it, and so does a short phrase-less block between it and another such block.
    """
    evidence = [_evidence(t) for t in texts]
    kinds = [alone for alone, _ in evidence]
    named = [some for _, some in evidence]
    changed = True
    while changed:
        changed = False
        for i, text in enumerate(texts):
            if kinds[i] is not None:
                continue
            before = kinds[i - 1] if i else None
            after = kinds[i + 1] if i + 1 < len(texts) else None
            for kind, other in ((before, i + 1), (after, i - 1)):
                if kind is None:
                    continue
                beside = 0 <= other < len(texts) and kind in (kinds[other], named[other])
                if named[i] == kind or (beside and named[i] is None
                                        and len(text) <= MAX_ENCLOSED_CHARS):
                    kinds[i] = kind
                    changed = True
                    break
    return kinds


@lru_cache(maxsize=8192)
def classify_attrs(attrs: str) -> str | None:
    """The boilerplate kind an element's class/id/role names, or None.

    A weak signal: parsers keep a named element that holds prose or much of the page.
    """
    compiled = rules()
    for token in _SPLIT.split(attrs.lower().replace("_", "-")):
        if not token:
            continue
        bounded = f"-{token}-"
        for word, kind in compiled.hyphenated:
            if f"-{word}-" in bounded:
                return kind
        parts = token.split("-")
        if len(parts) > 1 and parts[0] in compiled.subject_prefixes:
            continue
        for part in (token, *parts):
            found = compiled.tokens.get(part)
            if found is not None:
                return found
    return None


def audit(kind: str, text: str) -> Stripped:
    """One audit entry, with the text's whitespace collapsed and capped for the record."""
    return Stripped(kind, " ".join(text.split())[:2000])
