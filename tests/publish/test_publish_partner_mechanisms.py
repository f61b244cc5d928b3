"""The language and usage-terms rules of partner contracts, each from several sides.

Contracts are read from YAML as an operator writes them (mixed case, region subtags), so
the case folding of ``load_partners`` is part of what is checked. Expected outcomes follow
from the rules as documented: a language filter names primary subtags and matches an
article's language whatever its region or case; an article without a language matches no
language filter; an excluded usage term excludes a story or picture whose terms contain
it, in any case; no terms, nothing excluded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ingest.model import Article, Picture
from ingest.publish.partners import Partner, parse_partners

STORY = Article(uri="urn:x:lang", headline="H", provider="AFP", language="en")


def _contract(filters: dict[str, Any] | None = None, **rights: Any) -> Partner:
    entry: dict[str, Any] = {"id": "p", "name": "P", "formats": ["rss"],
                             "rights": {"providers": ["AFP"], **rights}}
    if filters is not None:
        entry["filters"] = filters
    [partner] = parse_partners({"partners": [entry]})
    return partner


def _in(language: str | None) -> Article:
    return dataclasses.replace(STORY, language=language)


@pytest.mark.parametrize(
    ("wanted", "language", "allowed"),
    [
        (["fr"], "fr", True),
        (["fr"], "fr-CA", True),  # region subtags do not matter
        (["FR"], "fr-FR", True),  # nor case, on either side
        (["fr"], "FR", True),
        (["fr"], "frr", False),  # North Frisian is not French: no prefix matching
        (["fr"], "en-FR", False),  # the region is not the language
        (["fr"], None, False),  # no language never matches a language filter
        (["fr"], "", False),
        (["fr", "de"], "de-AT", True),  # any of several
        (["fr", "de"], "en", False),
        ([], None, True),  # no filter: anything
        ([], "xx", True),
    ],
)
def test_language_filter(wanted: list[str], language: str | None, allowed: bool) -> None:
    partner = _contract({"languages": wanted})
    assert partner.allows(_in(language)) is allowed


def test_language_filter_combines_with_the_others() -> None:
    partner = _contract({"languages": ["fr"], "keywords": ["rates"]})
    french = _in("fr-FR")
    assert not partner.allows(french)  # right language, keyword missing
    assert partner.allows(dataclasses.replace(french, keywords=["Rates"]))
    assert not partner.allows(dataclasses.replace(french, language="en", keywords=["Rates"]))


@pytest.mark.parametrize(
    ("terms", "allowed"),
    [
        (None, True),
        ("", True),
        ("For editorial use", True),
        ("NO ARCHIVAL USE", False),
        ("No archival use after 30 days", False),  # the term anywhere in the terms
        ("Mandatory credit. no archival use", False),
        ("Archival use permitted", True),
        ("No sales", False),  # the second excluded term
    ],
)
def test_excluded_usage_terms_exclude_stories(terms: str | None, allowed: bool) -> None:
    partner = _contract(excluded_usage_terms=["No Archival Use", "no sales"])
    assert partner.allows(dataclasses.replace(STORY, usage_terms=terms)) is allowed


def test_without_excluded_terms_any_terms_pass() -> None:
    partner = _contract()
    assert partner.allows(dataclasses.replace(STORY, usage_terms="NO ARCHIVAL USE"))


def test_excluded_terms_remove_pictures_not_the_story() -> None:
    pictures = [Picture("urn:p:free"), Picture("urn:p:restricted", usage_terms="no Sales."),
                Picture("urn:p:other", usage_terms="Editorial use only")]
    story = dataclasses.replace(STORY, pictures=pictures)
    partner = _contract(excluded_usage_terms=["No Sales"])
    assert partner.allows(story)
    assert [p.uri for p in partner.view(story).pictures] == ["urn:p:free", "urn:p:other"]
    no_pictures = _contract(pictures=False)
    assert no_pictures.allows(story) and no_pictures.view(story).pictures == []
    assert _contract().view(story) is story  # nothing to remove: the article itself


def test_config_folds_case_of_languages_and_terms() -> None:
    partner = _contract({"languages": [" FR "]}, excluded_usage_terms=["No Archival Use"])
    assert partner.filters.languages == ("fr",)
    assert partner.rights.excluded_usage_terms == ("no archival use",)


@pytest.mark.parametrize(
    ("filters", "changes", "allowed"),
    [
        ({"genres": ["current"]}, {}, False),  # a story without genres
        ({"genres": ["current"]}, {"genres": []}, False),
        ({"sources": ["afp"]}, {}, True),  # the provider counts as a source
        ({"sources": ["afp"]}, {"provider": None}, False),  # no provider, no sources
        ({"sources": ["reuters"]}, {"provider": None, "info_sources": ["Reuters"]}, True),
        ({"sources": ["reuters"]}, {"info_sources": ["dpa"]}, False),
    ],
)
def test_genre_and_source_filters_refuse_what_they_do_not_name(
    filters: dict[str, Any], changes: dict[str, Any], allowed: bool
) -> None:
    partner = _contract(filters, providers=["*"])
    assert partner.allows(dataclasses.replace(STORY, **changes)) is allowed
