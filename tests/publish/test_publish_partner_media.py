"""Where a partner is sent for a picture copy: ``Partner.view`` links each copied rendition
under the partner's ``media_base_url`` (a CDN, the API's ``/v1/``), and under its
``base_url`` when the file names none.

Contracts are read from YAML-shaped dicts as an operator writes them; the expected URLs
are the documented rule (``media_base_url`` + key, else ``base_url`` + key), spelled out
here. Found by ``make mutants`` (docs/testing.md): ``tests/api/test_api_media.py`` checks
the same rule but is not among the mutation run's fast tests.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ingest.model import Article, Picture, Rendition
from ingest.publish.partners import Partner, parse_partners

KEY = f"media/{'cd' * 32}.jpg"  # a copy's key, as ``ingest.publish.media`` names them
STORY = Article(uri="urn:x:pic", headline="H", provider="AFP", language="en", pictures=[
    Picture("urn:x:pic:1", renditions=[Rendition("hd", KEY)]),
])


def _contract(**top: Any) -> Partner:
    entry = {"id": "p", "name": "P", "formats": ["rss"],
             "rights": {"providers": ["AFP"], "pictures": True}}
    [partner] = parse_partners({"base_url": "https://feeds.example.com", **top,
                                "partners": [entry]})
    return partner


@pytest.mark.parametrize(("top", "expected"), [
    ({}, f"https://feeds.example.com/{KEY}"),
    ({"media_base_url": "https://cdn.example.com/pics/"}, f"https://cdn.example.com/pics/{KEY}"),
])
def test_a_partner_views_copies_under_its_media_base(top: dict[str, str], expected: str) -> None:
    partner = _contract(**top)
    assert partner.media_url(KEY) == expected
    [picture] = partner.view(STORY).pictures
    assert [r.href for r in picture.renditions] == [expected]
    assert STORY.pictures[0].renditions[0].href == KEY  # the stored article is not changed


def test_a_partner_built_without_a_media_base_uses_its_base_url() -> None:
    bare = dataclasses.replace(_contract(), media_base_url="")
    assert bare.media_url(KEY) == f"https://feeds.example.com/{KEY}"
