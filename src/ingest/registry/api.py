"""What the rest of ingest may ask of the registry: the seam the pipeline codes against."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ingest.model import Article


class RecordResult(StrEnum):
    """What recording one parsed version did."""

    NEW = "new"  # a version the registry had not seen: stored
    DUPLICATE = "duplicate"  # same story, version and content hash as a stored row: nothing changed
    SAME_CONTENT = "same_content"  # a new version number whose content equals the latest: seen only
    CONFLICT = "conflict"  # same story and version with different content: first one kept
    # Reprocessing (``renormalise``): a stored version parsed again from its own raw object,
    # which no partner can have seen (never written, queued, delivered or shown), takes the
    # new normalisation.
    RENORMALISED = "renormalised"


@dataclass(slots=True, frozen=True)
class RawRecord:
    """One stored raw object to note in the registry."""

    key: str
    source: str
    sha256: str
    size: int
    received_at: datetime


@dataclass(slots=True, frozen=True)
class VersionRecord:
    """One parsed version to record, with the raw object it came from."""

    article: Article
    raw_key: str | None
    received_at: datetime


class _Body:
    """A version's article, or the registry's JSON text of it, decoded on first use: a
    page of releases reads hundreds of rows and renders the few a partner gets."""

    __slots__ = ("_article", "_record")

    def __init__(self, article: Article | None, record: str | None) -> None:
        if article is None and record is None:
            raise TypeError("a VersionRow needs its article or the article's record")
        self._article, self._record = article, record

    def article(self) -> Article:
        if self._article is None:
            self._article = Article.from_record(json.loads(self._record or ""))
            self._record = None
        return self._article

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Body) and self.article() == other.article()

    __hash__ = None  # type: ignore[assignment]  # as Article's: unhashable

    def __repr__(self) -> str:
        return repr(self.article())


@dataclass(slots=True, frozen=True, init=False)
class VersionRow:
    """One stored version of a story, as the publishers need it.

    ``article`` is decoded from the stored record when first read. ``language``,
    ``provider``, ``country`` and ``products`` are the article's own, as the registry keeps
    them in columns beside the record: enough to rule a version out of a contract without
    decoding it (``ingest.api.view``). Built from an ``article`` they are read off it.
    """

    uri: str
    version: int
    status: str  # usable | withheld | canceled (of this version)
    content_hash: str
    version_created: datetime | None
    embargoed_until: datetime | None
    received_at: datetime
    raw_key: str | None
    published_key: str | None
    pending: bool  # still to be written to articles/ (once its embargo is over)
    language: str | None
    provider: str | None
    country: str | None
    products: tuple[str, ...]
    _body: _Body

    def __init__(
        self, uri: str, version: int, status: str, content_hash: str,
        version_created: datetime | None, embargoed_until: datetime | None,
        received_at: datetime, raw_key: str | None, published_key: str | None,
        article: Article | None = None, pending: bool = False, *, record: str | None = None,
        language: str | None = None, provider: str | None = None, country: str | None = None,
        products: Sequence[str] = (),
    ) -> None:
        if article is not None:
            language, provider, country = article.language, article.provider, article.country
            products = article.products
        values = {
            "uri": uri, "version": version, "status": status, "content_hash": content_hash,
            "version_created": version_created, "embargoed_until": embargoed_until,
            "received_at": received_at, "raw_key": raw_key, "published_key": published_key,
            "pending": pending, "language": language, "provider": provider,
            "country": country, "products": tuple(products), "_body": _Body(article, record),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def article(self) -> Article:
        return self._body.article()


@dataclass(slots=True, frozen=True)
class QuarantineRow:
    raw_key: str
    source: str
    reason: str
    detail: str
    attempts: int
    first_seen: datetime
    last_seen: datetime
    replayed: bool


@dataclass(slots=True, frozen=True)
class Delivery:
    """One entry a partner's feed in one format carried."""

    uri: str
    version: int
    kind: str  # "item" | "kill"


@dataclass(slots=True, frozen=True)
class RawLedger:
    """Every raw object the registry knows, and each record that can account for one.

    ``duplicates`` maps a raw key to ``duplicate``/``conflict`` when its version had already
    come from another raw object; ``quarantined`` maps a quarantine reference (a raw key,
    ``<raw key>#<ref>`` for one item of it, or ``<source>:<name>``) to its reason.
    """

    raw: frozenset[str]
    versions: frozenset[str]
    duplicates: dict[str, str]
    quarantined: dict[str, str]


@dataclass(slots=True, frozen=True)
class Release:
    """One version as the partner API's log holds it: its place, when, and the version."""

    seq: int
    released_at: datetime
    row: VersionRow


