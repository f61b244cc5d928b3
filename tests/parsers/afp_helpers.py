"""Shared helpers for the AFP parser tests: fixture loading and full parsing."""

from __future__ import annotations

from pathlib import Path

from ingest.parsers import ParsedItem, ParseOutcome, parse_bytes
from ingest.validate import validate_ninjs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "afp"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def outcomes(name: str) -> list[ParseOutcome]:
    return list(parse_bytes(load(name), source=name))


def only(name: str) -> ParsedItem:
    """The single article of a fixture, checked against the ninjs 3.1 schema."""
    [item] = outcomes(name)
    assert isinstance(item, ParsedItem), item
    validate_ninjs(item.article.to_ninjs())
    return item


def articles(name: str) -> list[ParsedItem]:
    """Every article of a multi-item fixture, each checked against ninjs 3.1."""
    items = [o for o in outcomes(name) if isinstance(o, ParsedItem)]
    for item in items:
        validate_ninjs(item.article.to_ninjs())
    return items
