"""The per-item error rule every multi-item format follows.

A file holding one item fails as a whole (``IngestError`` propagates); in a file holding
several (a newsMessage, an API Core page, a NewsML 1.2 file with many NewsItems) a bad
item becomes a ``ParseFailure`` and the others still go through. So does an item that
crashes the parser (a bug, not bad input): an ``INTERNAL_ERROR`` led by its crash digest
(``crash_error``), the traceback logged, so one item's bug does not cost the file's rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from ingest.errors import IngestError, crash_error
from ingest.parsers.base import ParsedItem, ParseFailure, ParseOutcome

T = TypeVar("T")
log = logging.getLogger(__name__)


def each_item(
    items: Sequence[T],
    build: Callable[[T], ParsedItem],
    ref: Callable[[int, T], str],
    *,
    many: bool,
) -> list[ParseOutcome]:
    """Build every item; with ``many``, item errors and crashes become ``ParseFailure``s."""
    outcomes: list[ParseOutcome] = []
    for index, item in enumerate(items):
        if not many:
            outcomes.append(build(item))
            continue
        try:
            outcomes.append(build(item))
        except IngestError as exc:
            outcomes.append(ParseFailure(exc.reason, exc.detail, ref(index, item)))
        except Exception as exc:
            where = ref(index, item)
            log.exception("item %s crashed the parser", where)
            error = crash_error(exc)
            outcomes.append(ParseFailure(error.reason, error.detail, where))
    return outcomes
