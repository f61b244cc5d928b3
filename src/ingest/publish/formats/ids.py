"""Stable ``tag:`` URIs (RFC 4151) naming each entry (story and version) and each feed.

``tag:<authority>,<date>:<specific>``: the authority is a domain (or e-mail address) the
publisher held on ``date``, and the pair never changes for a publisher, so every id it
mints stays the same for ever and no one else can mint it. Entry ids are
``story:<story uri>/v<version>``, feed ids ``feed:<partner>/<format>``; characters a tag's
specific part may not hold (``#``, ``%``, spaces, anything non-ASCII) are percent-encoded
as UTF-8, so the id is an absolute URI (and IRI) and two story uris never share one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

# RFC 4151: specific = *( pchar / "/" / "?" ); pchar = unreserved / pct-encoded /
# sub-delims / ":" / "@". ``quote`` keeps ASCII letters, digits and "_.-~" itself.
_SPECIFIC_SAFE = "/?:@!$&'()*+,;="
_DNS_COMP = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME = rf"{_DNS_COMP}(?:\.{_DNS_COMP})*"
_AUTHORITY = re.compile(rf"^(?:[A-Za-z0-9._-]+@)?{_DNS_NAME}$")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
DEFAULT_AUTHORITY = "feeds.example.com"
DEFAULT_DATE = "2026-01-01"


@dataclass(frozen=True, slots=True)
class TagIds:
    """Who mints the ids: ``authority`` and the ``date`` it held it (``YYYY[-MM[-DD]]``)."""

    authority: str = DEFAULT_AUTHORITY
    date: str = DEFAULT_DATE

    def __post_init__(self) -> None:
        # DNS names compare case-insensitively but tags character by character: one case
        object.__setattr__(self, "authority", self.authority.lower())
        if not _AUTHORITY.match(self.authority):
            raise ValueError(f"tag authority {self.authority!r}: expected a domain name "
                             "or an e-mail address")
        if not _DATE.match(self.date):
            raise ValueError(f"tag date {self.date!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
        full = self.date + "-01" * (2 - self.date.count("-"))
        date.fromisoformat(full)  # a real calendar date, or ValueError

    @classmethod
    def parse(cls, text: str) -> TagIds:
        """From ``authority,date`` (the form the tag itself uses), e.g. ``example.org,2026``."""
        authority, sep, day = text.strip().partition(",")
        if not sep:
            raise ValueError(f"tag authority {text!r}: expected 'authority,date'")
        return cls(authority, day)

    def _tag(self, specific: str) -> str:
        return f"tag:{self.authority},{self.date}:{specific}"

    def entry(self, uri: str, version: int) -> str:
        """The id of one version of a story (a kill is a version too)."""
        return self._tag(f"story:{quote(uri, safe=_SPECIFIC_SAFE)}/v{version}")

    def feed(self, partner_id: str, fmt: str) -> str:
        """The id of one partner's feed in one format, shared by its RFC 5005 archive pages."""
        return self._tag(f"feed:{quote(partner_id, safe='')}/{quote(fmt, safe='')}")


DEFAULT_IDS = TagIds()
