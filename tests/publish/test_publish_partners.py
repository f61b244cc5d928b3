"""The partners file: loading, clear errors, and what allows/view decide."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.model import Article, Picture, Subject
from ingest.publish.partners import (
    Filters,
    Partner,
    PartnerConfigError,
    PushTarget,
    Rights,
    load_partners,
    parse_partners,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "publish"


def test_demo_config_loads_with_expected_partners() -> None:
    partners = {p.id: p for p in load_partners(FIXTURES / "partners.yaml")}
    demo = partners["demo-news"]
    assert demo.formats == ("rss",)
    assert demo.prefix == "feeds/demo-news/"
    assert demo.url_for("rss.xml") == "https://feeds.example.com/feeds/demo-news/rss.xml"
    archive = partners["archive-library"]
    assert archive.rights.excluded_usage_terms == ("no archival use",)
    assert archive.rights.pictures is False
    assert archive.max_age == timedelta(days=7)
    fr = partners["presse-fr"]
    assert fr.filters.languages == ("fr",)
    assert fr.push == PushTarget("https://hooks.presse-fr.example/ingest",
                                 "INGEST_PUSH_SECRET_PRESSE_FR")
    assert set(fr.formats) == {"ninjs", "newsml-g2"}


def test_project_config_loads() -> None:
    project = Path(__file__).resolve().parents[2] / "config" / "partners.yaml"
    ids = [p.id for p in load_partners(project)]
    assert "demo-news" in ids


def _doc(**changes: Any) -> dict[str, Any]:
    partner: dict[str, Any] = {"id": "p1", "name": "P1", "formats": ["rss"],
                               "rights": {"providers": ["AFP"]}}
    for key, value in changes.items():
        if value is None:
            partner.pop(key, None)
        else:
            partner[key] = value
    return {"partners": [partner]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"formats": ["rss", "xml"]}, "partner 'p1': field 'formats': unknown format 'xml'"),
        ({"rights": None}, "partner 'p1': field 'rights': is required"),
        ({"rights": {"providers": []}}, "partner 'p1': field 'rights.providers': must list"),
        ({"rights": {"providers": ["AFP"], "picturs": True}},
         "partner 'p1': field 'rights.picturs': unknown field"),
        ({"max_age": "forever"}, "partner 'p1': field 'max_age'"),
        ({"max_items": "ten"}, "partner 'p1': field 'max_items': expected int"),
        ({"filters": {"min_urgency": 12}}, "partner 'p1': field 'filters.min_urgency'"),
        ({"id": "Bad Id"}, "field 'id': use lowercase"),
        ({"delivery": {"push": {"url": "ftp://x", "secret_env": "S"}}},
         "partner 'p1': field 'delivery.push.url'"),
        ({"delivery": {"push": {"url": "https://x.example/h", "secret_env": "hunter2 secret"}}},
         "partner 'p1': field 'delivery.push.secret_env'"),
        ({"rights": {"providers": ["AFP"], "embargo": "ignore"}},
         "partner 'p1': field 'rights.embargo'"),
    ],
)
def test_config_errors_name_partner_and_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PartnerConfigError) as caught:
        parse_partners(_doc(**changes))
    assert message in str(caught.value)


def test_duplicate_ids_and_missing_file_are_errors(tmp_path: Path) -> None:
    doc = _doc()
    doc["partners"].append(dict(doc["partners"][0]))
    with pytest.raises(PartnerConfigError, match="duplicate partner id"):
        parse_partners(doc)
    with pytest.raises(PartnerConfigError, match=r"nope\.yaml"):
        load_partners(tmp_path / "nope.yaml")


def test_push_secret_comes_from_the_environment() -> None:
    target = PushTarget("https://x.example/h", "MY_SECRET")
    assert target.secret({"MY_SECRET": "s3cr3t"}) == b"s3cr3t"
    with pytest.raises(PartnerConfigError, match="MY_SECRET unset"):
        target.secret({})


ARTICLE = Article(
    uri="urn:x:1", language="fr-FR", provider="AFP", urgency=3, country="FRA",
    subjects=[Subject("medtop:04000000", "economy")], genres=[Subject("genre:Current", "Current")],
    keywords=["Rates"], products=["news"], info_sources=["AFP", "Reuters"],
    usage_terms="No Archival Use", embargoed_until=datetime(2026, 1, 1, tzinfo=UTC),
    pictures=[Picture("urn:p:1", usage_terms="NO ARCHIVAL USE"), Picture("urn:p:2")],
)


NO_FILTERS = Filters()


def _partner(filters: Filters = NO_FILTERS, **rights: Any) -> Partner:
    return Partner(id="p", name="P", formats=("rss",), max_items=10,
                   max_age=timedelta(days=1), filters=filters,
                   rights=Rights(**{"providers": ("afp",), **rights}))


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(), True),
        (Filters(languages=("fr",)), True),
        (Filters(languages=("en",)), False),
        (Filters(subjects=("medtop:04",)), True),
        (Filters(subjects=("medtop:05",)), False),
        (Filters(countries=("fra",)), True),
        (Filters(countries=("deu",)), False),
        (Filters(max_urgency=3), True),
        (Filters(max_urgency=2), False),
        (Filters(keywords=("rates",)), True),
        (Filters(keywords=("sport",)), False),
        (Filters(products=("photo",)), False),
        (Filters(genres=("current",)), True),
        (Filters(sources=("reuters",)), True),
        (Filters(sources=("dpa",)), False),
        (Filters(languages=("fr",), subjects=("medtop:05",)), False),
    ],
)
def test_filters(filters: Filters, allowed: bool) -> None:
    assert _partner(filters).allows(ARTICLE) is allowed


def test_rights() -> None:
    assert _partner().allows(ARTICLE)
    assert not _partner(providers=("reuters",)).allows(ARTICLE)
    assert _partner(providers=("*",)).allows(dataclasses.replace(ARTICLE, provider=None))
    assert not _partner(excluded_usage_terms=("no archival use",)).allows(ARTICLE)
    assert not _partner(embargo="exclude").allows(ARTICLE)
    assert not _partner(filters=Filters(max_urgency=5)).allows(
        dataclasses.replace(ARTICLE, urgency=None))


def test_view_drops_unlicensed_pictures() -> None:
    assert _partner(pictures=False).view(ARTICLE).pictures == []
    kept = _partner(excluded_usage_terms=("no archival use",)).view(ARTICLE).pictures
    assert [p.uri for p in kept] == ["urn:p:2"]
    assert _partner().view(ARTICLE) is ARTICLE
    assert len(ARTICLE.pictures) == 2  # the original is never modified
