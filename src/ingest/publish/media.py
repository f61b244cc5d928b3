"""Picture renditions copied into the store, keyed by content, and linked per partner.

A rendition an item names (a file delivered beside it, AFP's URL behind a token, a web
page's image) is fetched once when its version is recorded, checked (a size cap, and
magic bytes saying JPEG, PNG, GIF or WebP whatever the name or header claims), and
written once to ``media/<sha256>.<ext>``. The rendition then holds that store-relative
key, never a URL: each output resolves it against its own base (``link_media``), so one
stored version serves partners with different base URLs, and the API, alike. A picture
whose copy failed keeps the href it came with. See docs/media.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, Rendition
from ingest.publish.objectstore import ObjectStore

log = logging.getLogger(__name__)

MEDIA_PREFIX = "media/"
DEFAULT_MAX_MEDIA_BYTES = 20_000_000
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"  # a key names its bytes forever
_MEDIA_KEY = re.compile(r"^media/[0-9a-f]{64}\.(?:jpg|png|gif|webp)$")


@dataclass(frozen=True, slots=True)
class MediaType:
    content_type: str
    ext: str


JPEG = MediaType("image/jpeg", "jpg")
PNG = MediaType("image/png", "png")
GIF = MediaType("image/gif", "gif")
WEBP = MediaType("image/webp", "webp")


def sniff(data: bytes) -> MediaType | None:
    """The picture type the bytes themselves declare (their magic numbers), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def is_media_key(href: str) -> bool:
    """Whether ``href`` is a store-relative copy made here (``media/<sha256>.<ext>``)."""
    return _MEDIA_KEY.match(href) is not None


class MediaFetch(Protocol):
    """Where a source's renditions come from (``sources.media``)."""

    def handles(self, href: str) -> bool:
        """Whether this href is one this source can reach (others are left as they are)."""
        ...

    def fetch(self, href: str, max_bytes: int) -> bytes:
        """At most ``max_bytes`` of the rendition, or ``IngestError``."""
        ...


@dataclass(frozen=True, slots=True)
class StoredMedia:
    key: str
    media_type: MediaType
    size: int


class MediaCopier:
    """Copies renditions into ``store`` from ``source``, within ``max_bytes`` each."""

    def __init__(self, store: ObjectStore, source: MediaFetch, *,
                 max_bytes: int = DEFAULT_MAX_MEDIA_BYTES) -> None:
        self.store = store
        self.source = source
        self.max_bytes = max_bytes

    def copy(self, href: str) -> StoredMedia:
        """Fetch, check and store one rendition (once: the key is its content's hash)."""
        try:
            data = self.source.fetch(href, self.max_bytes)
        except IngestError:
            raise
        except Exception as exc:  # a source's fault (S3 refusing, a socket error) must not
            log.exception("media: fetching %s crashed", href)  # stop the batch it is in
            raise IngestError(Reason.FETCH_FAILED, f"{href}: {type(exc).__name__}: {exc}") from exc
        if len(data) > self.max_bytes:  # a fetcher that did not stop at the cap
            raise IngestError(Reason.TOO_LARGE, f"{href}: more than {self.max_bytes} bytes")
        kind = sniff(data)
        if kind is None:
            raise IngestError(Reason.UNKNOWN_FORMAT,
                              f"{href}: not a JPEG, PNG, GIF or WebP picture ({data[:8]!r})")
        key = f"{MEDIA_PREFIX}{hashlib.sha256(data).hexdigest()}.{kind.ext}"
        self.store.put_if_absent(key, data, content_type=kind.content_type,
                                 cache_control=MEDIA_CACHE_CONTROL)
        return StoredMedia(key, kind, len(data))

    def localise(self, article: Article) -> Counter[str]:
        """Point ``article``'s renditions at their copies, in place; counts by outcome.

        ``copied``, or the failure's reason; a failed rendition keeps its href, and so
        does one the source cannot reach (a web URL in a dropped file).
        """
        outcomes: Counter[str] = Counter()
        for picture in article.pictures:
            for rendition in picture.renditions:
                if is_media_key(rendition.href) or not self.source.handles(rendition.href):
                    continue
                try:
                    stored = self.copy(rendition.href)
                except IngestError as exc:
                    log.warning("media: %s of %s not copied: %s", rendition.href,
                                article.uri, exc)
                    outcomes[str(exc.reason)] += 1
                    continue
                rendition.href = stored.key
                rendition.content_type = stored.media_type.content_type
                rendition.size_in_bytes = stored.size
                outcomes["copied"] += 1
        return outcomes


def link_media(article: Article, url_for: Callable[[str], str]) -> Article:
    """``article`` with each copy's key resolved by ``url_for`` (the reader's base + key).

    The article itself when it links no copy, so callers can tell nothing changed.
    """
    if not any(is_media_key(r.href) for p in article.pictures for r in p.renditions):
        return article
    return dataclasses.replace(article, pictures=[_linked(p, url_for) for p in article.pictures])


def own_copies(picture: Picture) -> Picture:
    """``picture`` with only the renditions copied into the store, if it is a photo.

    Package members (``type`` text, video...) keep their links: they are not copied.
    """
    if picture.type != "picture":
        return picture
    copies = [r for r in picture.renditions if is_media_key(r.href)]
    return picture if copies == picture.renditions else dataclasses.replace(
        picture, renditions=copies)


def _linked(picture: Picture, url_for: Callable[[str], str]) -> Picture:
    renditions = [_resolved(r, url_for) for r in picture.renditions]
    return dataclasses.replace(picture, renditions=renditions)


def _resolved(rendition: Rendition, url_for: Callable[[str], str]) -> Rendition:
    if not is_media_key(rendition.href):
        return rendition
    return dataclasses.replace(rendition, href=url_for(rendition.href))