@dataclass(slots=True, frozen=True)
class PartnerKey:
    """A partner's API key as stored: never the key itself, only its secret's SHA-256."""

    id: str
    partner: str
    secret_sha256: str
    created_at: datetime
    revoked_at: datetime | None


PUSH_SETTLED = frozenset({"delivered", "refused", "given_up"})  # never tried again


@dataclass(slots=True, frozen=True)
class PushAttempt:
    """One row of the push log: an HTTP attempt at an entry, or giving it up.

    ``result``: ``delivered`` (2xx), ``refused`` (a final 4xx), ``failed`` (5xx, 429 or
    no answer: the next run tries again) or ``given_up`` (failing for too long; no HTTP).
    ``attempt`` counts the entry's tries across runs, from 1."""

    partner: str
    entry_id: str
    uri: str
    version: int
    kind: str
    attempt: int
    at: datetime
    result: str
    status: int | None = None
    error: str | None = None


@dataclass(slots=True, frozen=True)
class PushState:
    """Where one entry stands for one partner: its tries so far and its last row."""

    entry_id: str
    attempts: int
    first_at: datetime
    last: PushAttempt

    @property
    def settled(self) -> bool:
        return self.last.result in PUSH_SETTLED


@dataclass(slots=True, frozen=True)
class PushSummary:
    """A partner's push log at a glance: entries by where they stand, the last attempt."""

    partner: str
    entries: dict[str, int]  # last result -> entries
    last_at: datetime | None
    last_error: str | None  # of the newest failed or given-up row


