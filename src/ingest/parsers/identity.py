"""AFP identity and field values shared by the three AFP parsers.

One story keeps one ``uri`` whatever format it arrives in, so the registry sees NewsML
1.2, NewsML-G2 and API Core copies of a story as versions of the same thing. The value
normalisers (dates, language, urgency, rights defaults, signals) live here for the same
reason: the three parsers must agree on them.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from ingest import vocab
from ingest.errors import IngestError, Reason
from ingest.model import Article, Subject, collapse_space, utc

AFP = "AFP"
_AFP_URN = re.compile(r"^urn:newsml:afp\.com:(?P<date>[0-9TZ]+):(?P<item>[^:]+)(?::\d+)?$", re.I)
_AFP_UNO = re.compile(r"^newsml\.afp\.com\.(?P<date>[0-9TZ]+)\.(?P<item>.+)$", re.I)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
SIGNALS = ("update", "correction")
# IPTC's Genre NewsCodes have no alert; AFP's own editorial attributes (the scheme of API
# Core's ``genreid``: ``afpattribute:Article``, ``afpattribute:Program``...) do. See
# docs/afp-formats.md for the choice and its uri.
ALERT_GENRE = ("afpattribute:Alert", "Alert", "http://cv.afp.com/attributes/Alert")
_AFP_NAMES = frozenset({"AFP", "AFP PHOTO", "ا ف ب", "أ ف ب", "اف ب"})  # how AFP signs credits
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ALERT_NAMES = frozenset({"alert", "flash"})  # AFP's ALERT and FLASH, in any scheme
MAX_VERSION = 2**31 - 1  # the registry keeps versions in a 32-bit integer column
MAX_INTEGER = 2**53 - 1  # the largest whole number every JSON reader keeps exactly
MAX_DIGITS = 20  # characters of a number string worth converting (int64 needs 20)


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


def urgency(value: object) -> int | None:
    """Urgency 1 (flash) to 9; outside that range or unreadable it is simply unknown."""
    number = whole_number(value)
    return number if number is not None and 1 <= number <= 9 else None


def whole_number(value: object) -> int | None:
    """``value`` as a whole number, else None: an int (a bool is not one), a float that is
    whole (NaN and infinity are not: ``1e400`` reads as infinity), or a string of digits.
    A string past ``MAX_DIGITS`` is not converted: no field needs it, and ``int()`` costs
    the square of its length (or fails past Python's 4300-digit limit)."""
    if type(value) is str:  # XML attributes and text: the usual case, tested first
        if len(text := value.strip()) > MAX_DIGITS:
            return None
        try:
            return int(text)
        except ValueError:
            return None
    if type(value) is int:
        return value
    if type(value) is float:
        return int(value) if value.is_integer() else None
    return None


def integer(value: object, field: str) -> int | None:
    """A count or size (0 to ``MAX_INTEGER``) from an attribute or JSON field; absent or
    blank is None, anything else an ``INVALID_FIELD``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = whole_number(value)
    if number is None:
        raise IngestError(Reason.INVALID_FIELD, f"{field}: not a whole number: {value!r:.40}")
    if not 0 <= number <= MAX_INTEGER:
        raise IngestError(Reason.INVALID_FIELD, f"{field}: out of range: {_shown(number)}")
    return number


def version_number(value: object, field: str) -> int:
    """A revision number: absent or 0 is 1; below 1 or past ``MAX_VERSION`` is refused."""
    number = integer(value, field) or 1
    if not 1 <= number <= MAX_VERSION:
        raise IngestError(Reason.INVALID_FIELD, f"{field}: out of range: {_shown(number)}")
    return number


def _shown(number: int) -> str:
    """A number for an error detail; one too long to print (past 4300 digits ``str()``
    fails) by its size."""
    return str(number) if number.bit_length() <= 128 else f"a {number.bit_length()}-bit number"


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-3 in upper case (AFP sends ``fra`` or ``FRA``), the form partner
    filters compare against."""
    text = (value or "").strip()
    return text.upper() if len(text) == 3 and text.isalpha() else None


def signals(given: list[str], *, correction: bool = False) -> list[str]:
    """Known signals (``sig:correction`` or ``correction``) in a stable order."""
    found = {s.strip().lower().rpartition(":")[2] for s in given}
    if correction:
        found.add("correction")
    return [s for s in SIGNALS if s in found]


def is_alert(value: str | None) -> bool:
    """Whether an item type or genre value names an alert (``Alert``, ``afpattribute:Alert``,
    ``genre:Flash``): what each format says of its own items."""
    return bool(value) and str(value).rpartition(":")[2].strip().lower() in _ALERT_NAMES


def finish(article: Article, *, alert: bool = False) -> Article:
    """The last step of every AFP parser: defaults the formats leave implicit, then checks.

    AFP copy is © AFP unless the item says otherwise (no AFP format always says it); a
    later version that carries no signal is an update, unless it is a kill. An item with
    text but no headline is an alert (AFP sends the alert sentence as the whole body): the
    sentence is its headline too. An alert, by ``alert`` (the format's item type), a genre
    of its own or that shape, carries AFP's alert genre.
    """
    if not article.headline and article.body_html:
        article.headline = article.body_text.partition("\n\n")[0] or None
        alert = True
    _mark_alert(article, alert)
    article.subjects = vocab.subjects(article.subjects, article.language)  # IPTC uri, name
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


def _mark_alert(article: Article, alert: bool) -> None:
    """One alert genre, with its uri, in place of whatever spelling the format used."""
    given = [g for g in article.genres if is_alert(g.code) or is_alert(g.name)]
    if not given and not alert:  # the usual story
        return
    code, name, uri = ALERT_GENRE
    kept = [g for g in article.genres if g not in given]
    article.genres = [*kept, Subject(code=code, name=name, uri=uri)]


def picture_rights(credit: str | None, when: datetime | None) -> tuple[str | None, str | None]:
    """(holder, notice) of a picture whose only rights statement is its credit line.

    Only a credit naming AFP alone makes AFP the holder (``AFP``, ``AFP PHOTO``, the Arabic
    desk's ``ا ف ب/ا ف ب``: photographer's agency and distributor both AFP); ``AFP/Getty
    Images`` or an outside agency's credit stays without a holder rather than claim rights
    AFP may not own.
    """
    parts = [" ".join(p.split()).upper() for p in (credit or "").split("/")]
    if parts and all(p in _AFP_NAMES for p in parts):
        return AFP, f"© AFP {when.year}" if when else None
    return None, None


def resolve_href(href: str, location: str) -> str:
    """A file an item names (``Href="abc.jpg"``: the file beside it) as an address of its
    own, resolved against where the item was read: its http(s) URL, its ``s3://`` key,
    its path in a folder or archive (``a.zip!afp/x.xml`` -> ``a.zip!afp/abc.jpg``)."""
    href = href.strip()
    if not href or _SCHEME.match(href) or href.startswith("/"):
        return href  # already absolute
    if location[:8].lower().startswith(("http://", "https://")):
        return urljoin(location, href)
    folder = location.rpartition("/")[0]
    return f"{folder}/{href}" if folder else href


def _require(article: Article) -> Article:
    """The invariants every parsed article must meet before it leaves a parser."""
    if not article.uri:
        raise IngestError(Reason.MISSING_ID, "item has no identifier")
    if not article.headline:
        raise IngestError(Reason.MISSING_HEADLINE, f"{article.uri}: item has no headline")
    return article
