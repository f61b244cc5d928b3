"""Each W3C Feed Validator rule in ``w3c_rules`` can fail: a feed ingest writes passes it,
and the same feed broken in the one way the rule is about fails it with the validator's
message name. The valid feeds are rendered here from a hand-written story."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonfeed_rules import JSONFEED_RULES
from lxml import etree
from w3c_rss import CONTENT, DC, MEDIA, RSS_RULES
from w3c_rules import ATOM, ATOM_RULES

from ingest.model import Article, Picture, Rendition
from ingest.publish.formats import FeedMeta, feed_format, make_entry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
A = ATOM


def _rendered(fmt: str) -> bytes:
    story = Article(uri="urn:newsml:afp.com:20261127:TX-1", version=1, version_created=NOW,
                    headline="Rail strike", language="fr", byline="Anna SMITH",
                    body_html="<p>Trains stopped.</p>",
                    canonical_url="https://www.example.org/strike",
                    pictures=[Picture("urn:x:photo", caption="Platform", credit="AFP",
                                      renditions=[Rendition("hd", "https://m.example.org/p.jpg",
                                                            "image/jpeg", 1200, 800, 1234)])])
    meta = FeedMeta("w3c", "W3C Wire", "https://feeds.example.com/w3c/x",
                    "https://feeds.example.com/w3c/", NOW)
    return feed_format(fmt).render(meta, [make_entry(story, "item", NOW)])


Mutate = Callable[[etree._Element], None]


def _first(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path)
    assert found is not None, path
    return found


def _append(path: str, tag: str, text: str | None = None, **attrs: str) -> Mutate:
    def mutate(root: etree._Element) -> None:
        etree.SubElement(_first(root, path), tag, attrs).text = text
    return mutate


def _set(path: str, text: str | None = None, **attrs: str) -> Mutate:
    def mutate(root: etree._Element) -> None:
        el = _first(root, path)
        if text is not None:
            el.text = text
        el.attrib.update(attrs)
    return mutate


def _move_title_after_entry(root: etree._Element) -> None:
    root.append(_first(root, f"{A}title"))


E, L = f"{A}entry", f"{A}entry/{A}link[@rel='enclosure']"
BROKEN_XML: list[tuple[str, str, Mutate, str]] = [  # format, rule, how to break, message
    ("atom", "UndefinedElement", _append(E, f"{A}pubDate", "x"), "UndefinedElement"),
    ("atom", "UnexpectedAttribute", _set(f"{E}/{A}category", href="x"), "UnexpectedAttribute"),
    ("atom", "MisplacedMetadata", _move_title_after_entry, "MisplacedMetadata"),
    ("atom", "UnexpectedWhitespace", _set(f"{E}/{A}updated", " 2026-11-27T12:00:00Z"),
     "UnexpectedWhitespace"),
    ("atom", "InvalidTAG", _set(f"{E}/{A}id", "tag:Feeds.Example.com,2026:x"), "InvalidTAG"),
    ("atom", "InvalidLink", _set(L, href="https://m.example.org/a b.jpg"), "InvalidIRI"),
    ("atom", "InvalidLink", _set(L, type="jpeg"), "InvalidMIMEType"),
    ("atom", "InvalidLink", _set(L, length="-1"), "InvalidNonNegativeInteger"),
    ("atom", "InvalidLink", _set(L, hreflang="english"), "InvalidLanguage"),
    ("atom", "InvalidLink", _set(L, rel="picture"), "UnregisteredAtomLinkRel"),
    ("atom", "InvalidMIMEType", _set(f"{E}/{A}content", type="html fragment"),
     "InvalidMIMEType"),
    ("atom", "InvalidFullLink", _set(f"{E}/{A}category", scheme="status"), "InvalidFullLink"),
    ("atom", "DuplicateElement", _append(f"{E}/{A}author", f"{A}name", "B"),
     "DuplicateElement"),
    ("atom", "SecurityRisk", _set(f"{E}/{A}content", "<p onclick='x()'>Hi</p>"),
     "SecurityRisk"),
    ("rss", "UndefinedElement", _append("channel/item", "dateline", "Paris"),
     "UndefinedElement"),
    ("rss", "UndefinedElement", _append("channel/item", f"{DC}author", "A"),
     "UndefinedElement"),
    ("rss", "DuplicateElement", _append("channel/item", "guid", "x", isPermaLink="false"),
     "DuplicateElement"),
    ("rss", "UnexpectedAttribute", _set("channel/item/guid", permalink="false"),
     "UnexpectedAttribute"),
    ("rss", "InvalidRFC2822Date", _set("channel/item/pubDate", "2026-11-27T12:00:00Z"),
     "InvalidRFC2822Date"),
    ("rss", "InvalidRFC2822Date", _set("channel/item/pubDate", "Fri, 31 Nov 2026 12:00:00 GMT"),
     "InvalidRFC2822Date"),
    ("rss", "InvalidRFC2822Date", _set("channel/lastBuildDate", "Thu, 27 Nov 2026 12:00:00 GMT"),
     "IncorrectDOW"),
    ("rss", "InvalidFullLink", _set("channel/item/link", "https://www.example.org/café"),
     "InvalidFullLink"),
    ("rss", "InvalidPermalink", _set("channel/item/guid", isPermaLink="yes"),
     "InvalidBooleanAttribute"),
    ("rss", "InvalidPermalink", _set("channel/item/guid", isPermaLink="true"),
     "InvalidPermalink"),
    ("rss", "InvalidPermalink", _set("channel/item/guid", "story 1", isPermaLink="true"),
     "InvalidHttpGUID"),
    ("rss", "InvalidLanguage", _set(f"channel/item/{DC}language", "fr_FR"), "InvalidLanguage"),
    ("rss", "InvalidEnclosure", _append("channel/item", "enclosure", url="https://m/p.jpg",
                                        type="image/jpeg"), "MissingAttribute"),
    ("rss", "InvalidEnclosure", _append("channel/item", "enclosure", url="https://m/p.jpg",
                                        length="big", type="image/jpeg"),
     "InvalidNonNegativeInteger"),
    ("rss", "InvalidEnclosure", _append("channel/item", "enclosure", url="https://m/p.jpg",
                                        length="1", type="jpeg"), "InvalidMIMEAttribute"),
    ("rss", "InvalidEnclosure", _append("channel/item", "enclosure", url="ftp://m/p.jpg",
                                        length="1", type="image/jpeg"), "InvalidURLAttribute"),
    ("rss", "InvalidMedia", _set(f"channel/item/{MEDIA}content", width="0"),
     "InvalidPositiveInteger"),
    ("rss", "InvalidMedia", _set(f"channel/item/{MEDIA}content", medium="photo"),
     "InvalidMediaMedium"),
    ("rss", "InvalidMedia", _set(f"channel/item/{MEDIA}content", type="image"),
     "InvalidMIMEAttribute"),
    ("rss", "InvalidMedia", _set(f"channel/item/{MEDIA}content/{MEDIA}credit", role="Author"),
     "InvalidCreditRole"),
    ("rss", "InvalidLink", _set(f"channel/{A}link", type="rss"), "InvalidMIMEType"),
    ("rss", "SecurityRisk", _set(f"channel/item/{CONTENT}encoded", "<script>x()</script>"),
     "SecurityRisk"),
]


@pytest.mark.parametrize(("fmt", "rule", "mutate", "message"), BROKEN_XML,
                         ids=[f"{f}-{m}" for f, _, _, m in BROKEN_XML])
def test_each_xml_rule_passes_our_feed_and_fails_the_broken_one(
    fmt: str, rule: str, mutate: Mutate, message: str
) -> None:
    check = (ATOM_RULES if fmt == "atom" else RSS_RULES)[rule]
    root = etree.fromstring(_rendered(fmt))
    assert check(root) == []
    mutate(root)
    problems = check(root)
    assert problems and all(p.startswith(f"{message}: ") for p in problems), problems


JsonMutate = Callable[[dict[str, Any]], None]


def _dup_item(doc: dict[str, Any]) -> None:
    doc["items"].append(dict(doc["items"][0]))


BROKEN_JSON: list[tuple[str, JsonMutate]] = [
    ("DuplicateValue", _dup_item),
    ("InvalidLanguage", lambda doc: doc["items"][0].update(language="en_US")),
    ("InvalidMIMEType", lambda doc: doc["items"][0]["attachments"][0].update(mime_type="jpg")),
    ("SecurityRisk", lambda doc: doc["items"][0].update(
        content_html='<a href="javascript:x()">x</a>')),
]


@pytest.mark.parametrize(("rule", "mutate"), BROKEN_JSON, ids=[r for r, _ in BROKEN_JSON])
def test_each_json_feed_rule_passes_our_feed_and_fails_the_broken_one(
    rule: str, mutate: JsonMutate
) -> None:
    doc = json.loads(_rendered("jsonfeed"))
    assert JSONFEED_RULES[rule](doc) == []
    mutate(doc)
    problems = JSONFEED_RULES[rule](doc)
    assert problems and all(p.startswith(f"{rule}: ") for p in problems), problems


def test_every_rule_has_a_broken_feed() -> None:
    assert {r for f, r, _, _ in BROKEN_XML if f == "atom"} == set(ATOM_RULES)
    assert {r for f, r, _, _ in BROKEN_XML if f == "rss"} == set(RSS_RULES)
    assert {r for r, _ in BROKEN_JSON} == set(JSONFEED_RULES)