class ArticleRegistry(Protocol):
    """Stories, versions, publications, quarantine and cursors; safe across processes."""

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        ...

    def record_raw(
        self, *, key: str, source: str, sha256: str, size: int, received_at: datetime
    ) -> bool:
        """Note a raw object stored; False if it was already known."""
        ...

    def record_raws(self, raws: Sequence[RawRecord]) -> list[bool]:
        """``record_raw`` for each, in one transaction (a key repeated in ``raws`` is known)."""
        ...

    def record_version(
        self, article: Article, *, raw_key: str | None, received_at: datetime,
        syndicate: bool = True,
    ) -> RecordResult:
        """Store one parsed version; ``syndicate=False`` (archive loads) keeps it out of
        ``articles/`` and, while it is the story's latest, out of partner feeds."""
        ...

    def record_versions(
        self, records: Sequence[VersionRecord], *, syndicate: bool = True,
        renormalise: bool = False,
        hashes: Sequence[tuple[str, str, dict[str, Any]]] | None = None,
    ) -> list[RecordResult]:
        """``record_version`` for each in order, in one transaction: the same results and rows
        as one call per version, for a fraction of the round trips (archive loads).
        ``hashes``: each record's ``sql.hash_version``, when the caller computed it already.

        ``renormalise`` (a backfill's ``reprocess``, after a rules change): a version parsed
        again from the raw object it was stored from, now with other content, is rewritten
        (``RENORMALISED``) if no partner can have seen it; otherwise it stays as first
        recorded (a ``CONFLICT``): what went out is immutable. The same version from another
        raw object (another format, a retransmission) is a duplicate or conflict as ever.
        """
        ...

    def latest(self, uri: str) -> VersionRow | None:
        """The highest version of a story (whatever arrived last), or None."""
        ...

    def story_status(self, uri: str) -> str | None:
        """``canceled`` once any version was a kill (never undone), else the latest's status."""
        ...

    def latest_many(self, uris: Sequence[str]) -> dict[str, tuple[VersionRow, str]]:
        """``latest`` and ``story_status`` of each story in one read (unknown uris left out)."""
        ...

    def quarantine(
        self, *, raw_key: str, source: str, reason: str, detail: str, at: datetime
    ) -> None:
        """Record (or bump the attempts of) a failed raw item."""
        ...

    def quarantined(
        self, *, source: str | None = None, reason: str | None = None, limit: int = 100
    ) -> list[QuarantineRow]: ...

    def mark_replayed(self, raw_key: str) -> None: ...

    def versions_to_write(
        self, now: datetime, *, limit: int = 1000, uris: Sequence[str] | None = None,
        after: VersionRow | None = None,
    ) -> list[VersionRow]:
        """Versions not yet written to ``articles/``, whose embargo (if any) is over at ``now``,
        oldest received first (then by uri and version); with ``after``, those after it."""
        ...

    def mark_written(self, uri: str, version: int, key: str) -> None: ...

    def mark_written_many(self, written: Sequence[tuple[str, int, str]]) -> None:
        """``mark_written`` for each ``(uri, version, key)``, in one transaction."""
        ...

    def feed_items(self, now: datetime, *, since: datetime | None = None) -> Iterator[VersionRow]:
        """Each visible story's latest version, newest first, lazily.

        Visible: not canceled, not withheld, embargo over at ``now``; ``since`` bounds age.
        """
        ...

    def kills_for(
        self, partner_id: str, fmt: str, *, since: datetime | None = None
    ) -> list[VersionRow]:
        """Kill versions of stories that ``partner_id`` ever received in ``fmt``, newest kill
        first; with ``since``, only kill versions received from then on."""
        ...

    def record_deliveries(
        self, partner_id: str, fmt: str, deliveries: Iterable[Delivery], at: datetime
    ) -> int:
        """Record what a published feed carried; returns how many rows were new."""
        ...

    def delivered_uris(
        self, partner_id: str, formats: Sequence[str], uris: Sequence[str]
    ) -> set[str]:
        """Which of ``uris`` ``partner_id`` was ever sent (an item or a kill) in any of
        ``formats``: the stories whose every later release may change its feeds."""
        ...

    def raw_ledger(self) -> RawLedger:
        """What ``ingest reconcile`` checks every raw object against."""
        ...

    def get_cursor(self, source: str) -> str | None: ...

    def set_cursor(self, source: str, value: str) -> None: ...

    def swap_cursor(self, source: str, expected: str | None, value: str) -> bool:
        """Set ``source`` to ``value`` only if it still holds ``expected`` (None: no value
        yet), in one statement; whether it did. What ``leases`` are made of."""
        ...

    def get_checkpoint(self, run_id: str, chunk: str) -> str | None:
        """How far backfill ``run_id`` got in ``chunk`` (opaque to the registry), or None."""
        ...

    def set_checkpoint(self, run_id: str, chunk: str, value: str) -> None:
        """Save a backfill chunk's progress so a killed chunk resumes where it stopped."""
        ...

    # -- the partner API ---------------------------------------------------------------

    def releases_after(self, after: int, *, limit: int) -> list[Release]:
        """The next ``limit`` releases after position ``after`` (0: the start), in order.

        A version is released when it is noted written (``mark_written``); positions
        are given in commit order, so nothing is ever inserted behind a reader."""
        ...

    def screened_releases(
        self, after: int, upto: int, *, languages: Sequence[str] | None, limit: int
    ) -> list[tuple[int, str]]:
        """``(seq, uri)`` of the first ``limit`` releases in positions ``(after, upto]``,
        in order, that are kills or whose version's language may be one of ``languages``
        (lower-case ASCII codes; its primary subtag, case-folded, as partner filters read
        it; None: any). A superset: every release such a filter takes is among them."""
        ...

    def story_releases(
        self, uris: Sequence[str], *, upto: int | None = None
    ) -> dict[str, list[Release]]:
        """Every release of these stories (up to position ``upto``), in order, by uri."""
        ...

    def last_release(self) -> int:
        """The position of the newest release (0 when there is none)."""
        ...

    def release_position(self, since: datetime) -> int:
        """The position just before the first release at or after ``since``."""
        ...

    def add_partner_key(self, key: PartnerKey) -> None: ...

    def partner_key(self, key_id: str) -> PartnerKey | None: ...

    def partner_keys(self) -> list[PartnerKey]:
        """Every key, revoked ones included, oldest first."""
        ...

    def revoke_partner_key(self, key_id: str, at: datetime) -> bool:
        """Revoke a key for good; False if there is no such key (or it was revoked)."""
        ...

    def count_request(self, key_id: str, minute: int) -> int:
        """Count one request of ``key_id`` in ``minute``; the minute's count so far."""
        ...

    # -- push ---------------------------------------------------------------------------

    def record_push_attempts(self, attempts: Sequence[PushAttempt]) -> None:
        """Append rows to the push log, in order, in one transaction."""
        ...

    def push_states(self, partner: str, entry_ids: Sequence[str]) -> dict[str, PushState]:
        """Where each of these entries stands for ``partner`` (absent: never tried)."""
        ...

    def push_summary(self) -> list[PushSummary]:
        """Every partner that has a push log, by partner id."""
        ...

    def push_problems(self, *, limit: int = 50) -> list[PushState]:
        """Entries whose last row is ``failed`` or ``given_up``, newest first."""
        ...

    def media_refs(self, media_key: str) -> list[tuple[str, int]]:
        """The (uri, version) of every recorded version linking the copy ``media_key``."""
        ...
