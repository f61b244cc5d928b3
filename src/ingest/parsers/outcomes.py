"""The per-item error rule every multi-item format follows.

A file holding one item fails as a whole (``IngestError`` propagates); in a file holding
several (a newsMessage, an API Core page, a NewsML 1.2 file with many NewsItems) a bad
item becomes a ``ParseFailure`` and the others still go through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ingest.errors import IngestError
from ingest.parsers.base import ParsedItem, ParseFailure, ParseOutcome

T = TypeVar("T")


def each_item(
    items: Sequence[T],
    build: Callable[[T], ParsedItem],
    ref: Callable[[int, T], str],
    *,
    many: bool,
) -> list[ParseOutcome]:
    """Build every item; with ``many``, item errors become ``ParseFailure``s."""
    outcomes: list[ParseOutcome] = []
    for index, item in enumerate(items):
        if not many:
            outcomes.append(build(item))
            continue
        try:
            outcomes.append(build(item))
        except IngestError as exc:
            outcomes.append(ParseFailure(exc.reason, exc.detail, ref(index, item)))
    return outcomes
