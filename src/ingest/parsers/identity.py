"""AFP identity and field values shared by the three AFP parsers.

One story keeps one ``uri`` whatever format it arrives in, so the registry sees NewsML
1.2, NewsML-G2 and API Core copies of a story as versions of the same thing. The value
normalisers (dates, language, urgency, rights defaults, signals) live here for the same
reason: the three parsers must agree on them.
"""

from __future__ import annotations

import re
from datetime import datetime

from ingest.errors import IngestError, Reason
from ingest.model import Article, Subject, collapse_space, utc

AFP = "AFP"
_AFP_URN = re.compile(r"^urn:newsml:afp\.com:(?P<date>[0-9TZ]+):(?P<item>[^:]+)(?::\d+)?$", re.I)
_AFP_UNO = re.compile(r"^newsml\.afp\.com\.(?P<date>[0-9TZ]+)\.(?P<item>.+)$", re.I)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
SIGNALS = ("update", "correction")
MAX_VERSION = 2**31 - 1  # the registry keeps versions in a 32-bit integer column


def afp_uri(date_id: str, item_id: str) -> str:
    """The story uri AFP's own PublicIdentifier uses, without the revision suffix."""
    return f"urn:newsml:afp.com:{date_id}:{item_id}"


def afp_ids(date_id: str, item_id: str) -> dict[str, str]:
    """The AFP ids every format can give, under the same ``altIds`` roles."""
    return {"afp-date-id": date_id, "afp-news-item-id": item_id}


def uri_from_guid(guid: str) -> tuple[str, dict[str, str]]:
    """A NewsML-G2 guid -> (story uri, AFP alt ids); AFP guids lose any version suffix."""
    match = _AFP_URN.match(guid)
    if not match:
        return guid, {"guid": guid}
    ids = afp_ids(match["date"], match["item"])
    return afp_uri(match["date"], match["item"]), {**ids, "afp-guid": guid}


def uri_from_uno(uno: str) -> tuple[str, dict[str, str]]:
    """An API Core ``uno`` -> (story uri, AFP alt ids); NewsML-style unos map to the urn."""
    match = _AFP_UNO.match(uno)
    if not match:
        return f"urn:afp:uno:{uno}", {"afp-uno": uno}
    ids = afp_ids(match["date"], match["item"])
    return afp_uri(match["date"], match["item"]), {**ids, "afp-uno": uno}


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace; empty becomes None so absent and blank fields look alike."""
    if value is None:
        return None
    return collapse_space(value) or None


def parse_date(value: str | None, field: str) -> datetime | None:
    """AFP dates in any of their spellings (``20140829T135002Z``, ``…+0000``, RFC 3339,
    ``20240710``) as aware UTC; a present but unreadable date is an ``INVALID_FIELD``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise IngestError(Reason.INVALID_FIELD, f"{field}: not a date: {text[:60]!r}") from None


def language_tag(value: str | None) -> str | None:
    """A BCP 47 tag in its usual casing (``fr``, ``en-GB``); anything else is dropped."""
    text = (value or "").strip().replace("_", "-")
    if text.isascii() and text.isalpha() and 2 <= len(text) <= 3:  # "en", "FR": no subtags
        return text.lower()
    if not _LANGUAGE.match(text):
        return None
    primary, *rest = text.split("-")
    tail = [part.upper() if len(part) == 2 else part for part in rest]
    return "-".join([primary.lower(), *tail])


def urgency(value: str | int | None) -> int | None:
    """Urgency 1 (flash) to 9; outside that range or unreadable it is simply unknown."""
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 1 <= number <= 9 else None


def integer(value: str | int | None, field: str) -> int | None:
    """A whole number from an attribute or JSON field; garbage is an ``INVALID_FIELD``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise IngestError(Reason.INVALID_FIELD, f"{field}: not a number: {value!r:.40}") from None


def version_number(value: str | int | None, field: str) -> int:
    """A revision number: absent or 0 is 1; below 1 or past ``MAX_VERSION`` is refused."""
    number = integer(value, field) or 1
    if not 1 <= number <= MAX_VERSION:
        raise IngestError(Reason.INVALID_FIELD, f"{field}: out of range: {str(number)[:40]}")
    return number


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-3 in upper case (AFP sends ``fra`` or ``FRA``), the form partner
    filters compare against."""
    text = (value or "").strip()
    return text.upper() if len(text) == 3 and text.isalpha() else None


def iptc_subject(code: str) -> Subject:
    """An IPTC subject code as a qcode: AFP's bare 8-digit codes are ``subj:`` codes."""
    return Subject(code=f"subj:{code}" if code.isdigit() and len(code) == 8 else code)


def signals(given: list[str], *, correction: bool = False) -> list[str]:
    """Known signals (``sig:correction`` or ``correction``) in a stable order."""
    found = {s.strip().lower().rpartition(":")[2] for s in given}
    if correction:
        found.add("correction")
    return [s for s in SIGNALS if s in found]


def finish(article: Article) -> Article:
    """The last step of every AFP parser: defaults the formats leave implicit, then checks.

    AFP copy is © AFP unless the item says otherwise (no AFP format always says it); a
    later version that carries no signal is an update, unless it is a kill.
    """
    if article.provider is None and article.uri.startswith(("urn:newsml:afp.com:", "urn:afp:")):
        article.provider = AFP
    if article.provider == AFP:
        article.copyright_holder = article.copyright_holder or AFP
        when = article.version_created or article.first_created
        if article.copyright_notice is None and article.copyright_holder == AFP and when:
            article.copyright_notice = f"© AFP {when.year}"
    if article.version > 1 and not article.signals and article.pub_status != "canceled":
        article.signals = ["update"]
    return _require(article)


def picture_rights(credit: str | None, when: datetime | None) -> tuple[str | None, str | None]:
    """(holder, notice) of a picture whose only rights statement is its credit line.

    Only a plain ``AFP`` credit makes AFP the holder; ``AFP/Getty Images`` or an outside
    agency's credit stays without a holder rather than claim rights AFP may not own.
    """
    if credit and credit.strip().upper() in {"AFP", "AFP PHOTO"}:
        return AFP, f"© AFP {when.year}" if when else None
    return None, None


def _require(article: Article) -> Article:
    """The invariants every parsed article must meet before it leaves a parser."""
    if not article.uri:
        raise IngestError(Reason.MISSING_ID, "item has no identifier")
    if not article.headline:
        raise IngestError(Reason.MISSING_HEADLINE, f"{article.uri}: item has no headline")
    return article
