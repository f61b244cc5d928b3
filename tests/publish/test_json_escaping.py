"""Every JSON ingest publishes or prints escapes U+2028, U+2029 and U+0085 (and the JSON
feeds ``<``): no raw line break a JavaScript parser or a line reader would split on, and
the same value once parsed.

Each output is produced by its own real path (``ingest parse``, the two JSON feed
formatters, the article-version writer, an HTTP push to a local server) from a record
written here whose strings hold those characters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_publish_push import Endpoint, serve  # the push tests' local HTTP endpoint

from ingest.cli import main
from ingest.jsonout import dumps
from ingest.model import Article
from ingest.publish.articles import dump_json
from ingest.publish.formats import FeedMeta, feed_format, make_entry
from ingest.publish.partners import Partner, PushTarget, Rights
from ingest.publish.push import Pusher, RetryPolicy
from ingest.validate import ninjs_errors

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BREAKS = "\u2028\u2029\u0085"
RAW = [ch.encode() for ch in BREAKS]  # their UTF-8 bytes: e2 80 a8, e2 80 a9, c2 85
HEADLINE = "Line\u2028sep\u2029para\u0085next <b>"
BODY = "<p>One\u2028two\u2029three\u0085four</p>"


def _raw_breaks(data: bytes) -> list[bytes]:
    return [raw for raw in RAW if raw in data]


def _article() -> Article:
    return Article(uri="urn:newsml:afp.com:20261127:TX-JSON1", headline=HEADLINE,
                   body_html=BODY, language="en", provider="AFP", version_created=NOW)


def test_dumps_escapes_and_round_trips() -> None:
    value = {"text": HEADLINE, "list": [BODY, "\u2028"], "n": 1}
    text = dumps(value)
    assert not _raw_breaks(text.encode())
    assert "\\u2028" in text and "\\u2029" in text and "\\u0085" in text and "<b>" in text
    assert json.loads(text) == value
    safe = dumps(value, html_safe=True)
    assert "<" not in safe and "\\u003cb>" in safe
    assert json.loads(safe) == value


def test_ingest_parse_writes_one_line_per_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / f"story{BREAKS}.txt"  # the path itself is in every record
    good.write_text(f"{HEADLINE}\n\n{BODY[3:-4]} More words make this a paragraph.\n",
                    encoding="utf-8")
    missing = tmp_path / f"gone{BREAKS}.txt"
    main(["parse", "--format", "text", str(good), str(missing)])
    out = capsys.readouterr().out
    assert not _raw_breaks(out.encode())
    lines = out.splitlines()  # splits on U+2028, U+2029 and U+0085 too
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["source"] for r in records] == [str(good), str(missing)]
    headline = records[0]["ninjs"]["headlines"][0]["value"]
    assert "\u2028" in headline and "\u2029" in headline  # kept, only escaped
    assert records[1]["error"]["reason"]


@pytest.mark.parametrize("fmt", ["jsonfeed", "ninjs"])
def test_json_feeds_escape_breaks_and_angle_brackets(fmt: str) -> None:
    meta = FeedMeta("demo", f"Demo{BREAKS}<i>", "https://feeds.example.com/feeds/demo/x",
                    "https://feeds.example.com/feeds/demo/", NOW)
    data = feed_format(fmt).render(meta, [make_entry(_article(), "item", NOW)])
    assert not _raw_breaks(data)
    assert b"<" not in data  # safe inside an HTML <script> block
    doc = json.loads(data)
    # feeds drop C1 controls (U+0085 among them) from every string; U+2028/9 stay
    assert doc["title"] == "Demo\u2028\u2029<i>"
    item = doc["items"][0]
    if fmt == "jsonfeed":
        assert item["title"] == "Line\u2028sep\u2029paranext <b>"
        assert item["content_html"] == "<p>One\u2028two\u2029threefour</p>"
    else:
        assert item["headlines"][0]["value"] == "Line\u2028sep\u2029paranext <b>"
        assert ninjs_errors(item) == []


def test_article_versions_escape_breaks() -> None:
    document = _article().to_ninjs()
    data = dump_json(document)
    assert not _raw_breaks(data)
    assert json.loads(data) == document
    assert document["headlines"][0]["value"] == HEADLINE  # the characters were there


def test_push_bodies_escape_breaks() -> None:
    with serve(Endpoint()) as endpoint:
        partner = Partner(id="hooked", name="Hooked", formats=("rss",), max_items=10,
                          max_age=timedelta(days=1), rights=Rights(providers=("*",)),
                          push=PushTarget(endpoint.url, "PUSH_SECRET"))
        with Pusher(policy=RetryPolicy(attempts=1), environ={"PUSH_SECRET": "s"}) as pusher:
            entry = make_entry(_article(), "item", NOW)
            [outcome] = pusher.submit(partner, [entry]).result(30)
    assert outcome.delivered
    [(_entry, _signature, body)] = endpoint.requests
    assert not _raw_breaks(body)
    pushed = json.loads(body)
    assert pushed["headlines"][0]["value"] == "Line\u2028sep\u2029paranext <b>"
    assert len(body.decode().splitlines()) == 1
