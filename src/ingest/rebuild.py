"""Which partners a ``partner_feeds`` run rebuilds: only those whose view may have changed.

A partner's feeds are a function of the registry, its contract and the time, so its last
build still stands unless, since then:

- a version was released (``releases``: written to ``articles/``, which for an embargoed
  one happens at the first run past its embargo, so a lifted embargo is a release) that
  its contract may take, or of a story it was ever sent: a correction, a withheld
  version or a kill can change or end what it has;
- its contract changed (its entry of the partners file, or the tag authority minting
  its ids);
- pushes failed in that build (the next build tries them again);
- more than ``SAFETY_NET`` passed, in the runs' own instants: items and kills age out of
  ``max_age``, Atom archive days close, and whatever this list misses is caught.

Each partner's last build is the cursor ``feeds:<partner id>``, written only once the
build (and its pushes) ran to the end: a build that fails is not noted, and the next run
finds the same reasons and tries again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.model import iso, utc
from ingest.publish.formats.ids import TagIds
from ingest.publish.partners import Partner
from ingest.publish.push import PUSH_FORMAT
from ingest.registry.api import ArticleRegistry, Release

log = logging.getLogger(__name__)

SAFETY_NET = timedelta(hours=1)
SCAN_PAGE = 500  # releases read per query while deciding
SCAN_MAX = 20_000  # a partner further behind than this is rebuilt without reading them


@dataclass(frozen=True, slots=True)
class Build:
    """What a partner's last build saw: the release log up to ``seen``, its contract (a
    hash), the run's instant ``at``, and how many pushes it left failing."""

    seen: int
    contract: str
    at: datetime
    push_failed: int = 0

    def dump(self) -> str:
        return json.dumps({"seen": self.seen, "contract": self.contract, "at": iso(self.at),
                           "push_failed": self.push_failed}, sort_keys=True)

    @classmethod
    def load(cls, value: str | None) -> Build | None:
        """The stored build, or None when there is none or it cannot be read (rebuild)."""
        if value is None:
            return None
        try:
            doc = json.loads(value)
            return cls(int(doc["seen"]), str(doc["contract"]),
                       utc(datetime.fromisoformat(doc["at"])), int(doc["push_failed"]))
        except (ValueError, KeyError, TypeError):
            return None


def cursor_name(partner_id: str) -> str:
    return f"feeds:{partner_id}"


def feed_lease(partner_id: str) -> str:
    """The lease a partner's feed build and push hold (``leases.hold``)."""
    return f"feeds:{partner_id}"


def concerned(
    registry: ArticleRegistry, partners: Sequence[Partner], since: int
) -> list[Partner]:
    """Of ``partners``, those a release after log position ``since`` may concern (one
    their contract takes, or of a story they were sent): whose feeds it may change."""
    why = _changed_by_releases(registry, [(p, since) for p in partners])
    return [p for p in partners if p.id in why]


def contract_hash(partner: Partner, ids: TagIds) -> str:
    """A digest of everything in the configuration a partner's feeds are built from."""
    doc = {"partner": dataclasses.asdict(partner), "ids": dataclasses.asdict(ids)}
    text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def last_build(registry: ArticleRegistry, partner_id: str) -> Build | None:
    return Build.load(registry.get_cursor(cursor_name(partner_id)))


def record_build(
    registry: ArticleRegistry, partner: Partner, ids: TagIds, *, seen: int, now: datetime,
    push_failed: int,
) -> None:
    """Note a finished build: ``seen`` is the release log's end read before it started."""
    build = Build(seen, contract_hash(partner, ids), utc(now), push_failed)
    registry.set_cursor(cursor_name(partner.id), build.dump())


def rebuilds(
    registry: ArticleRegistry, partners: Sequence[Partner], now: datetime, ids: TagIds
) -> dict[str, str]:
    """The partners to rebuild at ``now``, each with why, in the partners file's order."""
    now = utc(now)
    why: dict[str, str] = {}
    waiting: list[tuple[Partner, int]] = []
    for partner in partners:
        build = last_build(registry, partner.id)
        reason = _standing_reason(build, partner, ids, now)
        if reason is not None:
            why[partner.id] = reason
        elif build is not None:
            waiting.append((partner, build.seen))
    why.update(_changed_by_releases(registry, waiting))
    chosen = {p.id: why[p.id] for p in partners if p.id in why}
    for pid, reason in chosen.items():
        log.info("rebuilding %s: %s", pid, reason)
    log.info("%d of %d partners unchanged since their last build",
             len(partners) - len(chosen), len(partners))
    return chosen


def _standing_reason(
    build: Build | None, partner: Partner, ids: TagIds, now: datetime
) -> str | None:
    """Why the partner needs a build whatever was released since, if it does."""
    if build is None:
        return "no build recorded"
    if build.contract != contract_hash(partner, ids):
        return "its contract changed"
    if build.push_failed:
        return f"{build.push_failed} pushes to try again"
    if now - build.at > SAFETY_NET:
        return f"last built for {iso(build.at)}, over {SAFETY_NET} before this run"
    return None


def _changed_by_releases(
    registry: ArticleRegistry, waiting: list[tuple[Partner, int]]
) -> dict[str, str]:
    """Of partners last built having seen the log up to a position, those a later
    release may concern; the log is read once for all of them, a page at a time."""
    end = registry.last_release()
    why: dict[str, str] = {}
    live: list[tuple[Partner, int]] = []
    for partner, seen in waiting:
        if end - seen > SCAN_MAX:
            why[partner.id] = f"{end - seen} releases since its last build"
        elif seen < end:
            live.append((partner, seen))
    position = min((seen for _, seen in live), default=end)
    while live and position < end:
        page = registry.releases_after(position, limit=SCAN_PAGE)
        if not page:
            break
        still: list[tuple[Partner, int]] = []
        for partner, seen in live:
            news = [r for r in page if r.seq > seen]
            reason = _taken(partner, news) or _of_a_story_sent(registry, partner, news)
            if reason is None:
                still.append((partner, seen))
            else:
                why[partner.id] = reason
        live, position = still, page[-1].seq
    return why


def _taken(partner: Partner, releases: list[Release]) -> str | None:
    """The first release the partner's filters and rights take (each row decoded once,
    whichever partners read it)."""
    for release in releases:
        if partner.allows(release.row.article):
            return f"release {release.seq} ({_named(release)}) is for it"
    return None


def _of_a_story_sent(
    registry: ArticleRegistry, partner: Partner, releases: list[Release]
) -> str | None:
    """The first release of a story the partner was sent, in a feed or by push."""
    if not releases:
        return None
    sent = registry.delivered_uris(partner.id, [*partner.formats, PUSH_FORMAT],
                                   [r.row.uri for r in releases])
    first = next((r for r in releases if r.row.uri in sent), None)
    return None if first is None else (
        f"release {first.seq} ({_named(first)}) is of a story it was sent")


def _named(release: Release) -> str:
    row = release.row
    return f"{row.uri} v{row.version} {row.status}"
