"""A parser that crashes on some items: each becomes an ``internal_error`` quarantine row
with its crash digest, and the rest of the batch is recorded.

The crash is real and goes through the real seam: a parser module with a bug is
registered for ``afp-api`` in the dispatch table (``ingest.parsers._PARSERS``, the
``get_parser`` cache cleared around the test) and imported by ``get_parser`` like any.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest import parsers
from ingest.config import Settings
from ingest.pipeline import ingest_items
from ingest.runtime import Runtime
from ingest.sources.base import RawItem

REPO = Path(__file__).resolve().parents[2]
AFP = REPO / "tests" / "fixtures" / "afp"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WIND_FARM = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"  # api-story-v1.json, revision 1
SNCF = "urn:newsml:afp.com:20261127T093000Z:doc-39xl7fr"  # g2-french.xml, version 2

# The bug: the first doc's photo is read before checking the doc has any. The docs of
# api-french.json and api-embargoed.json have no "bagItem"; api-story-v1.json's has one.
BUGGY_PARSER = '''
import json

from ingest.parsers.afp_api import AFPAPIParser


class PhotoFirstParser:
    name = "afp-api"

    def parse(self, raw, *, source):
        lead_photo = json.loads(raw)["response"]["docs"][0]["bagItem"][0]
        assert lead_photo["uno"]
        return AFPAPIParser().parse(raw, source=source)
'''


@pytest.fixture
def buggy_api_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "photo_first_parser.py").write_text(textwrap.dedent(BUGGY_PARSER))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(parsers._PARSERS, "afp-api", ("photo_first_parser", "PhotoFirstParser"))
    parsers.get_parser.cache_clear()
    yield
    parsers.get_parser.cache_clear()


@pytest.fixture
def runtime(tmp_path: Path, sqlite_url: str) -> Iterator[Runtime]:
    rt = Runtime(Settings.from_env({
        "INGEST_HOME": str(tmp_path / "home"),
        "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_REGISTRY_URL": sqlite_url,
        "INGEST_STORE_URL": (tmp_path / "store").as_uri(),
    }))
    rt.registry.upgrade()
    yield rt
    rt.close()


def item(name: str, fmt: str = "auto") -> RawItem:
    return RawItem("drop", name, (AFP / name).read_bytes(), fmt)


def test_a_parser_crash_is_quarantined_with_its_digest_and_the_batch_goes_on(
    buggy_api_parser: None, runtime: Runtime
) -> None:
    batch = [
        item("api-french.json", "afp-api"),  # crashes
        item("api-story-v1.json", "afp-api"),  # has a photo: parses
        item("api-embargoed.json", "afp-api"),  # crashes, at the same place
        item("g2-french.xml"),  # another format, its own parser
    ]
    report = ingest_items(batch, registry=runtime.registry, store=runtime.store, received_at=NOW)

    assert report.raw_items == 4
    assert report.quarantined == {"internal_error": 2}
    assert report.results == {"new": 2}
    wind_farm, sncf = runtime.registry.latest(WIND_FARM), runtime.registry.latest(SNCF)
    assert wind_farm is not None and wind_farm.version == 1
    assert sncf is not None and sncf.version == 2

    rows = {row.detail.partition(":")[0]: row for row in
            runtime.registry.quarantined(reason="internal_error")}
    assert sorted(rows) == ["api-embargoed.json", "api-french.json"]
    digests = set()
    for name, row in rows.items():
        assert row.source == "drop"
        assert row.raw_key.startswith("raw/drop/2026/11/27/")
        # "<name>: crash <digest> <type> at <file>:<function>: <message>"
        _, crash, digest, kind, at, where, message = row.detail.split(" ", 6)
        assert (crash, kind, at) == ("crash", "KeyError", "at")
        assert where == "photo_first_parser.py:PhotoFirstParser.parse:"
        assert message == "'bagItem'"
        assert len(digest) == 12 and set(digest) <= set("0123456789abcdef"), name
        digests.add(digest)
    assert len(digests) == 1  # one bug, one digest, whichever item hit it


# A parser bug that shows only when the article is turned into ninjs: a date left as text.
TEXT_DATE_PARSER = '''
from ingest.model import Article
from ingest.parsers.base import ParsedItem


class TextDateParser:
    name = "text"

    def parse(self, raw, *, source):
        when = raw.decode().splitlines()[0]
        yield ParsedItem(Article(uri="urn:test:" + when, headline="Quake", version_created=when))
'''


def test_a_crash_in_ninjs_of_one_article_is_quarantined_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    (tmp_path / "text_date_parser.py").write_text(textwrap.dedent(TEXT_DATE_PARSER))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(parsers._PARSERS, "text", ("text_date_parser", "TextDateParser"))
    parsers.get_parser.cache_clear()
    try:
        report = ingest_items(
            [RawItem("drop", "page.txt", b"2026-11-27\n", "text"), item("g2-french.xml")],
            registry=runtime.registry, store=runtime.store, received_at=NOW,
        )
    finally:
        parsers.get_parser.cache_clear()
    assert report.quarantined == {"internal_error": 1}
    assert report.results == {"new": 1}
    [row] = runtime.registry.quarantined(reason="internal_error")
    assert row.detail.startswith("page.txt: crash ")
    assert " AttributeError at " in row.detail and "'str' object has no attribute" in row.detail
    assert runtime.registry.latest(SNCF) is not None


def test_the_dispatch_table_is_restored_after_the_crash_test() -> None:
    """The fixture's seam leaves the real parser in place for every other test."""
    assert parsers._PARSERS["afp-api"] == ("ingest.parsers.afp_api", "AFPAPIParser")
    assert type(parsers.get_parser("afp-api")).__name__ == "AFPAPIParser"
