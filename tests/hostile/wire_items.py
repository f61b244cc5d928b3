"""Wire items built from parts: NewsML-G2, NewsML 1.2, API Core JSON, HTML pages and text.

Every ``*_fragment`` argument is put into the document as given (markup included), so a
hostile test can inject anything; ``esc`` makes plain text safe. The fault tests and
``bench/load.py`` build their well-formed traffic with the same functions.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

G2_NS = "http://iptc.org/std/nar/2006-10-01/"


def esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def g2(
    guid: str,
    version: int = 1,
    *,
    headline: str = "A headline",
    body: str = "<p>A paragraph of the story.</p>",
    status: str = "usable",
    lang: str = "en",
    byline: str = "Ingrid LARSSON",
    usage: str = "",
    ed_note: str = "",
    created: str = "2026-11-27T08:30:12Z",
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
    picture: str = "",
    see_also: str = "",
) -> bytes:
    """One NewsML-G2 newsItem in a newsMessage; text arguments are XML fragments.

    ``picture`` is a further newsItem (``g2_picture``) and ``see_also`` its guid.
    """
    note = f"<edNote>{ed_note}</edNote>" if ed_note else ""
    link = (
        f'<link rel="irel:seeAlso" residref="{see_also}" contenttype="image/jpeg"/>'
        if see_also else ""
    )
    terms = f"<usageTerms>{usage}</usageTerms>" if usage else ""
    return (
        f'{prolog}<newsMessage xmlns="{G2_NS}"><header><sent>{created}</sent></header>'
        f'<itemSet><newsItem guid="{guid}" version="{version}" standard="NewsML-G2" '
        f'standardversion="2.35" xml:lang="{lang}">'
        f"<rightsInfo><copyrightHolder><name>AFP</name></copyrightHolder>{terms}</rightsInfo>"
        f'<itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:AFP"/>'
        f"<versionCreated>{created}</versionCreated>"
        f'<pubStatus qcode="stat:{status}"/>{note}{link}</itemMeta>'
        f'<contentMeta><language tag="{lang}"/><headline>{headline}</headline>'
        f"<by>{byline}</by></contentMeta>"
        f'<contentSet><inlineXML contenttype="application/xhtml+xml">'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>'
        f"</inlineXML></contentSet></newsItem>{picture}</itemSet></newsMessage>"
    ).encode(errors="surrogatepass")  # lone surrogates stay broken bytes


def g2_picture(guid: str, *, caption: str, credit: str, href: str) -> str:
    """A picture newsItem to pass as ``g2(..., picture=...)``; arguments are fragments."""
    return (
        f'<newsItem guid="{guid}" version="1" standard="NewsML-G2" standardversion="2.35">'
        f'<itemMeta><itemClass qcode="ninat:picture"/><provider qcode="nprov:AFP"/>'
        f"<versionCreated>2026-11-27T08:15:44Z</versionCreated></itemMeta>"
        f"<contentMeta><headline>Picture</headline><creditline>{credit}</creditline>"
        f'<description role="drol:caption">{caption}</description></contentMeta>'
        f'<contentSet><remoteContent rendition="rnd:highRes" href="{href}" '
        f'contenttype="image/jpeg" width="300" height="200"/></contentSet></newsItem>'
    )


def newsml12(
    item_id: str,
    revision: int = 1,
    *,
    headline: str = "A headline",
    body: str = "<p>A paragraph of the story.</p>",
    status: str = "Usable",
    byline: str = "Ingrid LARSSON",
    created: str = "20261127T083012+0000",
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
) -> bytes:
    """One AFP NewsML 1.2 NewsItem; text arguments are XML fragments."""
    return (
        f'{prolog}<NewsML Version="1.2"><NewsEnvelope><DateAndTime>20261127T083012Z'
        f'</DateAndTime></NewsEnvelope><NewsItem xml:lang="en"><Identification>'
        f"<NewsIdentifier><ProviderId>afp.com</ProviderId><DateId>20261127T083012Z</DateId>"
        f"<NewsItemId>{item_id}</NewsItemId><RevisionId>{revision}</RevisionId>"
        f"</NewsIdentifier></Identification><NewsManagement>"
        f'<NewsItemType FormalName="News"/><FirstCreated>{created}</FirstCreated>'
        f"<ThisRevisionCreated>{created}</ThisRevisionCreated>"
        f'<Status FormalName="{status}"/></NewsManagement><NewsComponent><NewsLines>'
        f"<HeadLine>{headline}</HeadLine><ByLine>{byline}</ByLine></NewsLines>"
        f'<DescriptiveMetadata><Language FormalName="en"/></DescriptiveMetadata>'
        f"<ContentItem><DataContent><nitf><body><body.content>{body}"
        f"</body.content></body></nitf></DataContent></ContentItem></NewsComponent>"
        f"</NewsItem></NewsML>"
    ).encode(errors="surrogatepass")  # lone surrogates stay broken bytes


def api_doc(uno: str, revision: int = 1, **fields: Any) -> dict[str, Any]:
    """One API Core document; ``fields`` override or add keys (plain text, any value)."""
    doc: dict[str, Any] = {
        "uno": uno, "revision": revision, "status": "Usable", "lang": "en",
        "product": "news", "class": "text", "published": "2026-11-27T08:30:12Z",
        "headline": f"Headline {uno}", "creator": "Ingrid LARSSON",
        "news": [f"Body of {uno}, a paragraph long enough to be a story."],
    }
    doc.update(fields)
    return doc


def api_page(*docs: dict[str, Any]) -> bytes:
    """A search response page, as ``/v1/api/search`` returns it."""
    return json.dumps(
        {"response": {"status": {"code": 0}, "numFound": len(docs), "docs": list(docs)}}
    ).encode(errors="surrogatepass")  # lone surrogates stay broken bytes


def html_page(*, title: str, body: str, head: str = "") -> bytes:
    """A web article page; arguments are HTML fragments."""
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>"
        f"<article><h1>{title}</h1>{body}</article></body></html>"
    ).encode(errors="surrogatepass")  # lone surrogates stay broken bytes
