"""Page metadata by the ordered lookup: JSON-LD, meta fields, header stamps, bylines, dates.

The pages in this file are hand-written for these tests, one per lookup step; the three
excerpts in ``tests/fixtures/web/meta/`` are real pages' head and byline area (see the
README there). Expected values were read off the page text by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest.parsers.html import HTMLPageParser, load
from ingest.parsers.html_dates import machine_date, url_date, written_date
from ingest.parsers.html_meta import read_meta
from ingest.parsers.text import PageMeta

META = Path(__file__).parent.parent / "fixtures" / "web" / "meta"
BODY = ("<p>The river rose above its banks on Sunday, forcing thousands of residents of "
        "the delta to leave their homes, officials said late in the evening.</p>")


def _meta(head: str, body: str = "", *, lang: str = "en") -> PageMeta:
    page = f'<html lang="{lang}"><head>{head}</head><body>{body}{BODY}</body></html>'
    return read_meta(load(page.encode()))


# 1. JSON-LD ---------------------------------------------------------------------------

def test_json_ld_graph_author_reached_by_id() -> None:
    meta = _meta("""<script type="application/ld+json">{"@context": "https://schema.org",
        "@graph": [{"@type": "WebSite", "@id": "#site", "name": "Delta Daily"},
                   {"@type": "Person", "@id": "#jane", "name": "Jane Doe"},
                   {"@type": ["NewsArticle"], "headline": "River floods the delta",
                    "author": [{"@id": "#jane"}],
                    "datePublished": "2024-03-01T08:00:00+01:00",
                    "dateModified": "2024-03-02T10:30:00+01:00"}]}</script>""")
    assert meta.headline == "River floods the delta"
    assert meta.byline == "Jane Doe"
    assert meta.published == datetime(2024, 3, 1, 8, tzinfo=timezone(timedelta(hours=1)))
    assert meta.modified == datetime(2024, 3, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))


def test_json_ld_in_cdata_and_the_article_chosen_over_other_objects() -> None:
    meta = _meta("""<title>River floods the delta</title>
        <script type="application/ld+json">//<![CDATA[
        [{"@type": "BreadcrumbList", "itemListElement": []},
         {"@type": "BlogPosting", "headline": "Another story", "author": "Max Roe"},
         {"@type": "ReportageNewsArticle", "headline": "River floods the delta",
          "author": {"@type": "Person", "givenName": "Ana", "familyName": "Lima"},
          "datePublished": "2023-11-05"}]
        //]]></script>""")
    assert meta.byline == "Ana Lima"
    assert meta.published == datetime(2023, 11, 5)


def test_json_ld_author_equal_to_the_publisher_gives_way_to_the_printed_byline() -> None:
    meta = _meta("""<meta property="og:site_name" content="Delta Daily">
        <script type="application/ld+json">{"@type": "NewsArticle",
          "headline": "River floods the delta", "author": {"name": "Delta Daily"},
          "publisher": {"@type": "Organization", "name": "Delta Daily"}}</script>""",
                 '<h1>River floods the delta</h1><p class="byline">By Tom Reed</p>')
    assert meta.byline == "Tom Reed"


def test_site_name_kept_when_the_page_names_nobody_else() -> None:
    meta = _meta('<meta property="og:site_name" content="Delta Daily">'
                 '<meta name="author" content="Delta Daily">', "<h1>River floods</h1>")
    assert meta.byline == "Delta Daily"


def test_one_word_site_name_gives_way_to_the_printed_byline() -> None:
    meta = _meta("""<meta property="og:site_name" content="LTO">
        <script type="application/ld+json">{"@type": "NewsArticle",
          "headline": "River floods the delta", "author": {"name": "LTO"}}</script>""",
                 '<h1>River floods the delta</h1>'
                 '<p><a href="/autoren/name/max-kolter">von Dr. Max Kolter</a></p>', lang="de")
    assert meta.byline == "Dr. Max Kolter"


