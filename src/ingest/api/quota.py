"""Each key's requests a minute, claimed from the registry a few at a time.

One registry write a request (a write transaction, a WAL frame, now and then a
checkpoint's fsync) was most of a cheap request's time and most of its p99. A process
claims a key's requests instead (``claim_requests``): 1, then 2, 4 … each time it has
used up its claim, up to a tenth of the quota (at most ``MOST_CLAIMED``), and admits
requests from what it holds. No claim is granted past the quota, so however many
processes serve, a key never gets more than its quota in a minute. What a process
claimed and did not use by the minute's end is lost: with N processes a key may be
refused up to N × (claim − 1) requests short of its quota; with one, never. Once the
registry has refused a claim, the rest of the minute is refused without asking it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ingest.registry.sql import SQLRegistry
from ingest.registry.usage import claim_requests

MOST_CLAIMED = 100


@dataclass(slots=True)
class _Claim:
    """What a process holds of one key's requests in one minute."""

    minute: int
    left: int = 0  # claimed, not yet used
    size: int = 0  # of the last claim
    refused: bool = False  # the registry had none left for this minute
    lock: threading.Lock = field(default_factory=threading.Lock)


class Quota:
    """``admit(key, minute, limit)``: whether the key may make one more request."""

    def __init__(self, registry: SQLRegistry) -> None:
        self._registry = registry
        self._claims: dict[str, _Claim] = {}  # one a key: its current minute's
        self._lock = threading.Lock()  # requests are admitted on worker threads

    def admit(self, key_id: str, minute: int, limit: int) -> bool:
        with self._lock:
            claim = self._claims.get(key_id)
            if claim is None or claim.minute != minute:
                claim = self._claims[key_id] = _Claim(minute)
        with claim.lock:  # one claim at a time per key; other keys go on
            if not claim.left and not claim.refused:
                wanted = max(1, min(claim.size * 2, limit // 10, MOST_CLAIMED))
                claim.size = wanted
                claim.left = claim_requests(self._registry, key_id, minute, wanted, limit)
                claim.refused = claim.left < wanted
            if not claim.left:
                return False
            claim.left -= 1
            return True
