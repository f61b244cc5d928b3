"""``GET /v1/media/{name}``: a picture copy, for a partner one of whose stories links it.

The partner may fetch ``media/<name>`` when a version it got (``view.story_deliveries``:
the feeds' rule) still shows, in ``Partner.view``, a rendition linked to exactly the URL
the partner was given: a picture its rights exclude was never linked, so it is not
served either, and a killed story's pictures go with it. The registry's ``media_refs``
says which versions to look at; the stored versions decide. Anything else, a key that is
not a copy's (``media/<sha256>.<ext>``) included, is the same 404 as a missing picture,
and no other key of the store is ever read. See docs/api.md.
"""

# No ``from __future__ import annotations``: FastAPI reads the route's annotations.
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import HTTPException

from ingest.api import view
from ingest.api.app import Caller, _matches
from ingest.model import Article
from ingest.publish.media import MEDIA_PREFIX, is_media_key, sniff
from ingest.publish.objectstore import ObjectNotFound, ObjectStore
from ingest.publish.partners import Partner
from ingest.registry.api import ArticleRegistry, Release

CACHE_CONTROL = "private, max-age=31536000, immutable"  # a key names its bytes forever
STORIES_PER_QUERY = 50  # stories whose releases are read at once, until one grants the key
_NOT_FOUND = {"error": "not_found", "detail": "no such picture for this key"}


def add_media_route(
    app: FastAPI, registry: ArticleRegistry, store: ObjectStore,
    authorised: Callable[..., Caller],
) -> None:
    """Serve picture copies on ``app``, behind the API's own key check ``authorised``."""

    @app.get("/v1/media/{name:path}", summary="A picture copy the partner's stories link",
             response_class=Response,
             responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/gif": {},
                                          "image/webp": {}}}})
    def media(
        request: Request, caller: Annotated[Caller, Depends(authorised)], name: str
    ) -> Response:
        key = MEDIA_PREFIX + name
        if not is_media_key(key) or not may_fetch(registry, caller.partner, key):
            raise HTTPException(404, _NOT_FOUND)
        etag = f'"{key.removeprefix(MEDIA_PREFIX).split(".")[0]}"'  # the bytes' SHA-256
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        try:
            data = store.get(key)
        except ObjectNotFound:
            raise HTTPException(404, _NOT_FOUND) from None
        kind = sniff(data)
        if kind is None:  # not what the copier wrote there
            raise HTTPException(404, _NOT_FOUND)
        return Response(data, headers=headers, media_type=kind.content_type)


def may_fetch(registry: ArticleRegistry, partner: Partner, key: str) -> bool:
    """Whether a version ``partner`` got, and may still see, links copy ``key``."""
    url = partner.media_url(key)
    refs = registry.media_refs(key)  # by uri, then version
    by_story = {uri: {v for _, v in refs} for uri, refs in groupby(refs, lambda r: r[0])}
    uris = list(by_story)
    for start in range(0, len(uris), STORIES_PER_QUERY):
        histories = registry.story_releases(uris[start:start + STORIES_PER_QUERY])
        for uri, releases in histories.items():
            if _grants(partner, releases, by_story[uri], url):
                return True
    return False


def _grants(
    partner: Partner, releases: Sequence[Release], versions: set[int], url: str
) -> bool:
    got = view.story_deliveries(partner, releases)
    if got and got[-1].kind == "kill":
        return False
    return any(d.release.row.version in versions and _links(partner.view(d.release.row.article),
                                                            url) for d in got)


def _links(article: Article, url: str) -> bool:
    return any(r.href == url for p in article.pictures for r in p.renditions)
