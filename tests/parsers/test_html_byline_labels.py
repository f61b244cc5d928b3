"""Byline texts that carry a label around the name (``html_byline.clean_names``).

The pages are hand-written for these tests: WordPress's author-archive link text ("View
all posts by …", as its translations print it) and a German credit label ("Interview:"),
after patterns seen on the tuning part of the trafilatura-eval page set; no page is copied.
"""

from __future__ import annotations

import pytest

from ingest.parsers.html import load
from ingest.parsers.html_meta import read_meta

BODY = ("<p>The river rose above its banks on Sunday, forcing thousands of residents of "
        "the delta to leave their homes, officials said late in the evening.</p>")


def _byline(header: str, *, lang: str = "de") -> str | None:
    page = (f'<html lang="{lang}"><head></head><body><article><h1>River floods the delta</h1>'
            f'{header}{BODY}</article></body></html>')
    return read_meta(load(page.encode())).byline


@pytest.mark.parametrize("link", [
    "Zeige alle Beiträge von Petra Ruland",
    "View all posts by Petra Ruland →",
    "Voir tous les articles de Petra Ruland",
])
def test_author_archive_link_text_gives_the_name(link: str) -> None:
    header = f'<div class="author"><a href="/author/petra-ruland/">{link}</a></div>'
    assert _byline(header) == "Petra Ruland"


def test_interview_label_names_the_interviewer() -> None:
    header = '<p><a href="/suche?author=Julia%20Lauter">Interview: Julia Lauter</a></p>'
    assert _byline(header) == "Julia Lauter"


def test_lone_interview_word_is_no_name() -> None:
    assert _byline("<p>Interview</p>") is None