@pytest.mark.parametrize(("site", "author", "byline", "lang", "expected"), [
    # Lone words, here tags in a box marked "author", do not better the site's name...
    ("Solarserver", "Solarserver", '<div class="author vcard"><a href="/c/csp">CSP</a>, '
     '<a href="/c/solar">Solarthermie</a></div>', "de", "Solarserver"),
    # ...but one word is a full name in a script without capitals.
    ("MBN", "배윤경, 이상현", '<p class="byline">By Tom Reed</p>', "ko", "배윤경, 이상현"),
])
def test_lone_words_are_weak_where_names_have_several(site: str, author: str, byline: str,
                                                       lang: str, expected: str) -> None:
    meta = _meta(f'<meta property="og:site_name" content="{site}">'
                 f'<meta name="author" content="{author}">',
                 f"<h1>River floods the delta</h1>{byline}", lang=lang)
    assert meta.byline == expected


def test_hostile_json_ld_is_skipped() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    meta = _meta(f'<script type="application/ld+json">{nested}</script>'
                 '<script type="application/ld+json">{"@type": "NewsArticle", "author": '
                 '[null, 7, {"name": ["x"]}, {"@id": "#nobody"}], "datePublished": ["x"]}'
                 '</script><meta name="author" content="Jane Doe">')
    assert meta.byline == "Jane Doe"
    assert meta.published is None


# 2. Meta fields and microdata -----------------------------------------------------------

def test_article_author_url_skipped_for_the_author_name() -> None:
    meta = _meta('<meta property="article:author" content="https://facebook.com/jdoe">'
                 '<meta name="author" content="Jane Doe">'
                 '<meta property="article:published_time" content="2022-06-01T12:00:00Z">'
                 '<meta property="article:modified_time" content="2022-06-03T09:00:00Z">')
    assert meta.byline == "Jane Doe"
    assert meta.published == datetime(2022, 6, 1, 12, tzinfo=UTC)
    assert meta.modified == datetime(2022, 6, 3, 9, tzinfo=UTC)


def test_twitter_written_by_label() -> None:
    meta = _meta('<meta name="twitter:label1" content="Reading time">'
                 '<meta name="twitter:data1" content="4 minutes">'
                 '<meta name="twitter:label2" content="Written by">'
                 '<meta name="twitter:data2" content="Priya Natarajan">')
    assert meta.byline == "Priya Natarajan"


def test_citation_authors_family_name_first_and_publication_date() -> None:
    meta = _meta('<meta name="citation_author" content="Curie, Marie">'
                 '<meta name="citation_author" content="Curie, Pierre">'
                 '<meta name="citation_publication_date" content="2018/07/18">')
    assert meta.byline == "Marie Curie, Pierre Curie"
    assert meta.published == datetime(2018, 7, 18)


def test_sailthru_fields() -> None:
    meta = _meta('<meta name="sailthru.author" content="Lena Berg">'
                 '<meta name="sailthru.date" content="2021-02-14 07:45:00">')
    assert meta.byline == "Lena Berg"
    assert meta.published == datetime(2021, 2, 14, 7, 45)


def test_microdata_author_name_and_date_published() -> None:
    meta = _meta("", """<article itemscope itemtype="https://schema.org/Article">
        <h1 itemprop="headline">River floods the delta</h1>
        <div itemprop="author" itemscope itemtype="https://schema.org/Person">
          Written by <a href="/people/kim"><span itemprop="name">Kim Park</span></a></div>
        <span itemprop="datePublished" content="2020-09-09">9 Sept</span>
        <div class="comments"><div itemprop="author">Some Commenter</div></div>
        </article>""")
    assert meta.byline == "Kim Park"
    assert meta.published == datetime(2020, 9, 9)


# 3. <time datetime> in the article header ----------------------------------------------

def test_time_in_header_told_apart_published_and_updated() -> None:
    meta = _meta("", """<article><h1>River floods the delta</h1>
        <p>Updated <time datetime="2019-10-24T09:00:00+02:00">24 Oct</time></p>
        <p>Published <time datetime="2019-10-23T18:00:00+02:00">23 Oct</time></p>
        </article>""")
    assert meta.published == datetime(2019, 10, 23, 18, tzinfo=timezone(timedelta(hours=2)))
    assert meta.modified == datetime(2019, 10, 24, 9, tzinfo=timezone(timedelta(hours=2)))


# 4. Byline elements and "By …" lines ----------------------------------------------------

def test_byline_element_with_author_link_date_and_role() -> None:
    meta = _meta("", """<h1>River floods the delta</h1>
        <div class="article-byline">By <a href="/author/jane-doe">Jane Doe</a>,
        Staff Writer | March 3, 2020</div>""")
    assert meta.byline == "Jane Doe"


