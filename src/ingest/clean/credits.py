"""Credit, copyright and agency lines: recognised so they can be moved, never just lost.

A photo credit belongs on the picture, a copyright line on the article's rights fields and
an agency attribution ("(AFP) -", "with AFP") in its info sources. Any parser can use
these; they take plain text lines and return what they mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Agencies recognised by name, with the short name ingest records for each.
AGENCIES: dict[str, str] = {
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "reuters": "Reuters",
    "dpa": "dpa",
    "efe": "EFE",
    "ansa": "ANSA",
    "pa": "PA",
    "press association": "PA",
    "anp": "ANP",
    "belga": "Belga",
    "kyodo": "Kyodo",
    "xinhua": "Xinhua",
}
# Names that only ever appear in a picture credit.
PHOTO_AGENCIES = (
    "alamy", "getty images", "shutterstock", "istock", "epa", "ap photo", "afp photo",
    "reuters", "afp", "sipa", "abaca", "hans lucas", "pa images", "pa wire", "rex",
    "bloomberg", "anadolu", "nurphoto", "zuma", "imago", "dpa", "stock photo",
    "sportsfile", "inpho", "rollingnews", "unsplash", "wikimedia commons",
)

_AGENCY_NAMES = "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True))
_COPYRIGHT = re.compile(
    r"^\s*(?:©|\(c\)|copyright\b\s*(?:©|\(c\))?)\s*(?P<y1>(?:19|20)\d\d)?[\s,.-]*"
    r"(?P<holder>[^©]*?)[\s,.-]*(?P<y2>(?:19|20)\d\d)?[\s.]*"
    r"(?P<rights>all rights reserved|tous droits réservés|todos los derechos reservados)?"
    r"[\s.]*$",
    re.IGNORECASE,
)
_PHOTO_LABEL = re.compile(
    r"^\s*(?:photo(?:graph)?s?|image|picture|pic|illustration|cr[ée]dits?(?: photo)?"
    r"|photo credit|crédit photo|source)\s*[:：]\s*(?P<credit>.+?)\s*$",
    re.IGNORECASE,
)
_PHOTO_WORDS = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(a) for a in PHOTO_AGENCIES) + r")(?!\w)", re.IGNORECASE
)
_ATTRIBUTION = re.compile(
    r"\((?P<paren>" + _AGENCY_NAMES + r")\)\s*[-–—]"
    r"|©\s*(?P<copy>" + _AGENCY_NAMES + r")\b"
    r"|\b(?:with|avec|source|sources|according to wire reports from)\s*:?\s+(?P<with>"
    + _AGENCY_NAMES + r")\s*(?:[.)]|$)"
    r"|^\s*[-–—(]*\s*(?P<alone>" + _AGENCY_NAMES + r")\s*[)]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_CREDIT_BODY = (
    r"(?:(?:photos?|image|picture|cr[ée]dits?(?: photo)?)\s*[:：][^()]{1,80}"
    r"|[A-Z][^.()]{0,60}/\s*(?:AFP|AP|Reuters|EPA|Getty Images|Alamy)[^.()]{0,30})"
)
_CAPTION_CREDIT = re.compile(
    r"^(?P<caption>.*?)\s*(?:\((?P<paren>" + _CREDIT_BODY + r")\)"
    r"|(?<=[.!?])\s*(?P<bare>" + _CREDIT_BODY + r"))\s*$",
    re.IGNORECASE,
)
MAX_CREDIT_CHARS = 120


@dataclass(frozen=True, slots=True)
class Copyright:
    """A copyright line split into who holds it and the notice as printed."""

    holder: str
    notice: str


@dataclass(frozen=True, slots=True)
class PhotoCredit:
    """A picture credit: the line as printed, the photographer, and the rights holder."""

    credit: str
    by: str | None = None
    holder: str | None = None


def agency_name(name: str) -> str | None:
    """Short name of a news agency ("Agence France-Presse" -> "AFP"), or None."""
    return AGENCIES.get(" ".join(name.lower().split()))


def parse_copyright(line: str) -> Copyright | None:
    """``© AFP 2023`` -> holder AFP; ``Copyright 2024 The Associated Press. All rights...``."""
    text = " ".join(line.split())
    if len(text) > MAX_CREDIT_CHARS or not re.match(r"^(?:©|\(c\)|copyright\b)", text, re.I):
        return None
    match = _COPYRIGHT.match(text)
    if match is None:
        return None
    holder = match["holder"].strip(" .,-")
    if not holder or len(holder.split()) > 8:
        return None
    return Copyright(holder=holder, notice=text)


def parse_photo_credit(line: str) -> PhotoCredit | None:
    """A line that is only a picture credit ("Alamy Stock Photo", "Photo: X / AFP"), or None."""
    text = " ".join(line.split())
    if not text or len(text) > MAX_CREDIT_CHARS or text.endswith(("?", "!")):
        return None
    labelled = _PHOTO_LABEL.match(text)
    if labelled is not None:
        credit = labelled["credit"].strip(" ()")
    elif _PHOTO_WORDS.search(text) and len(text.split()) <= 8 and not text.endswith("."):
        credit = text.strip(" ()")
    else:
        return None
    parts = [p.strip() for p in re.split(r"\s*/\s*", credit) if p.strip()]
    agencies = [name for name in map(agency_name, parts) if name]
    by = parts[0] if len(parts) > 1 and not _PHOTO_WORDS.fullmatch(parts[0]) else None
    holder = agencies[0] if agencies else (parts[-1] if parts else credit)
    return PhotoCredit(credit=credit, by=by, holder=holder)


def split_caption(caption: str) -> tuple[str, PhotoCredit | None]:
    """A caption with its trailing credit ("... Photo: Jane Doe / AFP") split off."""
    text = " ".join(caption.split())
    match = _CAPTION_CREDIT.match(text)
    if match is None:
        return text, None
    credit = parse_photo_credit(match["paren"] or match["bare"])
    if credit is None:
        return text, None
    return (match["caption"] or "").strip(), credit


def attributions(text: str) -> list[str]:
    """Agencies the text names as its source ("(AFP) -", "© AFP", "with AFP"), in order."""
    found: list[str] = []
    for match in _ATTRIBUTION.finditer(text):
        raw = next(g for g in match.groups() if g)
        name = agency_name(raw)
        if name and name not in found:
            found.append(name)
    return found
