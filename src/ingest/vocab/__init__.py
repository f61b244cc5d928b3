"""IPTC NewsCodes shipped in the package: Subject Codes and Media Topics with their names.

Parsers hand over the codes an item carries, in whatever spelling its format uses (AFP's
bare ``04011002``, a qcode ``subj:04011002`` / ``medtop:20000209``, or the concept's full
``http://cv.iptc.org/newscodes/…`` uri); ``subjects`` returns them as ninjs-ready concepts
with ``uri``, a ``name`` in the item's language (else English) and the qcode, de-duplicated,
each Subject Code followed by the Media Topic IPTC maps it to.

The data (``iptc.json``) is built from IPTC's files by ``scripts/build_vocab.py`` (IPTC,
CC BY 4.0: see ``LICENSE`` beside it) and read once, on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from ingest.model import Place, Subject

ENGLISH = "en-GB"
# qcode scheme alias -> concept uri prefix, as IPTC's NewsML-G2 catalog declares them
SCHEMES = {
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "iso3166-1a2": "http://cvx.iptc.org/iso3166-1a2/",
    "iso3166-1a3": "http://cvx.iptc.org/iso3166-1a3/",
}
_ALIASES = [(base, alias) for alias, base in SCHEMES.items()] + [
    (base.replace("http://", "https://", 1), alias) for alias, base in SCHEMES.items()
]


# A known code's concepts, itself first then the Media Topics it maps to, each as
# (qcode, name in the language or None, English name, uri).
_Concepts = tuple[tuple[str, str | None, str | None, str], ...]


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    names: dict[str, dict[str, str]]  # language tag -> qcode -> name
    medtops: dict[str, tuple[str, ...]]  # subj qcode -> the medtop qcodes it maps to


@cache
def _vocabulary() -> _Vocabulary:
    raw = json.loads(resources.files(__package__).joinpath("iptc.json").read_text("utf-8"))
    names: dict[str, dict[str, str]] = {}
    for scheme, by_language in raw["names"].items():
        for language, table in by_language.items():
            names.setdefault(language, {}).update(
                {f"{scheme}:{code}": name for code, name in table.items()}
            )
    medtops = {
        f"subj:{code}": tuple(f"medtop:{t}" for t in topics)
        for code, topics in raw["subjToMedtop"].items()
    }
    return _Vocabulary(names, medtops)


@lru_cache(maxsize=64)
def _language(language: str | None) -> str:
    """The tag of IPTC's names for ``language``: the exact tag, else the first of its
    primary language (``en`` -> ``en-GB``, ``pt`` -> ``pt-BR``), else English."""
    tag = (language or ENGLISH).lower()
    primary = tag.partition("-")[0]
    by_tag = {t.lower(): t for t in sorted(_vocabulary().names)}
    return by_tag.get(tag) or next(
        (t for k, t in by_tag.items() if k.partition("-")[0] == primary), ENGLISH
    )


@lru_cache(maxsize=16)
def _concepts(language: str) -> dict[str, _Concepts]:
    """Every known code, in each spelling AFP uses (``04011002``, ``subj:04011002``, its
    uri), -> its concepts with names in ``language``: built once, so a lookup is one get."""
    vocabulary = _vocabulary()
    local, english = vocabulary.names[language], vocabulary.names[ENGLISH]

    def concept(code: str) -> tuple[str, str | None, str | None, str]:
        alias, _, local_code = code.partition(":")
        return code, local.get(code), english.get(code), SCHEMES[alias] + local_code

    table: dict[str, _Concepts] = {}
    for code in english:
        entry = (concept(code), *(concept(t) for t in vocabulary.medtops.get(code, ())))
        table[code] = table[entry[0][3]] = entry
        if code.startswith("subj:"):
            table[code[5:]] = entry
    return table


def qcode(code: str) -> str:
    """A code in its qcode form: AFP's bare 8 digits are Subject Codes, a known scheme's
    uri becomes ``alias:code``; anything else is returned as given."""
    code = code.strip()
    if len(code) == 8 and code.isdigit():
        return f"subj:{code}"
    if code.startswith(("http://", "https://")):
        for base, alias in _ALIASES:
            if code.startswith(base):
                return f"{alias}:{code[len(base):].strip('/')}"
    return code


def concept_uri(code: str) -> str | None:
    """The full uri of a qcode whose scheme is known (``SCHEMES``), else None."""
    if code.startswith(("http://", "https://")):
        return code
    alias, _, local = code.partition(":")
    base = SCHEMES.get(alias)
    return f"{base}{local}" if base and local else None


def subjects(given: Iterable[Subject], language: str | None) -> list[Subject]:
    """The item's subjects with IPTC's uri and name, de-duplicated, Media Topics added.

    A name is IPTC's in ``language`` if it has one, else the item's own, else IPTC's
    English; an unknown code keeps what the item gives (and a uri if its scheme is known).
    """
    known = _concepts(_language(language))
    found: list[Subject] = []
    seen: set[str] = set()
    for concept in given:
        code = concept.code
        entries = known.get(code) if code else None
        if entries is None and code:
            code = qcode(code)
            entries = known.get(code)
        if entries is None:  # outside IPTC's vocabularies: what the item gives
            key = code or concept.name
            if key and key not in seen:
                seen.add(key)
                uri = concept_uri(code) if code else None
                found.append(Subject(None if code == uri else code, concept.name, uri))
            continue
        given_name = concept.name  # the item's name for its own code, not for the mapped ones
        for term, name, english, uri in entries:
            if term not in seen:
                seen.add(term)
                found.append(Subject(term, name or given_name or english, uri))
            given_name = None
    return found


def places(*given: tuple[str | None, str | None]) -> list[Place]:
    """(code, name) pairs -> places, de-duplicated; a bare two- or three-letter code is an
    ISO 3166-1 country code (AFP's ``Country`` values, ``fra``, ``ESP``)."""
    found: list[Place] = []
    seen: set[str] = set()
    for code, name in given:
        key, *fields = _place(code, name)
        if key and key not in seen:
            seen.add(key)
            found.append(Place(*fields))
    return found


# A place as (the key it is de-duplicated by, name, code, uri)
_PlaceFields = tuple[str | None, str | None, str | None, str | None]


@lru_cache(maxsize=4096)  # cities and countries recur from item to item
def _place(code: str | None, name: str | None) -> _PlaceFields:
    """A (code, name) pair as a place's fields, the code in its qcode form."""
    text = code.strip() if code else ""
    if 1 < len(text) < 4 and text.isalpha() and text.isascii():
        text = f"iso3166-1a{len(text)}:{text.upper()}"
    if not text:  # a place known by its name only
        return name, name or None, None, None
    uri = concept_uri(text)
    return text, name or None, None if text == uri else text, uri
