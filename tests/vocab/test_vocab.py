"""IPTC subjects and places from the vocabulary shipped in the package.

Every expected name, uri and mapping below was read by hand from IPTC's files
(``mediatopic-x-all.json``: the concept's ``prefLabel``, its ``exactMatch`` /
``closeMatch`` links; ``subjectcode-en.json``: the English names), not produced by the code.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ingest import vocab
from ingest.model import Place, Subject

SUBJ = "http://cv.iptc.org/newscodes/subjectcode/"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"


def resolve(*codes: str, language: str | None = "en") -> list[Subject]:
    return vocab.subjects([Subject(code) for code in codes], language)


def test_a_subject_code_gets_its_uri_english_name_and_its_media_topic() -> None:
    # subjectcode-en.json: "04011002": "automotive equipment"; mediatopic 20000296
    # (prefLabel en-GB "automotive") lists subjectcode/04011002 as its exactMatch
    assert resolve("04011002") == [
        Subject("subj:04011002", "automotive equipment", SUBJ + "04011002"),
        Subject("medtop:20000296", "automotive", MEDTOP + "20000296"),
    ]


def test_every_spelling_of_a_code_is_one_concept() -> None:
    https = SUBJ.replace("http:", "https:") + "15054000"
    spellings = ("15054000", "subj:15054000", SUBJ + "15054000", https, " 15054000 ")
    found = resolve(*spellings)
    assert [s.code for s in found] == ["subj:15054000", "medtop:20001065"]


def test_repeated_codes_are_given_once_in_first_seen_order() -> None:
    # AFP repeats a code at several levels and in several SubjectCode blocks
    found = resolve("15073000", "15000000", "15073000", "15000000", "15000000")
    assert [s.code for s in found] == [
        "subj:15073000", "medtop:20001108", "subj:15000000", "medtop:15000000"
    ]


def test_names_in_the_items_language() -> None:
    # medtop:15000000 prefLabel ar "رياضة", fr "Sport"; medtop:20001065 ar "قدم", fr "Football"
    assert [s.name for s in resolve("medtop:15000000", "medtop:20001065", language="ar")] == [
        "رياضة", "قدم"
    ]
    assert [s.name for s in resolve("medtop:15000000", "medtop:20001065", language="fr")] == [
        "Sport", "Football"
    ]


def test_a_subject_code_is_named_in_the_language_of_its_exact_media_topic() -> None:
    # subj:15054000 has only an English name; medtop:20001065 is its exactMatch (ar "قدم")
    [code, topic] = resolve("15054000", language="ar")
    assert (code.code, code.name) == ("subj:15054000", "قدم")
    assert (topic.code, topic.name) == ("medtop:20001065", "قدم")


def test_language_tags_fall_back_to_their_primary_language_then_english() -> None:
    # medtop:15000000 prefLabel de "Sport", es "Deporte", en-GB "sport"
    assert resolve("medtop:15000000", language="de-CH")[0].name == "Sport"
    assert resolve("medtop:15000000", language="ES")[0].name == "Deporte"
    assert resolve("medtop:15000000", language="en-US")[0].name == "sport"
    assert resolve("medtop:15000000", language="xx")[0].name == "sport"
    assert resolve("medtop:15000000", language=None)[0].name == "sport"


def test_english_when_iptc_has_no_name_in_the_language() -> None:
    # subj:16000000 "unrest, conflicts and  war" (two spaces in IPTC's file) has no exact
    # Media Topic (medtop:16000000 names it only as broadMatch), so no Arabic name
    [found] = resolve("16000000", language="ar")
    assert found == Subject("subj:16000000", "unrest, conflicts and war", SUBJ + "16000000")


def test_the_items_own_name_is_kept_where_iptc_has_none_in_its_language() -> None:
    # medtop:20001135 "art exhibition" has no Arabic prefLabel in IPTC's file
    given = [Subject("medtop:20001135", "معرض فني")]
    assert vocab.subjects(given, "ar")[0].name == "معرض فني"
    assert vocab.subjects([Subject("medtop:20001135")], "ar")[0].name == "art exhibition"


def test_iptcs_name_wins_over_the_items_in_the_same_language() -> None:
    # medtop:20000251 prefLabel en-GB "non-durable good"
    given = [Subject("medtop:20000251", "energy and resource")]
    assert vocab.subjects(given, "en")[0].name == "non-durable good"


@pytest.mark.parametrize(
    ("code", "topics"),
    [
        ("14023000", ["medtop:20000810"]),  # closeMatch only: medtop 20000810 death and dying
        ("15005000", ["medtop:20000827"]),  # exactMatch 20000827 wins over closeMatch 20000844
        ("15039001", ["medtop:20000991"]),  # exactMatch 20000994 is retired: its broader
        ("16000000", []),  # broadMatch only: the Media Topic is not the same concept
    ],
)
def test_which_media_topic_a_subject_code_maps_to(code: str, topics: list[str]) -> None:
    assert [s.code for s in resolve(code)][1:] == topics


def test_unknown_codes_keep_what_is_known() -> None:
    given = [
        Subject("subj:99999999"),  # a known scheme: a uri, no name
        Subject("afpdescription:Sport", "Sport"),  # an unknown scheme: the item's literal
        Subject("http://example.org/cv/sport", "Sport"),  # an unknown uri: kept as the uri
        Subject(None, "loose name"),
    ]
    assert vocab.subjects(given, "en") == [
        Subject("subj:99999999", None, SUBJ + "99999999"),
        Subject("afpdescription:Sport", "Sport", None),
        Subject(None, "Sport", "http://example.org/cv/sport"),
        Subject(None, "loose name", None),
    ]


def test_places_from_codes_and_names() -> None:
    found = vocab.places(
        (None, "مدريد"), ("ESP", None), ("esp", "Espagne"), ("iso3166-1a2:FR", "France"),
        ("geoloc:STO", "Stockholm"), (None, None),
    )
    assert found == [
        Place("مدريد"),
        Place(None, "iso3166-1a3:ESP", "http://cvx.iptc.org/iso3166-1a3/ESP"),
        Place("France", "iso3166-1a2:FR", "http://cvx.iptc.org/iso3166-1a2/FR"),
        Place("Stockholm", "geoloc:STO"),
    ]


def test_the_data_carries_iptcs_attribution_and_licence() -> None:
    data = resources.files("ingest.vocab")
    about = json.loads(data.joinpath("iptc.json").read_text("utf-8"))["about"]
    assert about["licence"] == "http://creativecommons.org/licenses/by/4.0/"
    assert about["copyrightHolder"].startswith("IPTC")
    licence = data.joinpath("LICENSE").read_text("utf-8")
    assert "CC BY 4.0" in licence and "Copyright IPTC" in licence
