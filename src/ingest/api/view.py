"""A partner's view of the release log: what ``/v1/feed`` and ``/v1/items`` hand out.

The log (``ArticleRegistry.releases_after``) holds each version once, in the order it was
written to ``articles/``: embargoes are over by then, archive loads never get there, and
a story's later versions stop at its kill. Walking one story's releases in log order, a
partner gets:

- a version as an **item** when it is ``usable`` (corrections are), it is higher than any
  version of the story released before it, ``Partner.allows`` it (filters and rights:
  the feeds' test), and it was no older than the partner's ``max_age`` when released
  (the feeds' window);
- the story's first kill as a **kill** (``pubStatus: canceled``) when it got any item of
  the story before; nothing of the story after that.

Each item or kill is rendered as the feeds render it: ``make_entry`` of ``Partner.view``
(unlicensed pictures gone; a kill withdrawn). The rule reads nothing but the log before
the release it judges, so a page is a function of its cursor: the log only grows.

Most releases a page looks at are not for the partner. ``Partner.allows`` needs the
decoded article, so a version is first put to the part of the contract that reads only
the columns the registry keeps beside the record (``_screened``): what that refuses,
``allows`` refuses, so those versions are never decoded, nor their stories' history read.
When the contract has no other test (``screen_decides``), what the screen passes,
``allows`` passes: a version is decoded only to be rendered, which ``render`` does once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from ingest.model import Article, utc
from ingest.publish.formats import Kind, make_entry
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds
from ingest.publish.partners import Filters, Partner, Rights
from ingest.registry.api import ArticleRegistry, Release, VersionRow
from ingest.registry.feedreads import feed_batch
from ingest.registry.sql import SQLRegistry

MAX_LIMIT = 100
SCAN_BATCH = 200  # candidate releases read per query while filling a page, at most
SCAN_MAX = 5000  # positions one page looks at, at most: a narrow partner's page may be short
_CODE = re.compile("[a-z0-9]+")


class BadCursor(ValueError):
    """A cursor this API never issued."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """A release the partner gets, and as what."""

    release: Release
    kind: Kind

    def ninjs(self, partner: Partner, ids: TagIds = DEFAULT_IDS) -> dict[str, Any]:
        row = self.release.row
        entry = make_entry(partner.view(row.article), self.kind, row.received_at, ids)
        return entry.article.to_ninjs()


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Delivered]
    position: int  # the last release looked at: where the next page starts
    at_end: bool  # the page stopped at the end of the log (not at its limit)


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"r{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(cursor) from None
    if text[:1] != "r" or not text[1:].isdigit() or encode_cursor(int(text[1:])) != cursor:
        raise BadCursor(cursor)
    return int(text[1:])


def story_deliveries(partner: Partner, releases: Sequence[Release]) -> list[Delivered]:
    """What ``partner`` gets of one story's releases (in log order): the module's rule."""
    out: list[Delivered] = []
    highest = 0
    for release in releases:
        row = release.row
        if row.status == "canceled":
            if out:
                out.append(Delivered(release, "kill"))
            return out
        if row.version > highest and _may_be_item(partner, release) and (
                screen_decides(partner) or partner.allows(row.article)):
            out.append(Delivered(release, "item"))
        highest = max(highest, row.version)
    return out


def _may_be_item(partner: Partner, release: Release) -> bool:
    """The rule's tests for an item that need no decoding: usable, fresh, screened."""
    row = release.row
    return row.status == "usable" and _fresh(partner, release) and _screened(partner, row)


def _fresh(partner: Partner, release: Release) -> bool:
    row = release.row
    return utc(row.version_created or row.received_at) >= release.released_at - partner.max_age


def _screened(partner: Partner, row: VersionRow) -> bool:
    """False only when ``partner.allows`` refuses the version: the contract's tests that
    read the row's columns, run on an article holding just those."""
    facets = Article(uri=row.uri, version=row.version, language=row.language,
                     provider=row.provider, country=row.country, products=list(row.products),
                     embargoed_until=row.embargoed_until)
    return screen(partner).allows(facets)


