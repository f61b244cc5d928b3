"""NewsML-G2 items whose content is elsewhere: ``remoteContent`` text, and packages."""

from __future__ import annotations

from afp_helpers import FIXTURES, load

from ingest.model import Picture, Rendition
from ingest.parsers import ParsedItem, parse_bytes
from ingest.validate import validate_ninjs


def parse(name: str, source: str) -> ParsedItem:
    [item] = list(parse_bytes(load(name), source=source))
    assert isinstance(item, ParsedItem), item
    validate_ninjs(item.article.to_ninjs())
    return item


def test_remote_text_is_recorded_as_renditions_not_fetched() -> None:
    source = "s3://wire-bucket/afp/2026/11/27/g2-remote-text.xml"
    article = parse("g2-remote-text.xml", source).article
    assert article.headline == "Gotland Offshore wind farm in figures"
    assert article.body_html is None
    assert article.renditions == [
        Rendition("nitf", "https://components.example.com/afp/doc-39xm4rt.nitf.xml",
                  "application/nitf+xml", None, None, 5120),
        Rendition("web", "s3://wire-bucket/afp/2026/11/27/doc-39xm4rt.html", "text/html"),
    ]  # the javascript: href is gone
    doc = article.to_ninjs()
    assert doc["renditions"] == [{
        "name": "nitf", "href": "https://components.example.com/afp/doc-39xm4rt.nitf.xml",
        "contentType": "application/nitf+xml", "sizeInBytes": 5120,
    }]  # an s3:// key is no address for partners


def test_a_package_is_a_composite_with_its_members_in_order() -> None:
    """IPTC's own package example (``iptc/``): one group, a text then a picture (whose
    residref holds an em dash: IRI, percent-encoded to be a ninjs uri)."""
    item = parse("iptc/LISTING_6_Simple_NewsML-G2_Package.xml", str(FIXTURES / "iptc" / "x"))
    article = item.article
    assert article.uri == "tag:example.com,2008:UK-NEWS-TOPTEN:UK20081220098658"
    assert article.version == 11
    assert article.type == "composite"
    assert article.headline == "UK"
    assert article.signals == ["update"]
    assert article.ed_note == "Updates the previous version"
    assert [(p.uri, p.type, p.headline) for p in article.pictures] == [
        ("urn:newsml:iptc.org:20081007:tutorial-item-A", "text", "Obama annonce son équipe"),
        ("urn:newsml:iptc.org:20081007:tutorial%E2%80%94item-B", "picture",
         "Barack Obama arrive à Washington"),
    ]
    assert article.pictures[1].caption == (
        "Si nous avons aujourd'hui un afro-américain et une femme dans la course à la"
        " présidence."
    )
    associations = article.to_ninjs()["associations"]
    assert [(a["name"], a["type"]) for a in associations] == [("text1", "text"),
                                                               ("picture2", "picture")]


GROUPED = b"""<?xml version="1.0" encoding="UTF-8"?>
<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/" standard="NewsML-G2"
    standardversion="2.35" conformance="power" guid="urn:newsml:afp.com:20261127:pkg-1"
    version="1">
  <itemMeta><itemClass qcode="ninat:composite"/><provider qcode="nprov:AFP"/>
    <versionCreated>2026-11-27T11:00:00Z</versionCreated><title>Wind farm: the package</title>
  </itemMeta>
  <groupSet root="root">
    <group id="side" role="group:sidebar">
      <itemRef residref="urn:x:c"/><groupRef idref="root"/>
    </group>
    <group id="root" role="group:main">
      <itemRef residref="urn:x:a"><itemClass qcode="ninat:text"/></itemRef>
      <groupRef idref="side"/>
      <itemRef residref="urn:x:b"><itemClass qcode="ninat:video"/></itemRef>
    </group>
  </groupSet>
</packageItem>"""


def test_package_groups_are_read_from_the_root_down_each_once() -> None:
    [item] = list(parse_bytes(GROUPED, source="pkg.xml"))
    assert isinstance(item, ParsedItem), item
    article = item.article
    assert article.headline == "Wind farm: the package"  # no headline: the item's title
    assert [(p.uri, p.type) for p in article.pictures] == [
        ("urn:x:a", "text"), ("urn:x:c", "text"), ("urn:x:b", "video"),
    ]
    assert all(isinstance(p, Picture) for p in article.pictures)
    validate_ninjs(article.to_ninjs())