@pytest.mark.parametrize(("line", "lang", "names"), [
    ("Par Jean Dupont et Marie Martin", "fr", "Jean Dupont, Marie Martin"),
    ("Von Max Mustermann und Erika Musterfrau, dpa", "de",
     "Max Mustermann, Erika Musterfrau, dpa"),
    ("Por Ana García | 23 de octubre de 2019", "es", "Ana García"),
    ("Written by Rob Ewaschuk Edited by Betsy Beyer", "en", "Rob Ewaschuk"),
    ("By GILLIAN MOHNEY March 11, 2015 3:46 PM", "en", "GILLIAN MOHNEY"),
])
def test_by_line_under_the_headline(line: str, lang: str, names: str) -> None:
    meta = _meta("", f"<h1>River floods the delta</h1><p>{line}</p>", lang=lang)
    assert meta.byline == names


@pytest.mark.parametrize("line", ["Dec 17, 2025Julian K. Arni", "17.12.2025 - Julian K. Arni"])
def test_date_printed_before_the_name_in_a_byline_element(line: str) -> None:
    meta = _meta("", f'<h1>River floods the delta</h1><div class="dateAndAuthor">{line}</div>')
    assert meta.byline == "Julian K. Arni"


def test_by_line_opening_the_first_paragraph_in_bold() -> None:
    meta = _meta("", "<h1>River floods the delta</h1><p><strong>By Md Aynal Haque</strong>"
                     f"{BODY[3:-4] * 2}</p>")
    assert meta.byline == "Md Aynal Haque"


def test_written_by_label_above_the_name() -> None:
    meta = _meta("", "<h1>River floods the delta</h1><div><p>Written by</p>"
                     "<p>Edith Wharton</p></div>")
    assert meta.byline == "Edith Wharton"


def test_no_byline_invented_from_a_sentence_starting_with_de() -> None:
    meta = _meta("", "<h1>Crue</h1><p>De nombreux habitants ont quitté leurs maisons.</p>",
                 lang="fr")
    assert meta.byline is None


# 5. Dates written near the headline -----------------------------------------------------

@pytest.mark.parametrize(("line", "lang", "day"), [
    ("23. Oktober 2019, 14:05 Uhr", "de", datetime(2019, 10, 23)),
    ("Publié le 2 mars 2021", "fr", datetime(2021, 3, 2)),
    ("October 23, 2019", "en", datetime(2019, 10, 23)),
    ("05/04/2022", "pt", datetime(2022, 4, 5)),
    ("05/04/2022", "en-US", datetime(2022, 5, 4)),
])
def test_written_date_under_the_headline(line: str, lang: str, day: datetime) -> None:
    meta = _meta("", f"<h1>River floods the delta</h1><p>{line}</p>", lang=lang)
    assert meta.published == day


def test_written_updated_date_is_the_modified_one() -> None:
    meta = _meta("", "<h1>River floods the delta</h1><p>Updated 5 May 2021</p>"
                     "<p>Published 4 May 2021</p>")
    assert meta.published == datetime(2021, 5, 4)
    assert meta.modified == datetime(2021, 5, 5)


# 6. Date in the URL ---------------------------------------------------------------------

def test_date_in_the_canonical_url() -> None:
    meta = _meta('<link rel="canonical" href="https://example.org/news/2019/10/23/floods">')
    assert meta.published == datetime(2019, 10, 23)


@pytest.mark.parametrize(("stamp", "url", "day"), [
    # 02:25Z is still the 24th west of Greenwich: the address prints the publisher's day.
    ("2020-02-25T02:25:54+00:00", "https://example.org/2020/02/24/floods", "2020-02-24"),
    ("2021-11-04T23:00Z", "https://example.org/2021/11/05/floods", "2021-11-05"),
    # No offset brings 05:00Z to the next day, nor 14:00Z to the day before.
    ("2020-02-25T05:00:00+00:00", "https://example.org/2020/02/26/floods", "2020-02-25"),
    ("2020-02-25T14:00:00+00:00", "https://example.org/2020/02/24/floods", "2020-02-25"),
    # A stamp with the page's own offset is its day already.
    ("2020-02-25T02:25:54-05:00", "https://example.org/2020/02/24/floods", "2020-02-25"),
])
def test_utc_stamp_takes_the_day_the_page_prints(stamp: str, url: str, day: str) -> None:
    meta = _meta(f'<link rel="canonical" href="{url}">'
                 f'<meta property="article:published_time" content="{stamp}">')
    assert meta.published is not None and meta.published.date().isoformat() == day


