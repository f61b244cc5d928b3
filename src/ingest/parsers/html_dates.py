"""Dates as web pages write them: machine values, dates written out in words, dates in URLs.

Machine values (ISO 8601 in its common variants, RFC 2822, compact ``20191023``) come
from JSON-LD, ``<meta>`` and ``<time datetime>``. Written dates ("23 October 2019",
"Oct. 23, 2019", "23. Oktober 2019", "23 de octubre de 2019", "23/10/2019") are read with
month names of the languages AFP writes in and their neighbours; a numeric date is read
day first unless that is impossible or the page is American English. A word just before
a date ("Updated", "Aktualisiert", "Mis à jour"...) marks it as the modified date.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime

from htmldate import find_date
from lxml import etree

# The earliest year a page date is believed; anything later than the next year is noise.
MIN_YEAR = 1995
MAX_YEAR = datetime.now().year + 1

_MONTH_NAMES = {
    1: "january jan janvier janv januar jän jänner enero ene janeiro janeiro gennaio gen "
       "januari",
    2: "february feb février févr fevrier februar febrero febr fevereiro fev febbraio "
       "februari",
    3: "march mar mars märz maerz marzo março marco maart mrt",
    4: "april apr avril abril aprile avr",
    5: "may mai mayo maio maggio mag mei",
    6: "june jun juin juni junio junho giugno giu",
    7: "july jul juillet juil juli julio julho luglio lug",
    8: "august aug août aout agosto ago augustus",
    9: "september sep sept septembre settembre set septiembre setembro",
    10: "october oct octobre oktober okt octubre outubro out ottobre ott",
    11: "november nov novembre noviembre novembro novembre",
    12: "december dec décembre decembre dez dezember diciembre dic dezembro dicembre",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
MONTH_WORDS = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_MONTH = rf"(?P<month>{MONTH_WORDS})\b\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°)?\.?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_OF = r"(?:\s+(?:de|del|di)\s+|\s*,?\s*)"
WRITTEN = [re.compile(pattern, re.IGNORECASE) for pattern in (
    rf"\b{_DAY}{_OF}{_MONTH}{_OF}{_YEAR}\b",  # 23 October 2019, 23. Oktober 2019
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",  # October 23, 2019
    r"\b(?P<a>[0-3]?\d)[./](?P<b>[01]?\d)[./](?P<year>(?:19|20)\d{2})\b",  # 23.10.2019
    r"\b(?P<year>(?:19|20)\d{2})-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b",  # 2019-10-23
)]
_MODIFIED_WORDS = re.compile(
    r"(?:updated?|modified|last\s+edited|aktualisiert|geändert|mis\s+à\s+jour|modifié|"
    r"actualizad[oa]|atualizad[oa]|aggiornat[oa]|bijgewerkt|gewijzigd)\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d{2})[/_-](?P<month>[01]?\d)[/_-](?P<day>[0-3]?\d)(?:/|[_-]|\b)"
    r"|(?<!\d)(?P<cyear>(?:19|20)\d{2})(?P<cmonth>[01]\d)(?P<cday>[0-3]\d)(?!\d)"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?$")
_SLASHED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})")
_OFFSET_COLONLESS = re.compile(r"([+-]\d{2})(\d{2})$")


def _checked(year: int, month: int, day: int) -> datetime | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def machine_date(value: object) -> datetime | None:
    """A date from a machine-readable field: ISO 8601 and its variants, RFC 2822, compact."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    iso = text
    if text[:4].isdigit():  # "2019-10-23 18:00Z", Highwire's "2019/10/23"
        iso = _SLASHED.sub(r"\1-\2-\3", text).replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        found = datetime.fromisoformat(_OFFSET_COLONLESS.sub(r"\1:\2", iso))
    except ValueError:
        found = None
    if found is None and (compact := _COMPACT.match(text)):
        year, month, day = (int(part) for part in compact.groups()[:3])
        found = _checked(year, month, day)
    if found is None and not text[:4].isdigit():
        try:
            found = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            found = None
    if found is None:
        found = written_date(text, day_first=True)[0] if len(text) < 80 else None
    return found if found is not None and MIN_YEAR <= found.year <= MAX_YEAR else None


def written_date(text: str, *, day_first: bool) -> tuple[datetime | None, bool]:
    """The first date written in ``text``, and whether the words before it say "updated"."""
    best: tuple[int, datetime] | None = None
    for pattern in WRITTEN:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            if groups.get("a"):
                first, second = int(groups["a"]), int(groups["b"])
                day, month = (first, second) if day_first or second > 12 else (second, first)
            else:
                day = int(groups["day"])
                raw_month = groups["month"].lower()
                month = int(raw_month) if raw_month.isdigit() else MONTHS[raw_month]
            found = _checked(int(groups["year"]), month, day)
            if found is not None:
                if best is None or match.start() < best[0]:
                    best = (match.start(), found)
                break
    if best is None:
        return None, False
    return best[1], says_modified(text[:best[0]])


def says_modified(before: str) -> bool:
    """Whether the words just before a date ("Updated", "Aktualisiert am") say it is the
    modified one."""
    return _MODIFIED_WORDS.search(before[-40:]) is not None


def url_date(url: str | None) -> datetime | None:
    """A full date in a page's address: ``/2019/10/23/``, ``/2019-10-23-``, ``20191023``."""
    if not url:
        return None
    for match in _URL_DATE.finditer(url):
        year, month, day = (match["year"], match["month"], match["day"]) if match["year"] else (
            match["cyear"], match["cmonth"], match["cday"])
        found = _checked(int(year), int(month), int(day))
        if found is not None:
            return found
    return None


def quick_search(root: etree._Element, url: str | None) -> datetime | None:
    """htmldate's fast search (no free-text scan), the last resort for a published date.

    It is given a serialised copy: it prunes the tree it searches.
    """
    try:
        found = find_date(etree.tostring(root), extensive_search=False, original_date=True,
                          url=url)
    except Exception:  # a third-party heuristic must not fail the parse
        return None
    return machine_date(found)
