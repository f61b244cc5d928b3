"""Safelist sanitising of body HTML before it can reach a partner (nh3, the Rust ammonia)."""

from __future__ import annotations

import nh3

# Structure a news body needs, nothing that runs, loads or tracks.
BODY_TAGS = frozenset(
    {"p", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "em", "strong", "b", "i",
     "a", "br", "q", "cite", "sub", "sup", "table", "thead", "tbody", "tr", "th", "td"}
)
BODY_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                                        "th": {"colspan", "rowspan"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


_CLEANER = nh3.Cleaner(
    tags=set(BODY_TAGS),
    attributes=BODY_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitise_html(fragment: str) -> str:
    """Keep only safe structure: no scripts, handlers, iframes, images or odd URL schemes.

    Images are dropped from bodies on purpose: pictures travel as associations with their
    credits, and an inline ``<img>`` is how tracking pixels get in. The cleaner is built
    once: building it per call cost more than the cleaning itself.
    """
    return _CLEANER.clean(fragment)