@pytest.mark.parametrize(("url", "day"), [
    ("https://example.org/2019/10/23/floods", datetime(2019, 10, 23)),
    ("https://example.org/story-20191023-floods.html", datetime(2019, 10, 23)),
    ("https://example.org/2019-10-23-floods", datetime(2019, 10, 23)),
    ("https://example.org/2019/10/floods", None),
    ("https://example.org/item/12345678", None),
])
def test_url_date(url: str, day: datetime | None) -> None:
    assert url_date(url) == day


# Date parsing ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "parsed"), [
    ("2019-10-23T18:00:00.000+0200",
     datetime(2019, 10, 23, 18, tzinfo=timezone(timedelta(hours=2)))),
    ("2019-10-23 18:00:00", datetime(2019, 10, 23, 18)),
    ("20191023", datetime(2019, 10, 23)),
    ("Wed, 23 Oct 2019 18:00:00 GMT", datetime(2019, 10, 23, 18, tzinfo=UTC)),
    ("not a date", None),
    ("1870-01-01", None),
])
def test_machine_date(value: str, parsed: datetime | None) -> None:
    assert machine_date(value) == parsed


def test_written_date_reports_the_updated_word() -> None:
    assert written_date("Aktualisiert am 3. März 2020", day_first=True) == (
        datetime(2020, 3, 3), True)
    assert written_date("3 de marzo de 2020", day_first=True) == (datetime(2020, 3, 3), False)


# Headline -------------------------------------------------------------------------------

def test_application_name_that_is_the_page_title_is_not_the_site_name() -> None:
    title = "Nintendo's first iPhone game will launch in December for $10"
    meta = _meta(f'<meta property="og:title" content="{title}">'
                 f'<meta name="application-name" content="{title}">'
                 '<meta property="og:site_name" content="MSN">',
                 f"<h1>msn back to msn home news</h1><h1>{title}</h1>")
    assert meta.headline == title


def test_site_logo_h1_is_not_the_headline() -> None:
    meta = _meta('<meta property="og:site_name" content="Gnaddrig ad libitum">'
                 "<title>Scissor cut (3) | Gnaddrig ad libitum</title>",
                 "<h1>Gnaddrig ad libitum</h1><h2>Scissor cut (3)</h2>")
    assert meta.headline == "Scissor cut (3)"


def test_byline_reaches_the_article() -> None:
    page = (b"<html><head><title>River floods the delta</title></head><body>"
            b"<h1>River floods the delta</h1><p class='byline'>By Jane Doe</p>"
            + BODY.encode() * 3 + b"</body></html>")
    item = next(HTMLPageParser().parse(page, source="test"))
    assert item.article.byline == "Jane Doe"  # type: ignore[union-attr]


# Real excerpts (tests/fixtures/web/meta/README.md) --------------------------------------

def _fixture(name: str) -> PageMeta:
    return read_meta(load((META / name).read_bytes()))


def test_hacks_mozilla_rel_author_and_hatom_published() -> None:
    meta = _fixture("hacks-mozilla-002.html")
    assert meta.headline == "This API is so Fetching!"
    assert meta.byline == "Nikhil Marathe"
    assert meta.published == datetime(2015, 3, 10, 8, 5, 41,
                                      tzinfo=timezone(timedelta(hours=-7)))


def test_tryotter_written_by_label_and_last_updated() -> None:
    meta = _fixture("tryotter-0058.html")
    assert meta.headline == "10 Trends in catering to look for in 2025"
    assert meta.byline == "Edzel Tabing"
    assert meta.modified == datetime(2025, 8, 4)


def test_livenet_autor_label_among_other_labels() -> None:
    meta = _fixture("livenet-sprache.html")
    assert meta.headline == "Von Sprachregeln, Gender-Politik und «ganz normalem Deutsch»"
    assert meta.byline == "Fritz Imhof"
    assert meta.published == datetime(2021, 11, 19)
