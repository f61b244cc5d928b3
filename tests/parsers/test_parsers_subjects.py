"""Subjects and places as each AFP parser gives them: IPTC codes with uri and name.

Expected codes, names and mappings were read by hand from the items and from IPTC's files
(``mediatopic-x-all.json``: ``prefLabel``, ``exactMatch``/``closeMatch``;
``subjectcode-en.json``), never produced by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from afp_helpers import FIXTURES, load

from ingest.model import Article, Place, Subject
from ingest.parsers import ParsedItem, parse_bytes
from ingest.validate import validate_ninjs

REAL = FIXTURES.parent / "afp-real"
SUBJ = "http://cv.iptc.org/newscodes/subjectcode/"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
ISO_A3 = "http://cvx.iptc.org/iso3166-1a3/"


def parsed(raw: bytes, fmt: str = "auto") -> Article:
    [item] = list(parse_bytes(raw, source="test", fmt=fmt))
    assert isinstance(item, ParsedItem), item
    validate_ninjs(item.article.to_ninjs())
    return item.article


def test_a_real_arabic_story_its_codes_once_each_with_their_media_topics() -> None:
    # doc-33ul3px: 14 SubjectCode FormalNames, 8 distinct, in this order of first use:
    # 15073000 15000000 10001000 01000000 04003000 04000000 10000000 10010000.
    # IPTC's exactMatch: 15073000 -> 20001108, 15000000 -> 15000000, 10001000 -> 20000540,
    # 01000000 -> 01000000, 04003000 -> 20000225, 04000000 -> 04000000,
    # 10000000 -> 10000000; 10010000 has a broadMatch only (no Media Topic).
    article = parsed((REAL / "newsmlmmd.urn.newsml.afp.com.20230919.doc.33ul3px.xml").read_bytes())
    assert [s.code for s in article.subjects] == [
        "subj:15073000", "medtop:20001108", "subj:15000000", "medtop:15000000",
        "subj:10001000", "medtop:20000540", "subj:01000000", "medtop:01000000",
        "subj:04003000", "medtop:20000225", "subj:04000000", "medtop:04000000",
        "subj:10000000", "medtop:10000000", "subj:10010000",
    ]
    by_code = {s.code: s for s in article.subjects}
    # medtop:20001108 prefLabel ar "حدث رياضي"; medtop:15000000 ar "رياضة"
    assert by_code["medtop:20001108"] == Subject(
        "medtop:20001108", "حدث رياضي", MEDTOP + "20001108"
    )
    assert by_code["subj:15000000"] == Subject("subj:15000000", "رياضة", SUBJ + "15000000")
    # subjectcode-en.json: "10010000": "leisure (general)"; no Arabic: it has no exact topic
    assert by_code["subj:10010000"].name == "leisure (general)"
    # Location HowPresent="Origin": Country IND, City نيودلهي
    assert article.places == [Place("نيودلهي"), Place(None, "iso3166-1a3:IND", ISO_A3 + "IND")]
    assert article.country == "IND"
    doc = article.to_ninjs()
    assert doc["places"] == [
        {"name": "نيودلهي"}, {"uri": ISO_A3 + "IND", "literal": "iso3166-1a3:IND"}
    ]
    assert doc["subjects"][0] == {
        "uri": SUBJ + "15073000", "name": "حدث رياضي", "literal": "subj:15073000"
    }


@pytest.mark.parametrize("path", sorted(REAL.glob("*.xml")), ids=lambda p: p.stem)
def test_every_subject_of_every_real_item_has_a_uri_and_a_name(path: Path) -> None:
    article = parsed(path.read_bytes())
    subjects = article.to_ninjs().get("subjects", [])
    assert all(s.get("uri") and s.get("name") for s in subjects), subjects
    assert len({s["uri"] for s in subjects}) == len(subjects)


def test_newsml_g2_media_topics_with_iptc_names_and_located_places() -> None:
    article = parsed(load("g2-story-v1.xml"))
    # medtop:20000251 prefLabel en-GB "non-durable good" (the item calls it otherwise)
    assert article.subjects == [
        Subject("medtop:20000251", "non-durable good", MEDTOP + "20000251"),
        Subject("medtop:11000000", "politics", MEDTOP + "11000000"),
    ]
    # <located qcode="geoloc:STO"><name>Stockholm</name><broader qcode="iso3166-1a3:SWE">
    assert article.places == [
        Place("Stockholm", "geoloc:STO"), Place("Sweden", "iso3166-1a3:SWE", ISO_A3 + "SWE")
    ]


def test_newsml_g2_subject_codes_and_uris_in_the_items_language() -> None:
    extra = (
        '<subject qcode="subj:04011002"/>'
        '<subject uri="http://cv.iptc.org/newscodes/mediatopic/15000000"/>'
        '<subject qcode="subj:04011002"><name>auto</name></subject>'
        "<keyword>grève</keyword><keyword> SNCF </keyword>"
        '<subject type="cpnat:geoArea" qcode="iso3166-1a3:ESP"><name>Espagne</name></subject>'
    ).encode()  # the fixture is UTF-8
    raw = load("g2-french.xml").replace(b'<language tag="fr"/>', b'<language tag="fr"/>' + extra)
    article = parsed(raw)
    # medtop:20000296 (exactMatch of subj:04011002) prefLabel fr "Industrie automobile";
    # medtop:15000000 fr "Sport"
    assert article.subjects == [
        Subject("subj:04011002", "Industrie automobile", SUBJ + "04011002"),
        Subject("medtop:20000296", "Industrie automobile", MEDTOP + "20000296"),
        Subject("medtop:15000000", "Sport", MEDTOP + "15000000"),
        Subject("iso3166-1a3:ESP", "Espagne", ISO_A3 + "ESP"),
    ]
    # located Lyon, broader iso3166-1a3:FRA France; the geoArea subject is a place too
    assert article.places == [
        Place("Lyon"),
        Place("France", "iso3166-1a3:FRA", ISO_A3 + "FRA"),
        Place("Espagne", "iso3166-1a3:ESP", ISO_A3 + "ESP"),
    ]
    assert article.keywords == ["grève", "SNCF"]


def test_api_core_iptc_codes_and_country_fields() -> None:
    article = parsed(load("api-story-v1.json"))
    # "iptc": ["11000000", "04005000"]; subjectcode-en.json "04005000": "energy and resource",
    # its exactMatch medtop:20000256 prefLabel en-GB "energy and resource"
    assert article.subjects == [
        Subject("subj:11000000", "politics", SUBJ + "11000000"),
        Subject("medtop:11000000", "politics", MEDTOP + "11000000"),
        Subject("subj:04005000", "energy and resource", SUBJ + "04005000"),
        Subject("medtop:20000256", "energy and resource", MEDTOP + "20000256"),
    ]
    # "country": "swe", "countryname": "Sweden", "city": "Stockholm"
    assert article.places == [
        Place("Stockholm"), Place("Sweden", "iso3166-1a3:SWE", ISO_A3 + "SWE")
    ]
    assert article.country == "SWE"


def test_api_core_names_in_french() -> None:
    data = json.loads(load("api-french.json"))
    data["response"]["docs"][0]["iptc"] = ["15054000", "99999999"]
    article = parsed(json.dumps(data).encode(), fmt="afp-api")
    # medtop:20001065 (exactMatch of 15054000) prefLabel fr "Football"; 99999999 is no
    # Subject Code: kept with its uri, without a name
    assert article.subjects == [
        Subject("subj:15054000", "Football", SUBJ + "15054000"),
        Subject("medtop:20001065", "Football", MEDTOP + "20001065"),
        Subject("subj:99999999", None, SUBJ + "99999999"),
    ]
    assert article.places == [Place("Lyon"), Place(None, "iso3166-1a3:FRA", ISO_A3 + "FRA")]


def test_newsml12_keywords() -> None:
    # nml12-story-v1.xml: Property FormalName="Keyword" Value="wind", then "Gotland"
    assert parsed(load("nml12-story-v1.xml")).keywords == ["wind", "Gotland"]


def test_newsml12_subjects_in_french() -> None:
    raw = load("nml12-french.xml").replace(
        b'<Language FormalName="fr"/>',
        b'<Language FormalName="fr"/><SubjectCode><Subject FormalName="15000000"/></SubjectCode>',
    )
    article = parsed(raw)
    assert article.subjects == [
        Subject("subj:15000000", "Sport", SUBJ + "15000000"),
        Subject("medtop:15000000", "Sport", MEDTOP + "15000000"),
    ]
    assert article.places == [Place("Lyon"), Place(None, "iso3166-1a3:FRA", ISO_A3 + "FRA")]


def test_old_records_without_uris_or_places_still_load() -> None:
    record = parsed(load("g2-story-v1.xml")).to_record()
    record["subjects"] = [{"code": "subj:11000000", "name": "politics"}]
    del record["places"]
    article = Article.from_record(record)
    assert article.subjects == [Subject("subj:11000000", "politics")]
    assert article.places == []
    assert Article.from_record(parsed(load("g2-story-v1.xml")).to_record()).places[1].uri == (
        ISO_A3 + "SWE"
    )