@cache
def screen(partner: Partner) -> Partner:
    """``partner`` with only the filters and rights that read ``language``, ``products``,
    ``country``, ``provider`` and ``embargoed_until``; every other one left at its
    default, "any". Each test reads the same fields of the same article as in the full
    contract, so whatever this refuses, the full contract refuses."""
    f, r = partner.filters, partner.rights
    return dataclasses.replace(
        partner, filters=Filters(languages=f.languages, products=f.products,
                                 countries=f.countries),
        rights=Rights(providers=r.providers, embargo=r.embargo))


@cache
def screen_decides(partner: Partner) -> bool:
    """Whether ``screen(partner)`` is the whole of ``partner.allows``: no test it leaves at
    "any" is set (``pictures`` is not a test of ``allows``). Then a version the screen
    passes is allowed without decoding it, and a page whose items are all rendered
    already decodes nothing."""
    screened = screen(partner)
    return screened.filters == partner.filters and dataclasses.replace(
        screened.rights, pictures=partner.rights.pictures) == partner.rights


def start_position(registry: ArticleRegistry, partner: Partner, now: datetime) -> int:
    """Where a first call (no cursor) starts: the releases of the partner's ``max_age``."""
    return registry.release_position(now - partner.max_age)


def feed_page(registry: SQLRegistry, partner: Partner, after: int, limit: int) -> Page:
    """Up to ``limit`` deliveries after position ``after``, in log order.

    The registry names the releases the partner may get (kills, and versions its language
    filter may take: ``screened_releases``); those stories' releases, all of them up to
    the batch's end, decide (both read in one query: ``feed_batch``). The log's end is
    read first: every position up to it is committed, so nothing is passed over that a
    later read would find.
    """
    end = registry.last_release()
    upto = max(after, min(after + SCAN_MAX, end))  # a cursor never moves back
    languages = _plain_codes(partner.filters.languages)
    batch_size = min(SCAN_BATCH, limit + limit // 4 + 8)  # a few kills and refusals
    items: list[Delivered] = []
    position = after
    while position < upto:
        batch = feed_batch(registry, position, upto, languages=languages, limit=batch_size)
        chosen = sorted((d.release.seq, d) for releases in batch.histories.values()
                        for d in story_deliveries(partner, releases)
                        if position < d.release.seq <= batch.end)
        for seq, delivered in chosen:
            items.append(delivered)
            if len(items) == limit:
                return Page(items, seq, at_end=False)
        position = batch.end
    return Page(items, upto, at_end=upto >= end)


def _plain_codes(languages: tuple[str, ...]) -> tuple[str, ...] | None:
    """The partner's languages, for the registry to screen by, when they are all plain
    lower-case ASCII codes (as ``screened_releases`` takes them); None: no screening."""
    return languages if languages and all(_CODE.fullmatch(code) for code in languages) \
        else None


def latest_delivered(
    registry: ArticleRegistry, partner: Partner, uri: str, now: datetime
) -> Delivered | None:
    """The story as the partner's feeds show it now: its latest version if the partner got
    it and it is still shown (not withheld, no newer version embargoed), or its kill."""
    state = registry.latest_many([uri]).get(uri)
    releases = registry.story_releases([uri]).get(uri, [])
    got = story_deliveries(partner, releases)
    if state is None or not got:
        return None
    last = got[-1]
    if last.kind == "kill":
        return last
    latest, status = state
    if status != "usable" or (latest.embargoed_until and utc(latest.embargoed_until) > now):
        return None
    newest_released = max(r.row.version for r in releases)
    return last if last.release.row.version == newest_released else None


def version_delivered(
    registry: ArticleRegistry, partner: Partner, uri: str, version: int
) -> Delivered | None:
    """Version ``version`` of the story if the partner got it, and the story is not killed
    (then only the kill itself is there)."""
    got = story_deliveries(partner, registry.story_releases([uri]).get(uri, []))
    killed = bool(got) and got[-1].kind == "kill"
    for delivered in got:
        if delivered.release.row.version == version and (delivered.kind == "kill" or not killed):
            return delivered
    return None
