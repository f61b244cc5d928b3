"""Run every AFP file of a folder through ingest's parse -> ninjs -> validate, as the
pipeline does, and say how clean the result is.

    .venv/bin/python bench/afp_real.py /work/shared/datasets/afp-newsml12-arabic

Prints: items, clean (valid ninjs), quarantined (with their reasons and files), alerts,
photos and their renditions (how many with a media type), subjects (any without a uri
or a name is listed), items not © AFP or whose uri keeps a revision suffix (listed), and
bodies that still end in something shaped like a sign-off. That last check is
deliberately not ingest's own recogniser: a last paragraph of at most 40 characters
holding a "/" and no sentence punctuation, or a last word holding a "/", is listed for a
person to look at. Exit status 1 if anything was quarantined or listed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from ingest.errors import IngestError
from ingest.parsers import ParsedItem, parse_bytes
from ingest.validate import validate_ninjs

SUFFIXES = (".xml", ".json", ".gz")
SENTENCE_MARKS = set('.!?؟…"»”:;,،')
REVISION = re.compile(r":\d+$")  # "urn:newsml:afp.com:20231126:doc-34629lc:2"


def looks_signed_off(body_text: str) -> bool:
    """The end of the body looks like desk initials (see the module docstring)."""
    if not body_text:
        return False
    last = body_text.rsplit("\n\n", 1)[-1]
    short_line = len(last) <= 40 and "/" in last and not SENTENCE_MARKS & set(last)
    return short_line or "/" in last.split()[-1]


def main(folder: Path) -> int:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    items = clean = alerts = photos = renditions = typed = subjects = 0
    quarantined: Counter[str] = Counter()
    problems: list[str] = []
    for path in files:
        try:
            outcomes = list(parse_bytes(path.read_bytes(), source=str(path)))
        except IngestError as exc:
            outcomes = []
            items += 1
            quarantined[exc.reason.value] += 1
            problems.append(f"quarantined {exc.reason.value}: {path}: {exc.detail[:120]}")
        for outcome in outcomes:
            items += 1
            if not isinstance(outcome, ParsedItem):
                quarantined[outcome.reason.value] += 1
                problems.append(f"quarantined {outcome.reason.value}: {path}: {outcome.detail}")
                continue
            article = outcome.article
            try:
                validate_ninjs(article.to_ninjs())
            except IngestError as exc:
                quarantined[exc.reason.value] += 1
                problems.append(f"quarantined {exc.reason.value}: {path}: {exc.detail[:120]}")
                continue
            clean += 1
            alerts += any(g.code == "afpattribute:Alert" for g in article.genres)
            photos += len(article.pictures)
            files_named = [r for p in article.pictures for r in p.renditions]
            renditions += len(files_named)
            typed += sum(r.content_type is not None for r in files_named)
            subjects += len(article.subjects)
            unnamed = [s.code for s in article.subjects if not (s.uri and s.name)]
            if unnamed:
                problems.append(f"subjects without uri or name: {path}: {unnamed}")
            if article.copyright_holder != "AFP" or REVISION.search(article.uri):
                problems.append(f"rights or uri: {path}: {article.copyright_holder} {article.uri}")
            if looks_signed_off(article.body_text):
                tail = article.body_text.rsplit("\n\n", 1)[-1][-60:]
                problems.append(f"ends in a sign-off? {path}: …{tail}")
    signed = sum(p.startswith("ends in") for p in problems)
    print(f"files        {len(files)}")
    print(f"items        {items}")
    print(f"clean        {clean}")
    print(f"quarantined  {sum(quarantined.values())}  {dict(quarantined)}")
    print(f"alerts       {alerts}")
    print(f"photos       {photos}  ({renditions} renditions, {typed} with a media type)")
    print(f"subjects     {subjects}")
    print(f"signed-off   {signed}  (bodies whose end still looks like desk initials)")
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
