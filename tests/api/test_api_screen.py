"""What lets a page skip most of the log: the screens that run before ``Partner.allows``.

``view._screened`` (the row's columns) and ``screened_releases`` (the registry's SQL) may
only refuse what the full contract refuses: checked here for random contracts and
versions whose fields include odd cases by hand (upper case, regions, ``_``, non-ASCII
that case-folds to ASCII, such as the Kelvin sign and ``ß``), on both backends. Also:
lazily decoded rows, pages as bytes, and where a page stops in a sparse or short log.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.api import view
from ingest.api.render import RenderedItems, json_bytes
from ingest.model import Article
from ingest.publish.partners import Filters, Partner, Rights
from ingest.registry import SQLRegistry, VersionRow

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LANGUAGES = [None, "", "en", "EN", "en-GB", "En_us", "eng", "fr", "fr-CA", "de-", "-en",
             "\u212a", "k", "ss", "\u00df", "\uff25\uff2e"]  # Kelvin sign, sharp s, fullwidth EN
_serial = itertools.count()


def contract(languages: tuple[str, ...] = (), providers: tuple[str, ...] = ("*",),
             countries: tuple[str, ...] = (), products: tuple[str, ...] = (),
             embargo: str = "hold") -> Partner:
    return Partner(id="p", name="P", formats=("ninjs",), max_items=100,
                   max_age=timedelta(days=3650),
                   rights=Rights(providers=providers, embargo=embargo),  # type: ignore[arg-type]
                   filters=Filters(languages=languages, products=products, countries=countries))


contracts = st.builds(
    contract,
    languages=st.lists(st.sampled_from(["en", "fr", "k", "ss", "eng", "en_us"]),
                       max_size=2).map(tuple),
    providers=st.sampled_from([("*",), ("afp",), ("afp", "other")]),
    countries=st.lists(st.sampled_from(["fra", "usa"]), max_size=1).map(tuple),
    products=st.lists(st.sampled_from(["news", "sport"]), max_size=1).map(tuple),
    embargo=st.sampled_from(["hold", "exclude"]),
)
versions = st.builds(
    lambda language, provider, country, products, embargoed, status: Article(
        uri=f"urn:screen:{next(_serial)}", headline="h", body_html="<p>b</p>",
        version_created=T0, language=language, provider=provider, country=country,
        products=products, pub_status=status,
        embargoed_until=T0 - timedelta(hours=1) if embargoed else None),
    st.sampled_from(LANGUAGES), st.sampled_from([None, "AFP", "afp", "Other"]),
    st.sampled_from([None, "FRA", "usa"]),
    st.lists(st.sampled_from(["news", "Sport"]), max_size=2, unique=True),
    st.booleans(), st.sampled_from(["usable", "usable", "canceled"]),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(partner=contracts, article=versions)
def test_a_screen_refuses_only_what_the_contract_refuses(
    registry: SQLRegistry, partner: Partner, article: Article
) -> None:
    registry.record_version(article, raw_key=None, received_at=T0)
    registry.mark_written_many([(article.uri, 1, f"k/{article.uri}")])
    seq = registry.last_release()
    row = registry.latest(article.uri)
    assert row is not None and row.article == article
    languages = view._plain_codes(partner.filters.languages)
    screened = registry.screened_releases(seq - 1, seq, languages=languages, limit=5)
    if partner.allows(article):
        assert view._screened(partner, row), (partner.filters, article.language)
    if view.screen_decides(partner):  # these contracts test nothing but the columns
        assert view._screened(partner, row) == partner.allows(article)
    if partner.filters.languages == ():  # any language: every release is a candidate
        assert languages is None
    if partner.filters.match(article) or article.pub_status == "canceled":
        assert screened == [(seq, article.uri)], (languages, article.language)


def test_the_screens_do_refuse(registry: SQLRegistry) -> None:
    english, french = (Article(uri=f"urn:s:{lang}", headline="h", body_html="<p>b</p>",
                               version_created=T0, language=lang, provider="AFP")
                       for lang in ("en", "fr"))
    for article in (english, french):
        registry.record_version(article, raw_key=None, received_at=T0)
    registry.mark_written_many([("urn:s:en", 1, "k1"), ("urn:s:fr", 1, "k2")])
    partner = contract(languages=("en",), providers=("reuters",))
    row = registry.latest("urn:s:fr")
    assert row is not None and not view._screened(partner, row)  # language and provider
    assert not view._screened(contract(languages=("en",)), row)
    assert view._screened(contract(languages=("fr",)), row)
    last = registry.last_release()
    assert registry.screened_releases(0, last, languages=("en",), limit=10) == [
        (last - 1, "urn:s:en")]
    assert len(registry.screened_releases(0, last, languages=None, limit=10)) == 2
    assert registry.screened_releases(0, last, languages=None, limit=1) == [
        (last - 1, "urn:s:en")]


def test_a_row_decodes_its_article_once_read_and_compares_by_it(registry: SQLRegistry) -> None:
    article = Article(uri="urn:lazy", headline="h", body_html="<p>b</p>", version_created=T0,
                      language="en", provider="AFP", country="FRA", products=["news"])
    registry.record_version(article, raw_key=None, received_at=T0)
    stored = registry.latest("urn:lazy")
    assert stored is not None
    built = VersionRow(stored.uri, 1, stored.status, stored.content_hash,
                       stored.version_created, None, stored.received_at, None, None,
                       article, pending=True)
    assert (stored.language, stored.provider, stored.country, stored.products) == (
        "en", "AFP", "FRA", ("news",))
    assert (built.language, built.products) == ("en", ("news",))
    assert stored == built and stored.article is stored.article
    assert stored != VersionRow(stored.uri, 1, stored.status, stored.content_hash,
                                stored.version_created, None, stored.received_at, None, None,
                                Article(uri="urn:lazy", headline="other"), pending=True)
    with pytest.raises(TypeError):
        VersionRow("u", 1, "usable", "h", None, None, T0, None, None)


def test_a_page_is_the_bytes_of_its_document(registry: SQLRegistry) -> None:
    # U+2028 is escaped by ingest.jsonout; joined items must be escaped the same
    article = Article(uri="urn:bytes", headline="line\u2028break", body_html="<p>é</p>",
                      version_created=T0, language="en", provider="AFP")
    registry.record_version(article, raw_key=None, received_at=T0)
    registry.mark_written_many([("urn:bytes", 1, "k")])
    partner = contract()
    page = view.feed_page(registry, partner, 0, 10)
    rendered = RenderedItems()
    body = rendered.page(partner, page.items, page.position)
    assert body == json_bytes({"items": [d.ninjs(partner) for d in page.items],
                               "next_cursor": view.encode_cursor(page.position)})
    assert b"\\u2028" in body
    assert rendered.item(partner, page.items[0]) is rendered.item(partner, page.items[0])


def test_a_page_stops_after_scan_max_positions_and_never_moves_back(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, lang in enumerate(["fr", "fr", "fr", "fr", "en"]):
        article = Article(uri=f"urn:sparse:{n}", headline="h", body_html="<p>b</p>",
                          version_created=T0, language=lang, provider="AFP")
        registry.record_version(article, raw_key=None, received_at=T0)
        registry.mark_written_many([(article.uri, 1, f"k{n}")])
    last = registry.last_release()
    monkeypatch.setattr(view, "SCAN_MAX", 3)
    english = contract(languages=("en",))
    first = view.feed_page(registry, english, last - 5, 10)
    assert (first.items, first.position, first.at_end) == ([], last - 2, False)
    second = view.feed_page(registry, english, first.position, 10)
    assert [d.release.row.uri for d in second.items] == ["urn:sparse:4"]
    assert (second.position, second.at_end) == (last, True)
    ahead = view.feed_page(registry, english, last + 7, 10)
    assert (ahead.items, ahead.position, ahead.at_end) == ([], last + 7, True)


def test_the_registry_screen_keeps_every_language_a_filter_takes(registry: SQLRegistry) -> None:
    uris = {}
    for n, language in enumerate(LANGUAGES):
        article = Article(uri=f"urn:lang:{n}", headline="h", body_html="<p>b</p>",
                          version_created=T0, language=language, provider="AFP")
        registry.record_version(article, raw_key=None, received_at=T0)
        uris[article.uri] = article
    registry.mark_written_many([(uri, 1, f"k/{uri}") for uri in uris])
    last = registry.last_release()
    for code in ("en", "fr", "k", "ss", "eng"):
        partner = contract(languages=(code,))
        taken = {uri for uri, article in uris.items() if partner.allows(article)}
        screened = {uri for _, uri in registry.screened_releases(
            0, last, languages=(code,), limit=100)}
        assert taken <= screened, code
        # beyond that, only languages with other characters than SQL folds
        odd = {u for u, a in uris.items() if re.search("[^A-Za-z0-9-]", a.language or "")}
        assert screened - taken <= odd, code
    kelvin, sharp_s = (f"urn:lang:{LANGUAGES.index(c)}" for c in ("\u212a", "\u00df"))
    assert kelvin in {u for u, a in uris.items() if contract(languages=("k",)).allows(a)}
    assert sharp_s in {u for u, a in uris.items() if contract(languages=("ss",)).allows(a)}


def test_the_screen_decides_only_contracts_with_no_other_test() -> None:
    plain = contract(languages=("en",), providers=("afp",), countries=("fra",),
                     products=("news",), embargo="exclude")
    assert view.screen_decides(plain)
    assert view.screen_decides(dataclasses.replace(
        plain, rights=dataclasses.replace(plain.rights, pictures=False)))  # not a test
    for filters in (Filters(subjects=("medtop:04",)), Filters(genres=("x",)),
                    Filters(max_urgency=3), Filters(keywords=("k",)),
                    Filters(sources=("afp",))):
        assert not view.screen_decides(dataclasses.replace(plain, filters=filters)), filters
    terms = dataclasses.replace(plain.rights, excluded_usage_terms=("no web",))
    assert not view.screen_decides(dataclasses.replace(plain, rights=terms))


def test_a_page_of_a_screened_contract_decodes_only_what_it_renders(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        article = Article(uri=f"urn:decode:{n}", headline="h", body_html="<p>b</p>",
                          version_created=T0, language="en", provider="AFP")
        registry.record_version(article, raw_key=None, received_at=T0)
        registry.mark_written_many([(article.uri, 1, f"k{n}")])
    decoded: list[str] = []
    from_record = Article.from_record

    def counted(record: dict[str, Any]) -> Article:
        decoded.append(record["uri"])
        return from_record(record)

    monkeypatch.setattr(Article, "from_record", staticmethod(counted))
    last = registry.last_release()
    page = view.feed_page(registry, contract(languages=("en",)), last - 3, 10)
    assert len(page.items) == 3 and decoded == []
    narrower = dataclasses.replace(contract(), filters=Filters(languages=("en",),
                                                              max_urgency=9))
    assert view.feed_page(registry, narrower, last - 3, 10).items == []  # no urgency: out
    assert len(decoded) == 3
