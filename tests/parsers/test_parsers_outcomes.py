"""The per-item rule of multi-item files: a bad item, or one that crashes the parser, is
that item's ``ParseFailure``; the file's other items still go through."""

from __future__ import annotations

import logging

import pytest

from ingest.errors import IngestError, Reason
from ingest.model import Article
from ingest.parsers.base import ParsedItem, ParseFailure
from ingest.parsers.outcomes import each_item


def build(number: str) -> ParsedItem:
    """An item whose id must be a number: ``int("x")`` is a real crash, not bad input."""
    if not number:
        raise IngestError(Reason.MISSING_ID, "item has no id")
    return ParsedItem(Article(uri=f"urn:test:{int(number)}", headline="Quake"))


def ref(index: int, number: str) -> str:
    return f"item[{index}]"


def test_a_crash_in_one_item_of_many_is_that_items_internal_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="ingest.parsers.outcomes"):
        results = each_item(["1", "x", "", "4"], build, ref, many=True)
    assert [type(r).__name__ for r in results] == [
        "ParsedItem", "ParseFailure", "ParseFailure", "ParsedItem"
    ]
    crashed, missing = results[1], results[2]
    assert isinstance(crashed, ParseFailure) and isinstance(missing, ParseFailure)
    assert (crashed.reason, crashed.ref) == (Reason.INTERNAL_ERROR, "item[1]")
    # "crash <digest> <type> at <file>:<function>: <message>"
    crash, digest, kind, at, where, message = crashed.detail.split(" ", 5)
    assert (crash, kind, at) == ("crash", "ValueError", "at")
    assert where == "test_parsers_outcomes.py:build:"
    assert len(digest) == 12
    assert message == "invalid literal for int() with base 10: 'x'"
    assert (missing.reason, missing.ref) == (Reason.MISSING_ID, "item[2]")
    assert [r.article.uri for r in results if isinstance(r, ParsedItem)] == [
        "urn:test:1", "urn:test:4"
    ]
    [record] = caplog.records
    assert record.getMessage() == "item item[1] crashed the parser"
    assert record.exc_info is not None  # the traceback goes to the log


def test_a_file_of_one_item_fails_as_a_whole() -> None:
    with pytest.raises(IngestError) as caught:
        each_item([""], build, ref, many=False)
    assert caught.value.reason == Reason.MISSING_ID
