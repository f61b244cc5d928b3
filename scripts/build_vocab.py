"""Build ``src/ingest/vocab/iptc.json`` from IPTC's published NewsCodes files.

Run by hand when IPTC releases new vocabularies (the output is committed):

    .venv/bin/python scripts/build_vocab.py [SOURCE_DIR]

``SOURCE_DIR`` (default ``../shared/standards/iptc-newscodes``) holds
``mediatopic-x-all.json`` (IPTC's Media Topics, every language, as cv.iptc.org serves it)
and ``subjectcode-en.json`` (Subject Code -> English name). Only what ingest uses at run
time is kept: one name per concept and language, and the Subject Code -> Media Topic
mapping. The rules, so a reader of the data knows where each value comes from:

- Names are IPTC's ``prefLabel``s, whitespace collapsed. IPTC's own tags ``se`` and
  ``dk`` hold Swedish and Danish labels and become ``sv`` and ``da``. A name in another
  language that equals the English one is left out (the loader falls back to English).
- A Subject Code has an English name only; in other languages it takes the label of the
  Media Topic IPTC declares its ``exactMatch`` (the same concept, by SKOS's definition).
- Subject Code -> Media Topic: the live Media Topics that name the code as ``exactMatch``,
  else as ``closeMatch``. ``broadMatch`` is not used: there the Subject Code is the broader
  concept, so the Media Topic would claim more than the item says. A retired Media Topic
  gives way to its nearest live ``broader`` concept, as IPTC's retirement notes advise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "standards" / "iptc-newscodes"
TARGET = ROOT / "src" / "ingest" / "vocab" / "iptc.json"
ENGLISH = "en-GB"
IPTC_TAGS = {"se": "sv", "dk": "da"}  # IPTC's file tags -> BCP 47
SUBJECTCODE = "http://cv.iptc.org/newscodes/subjectcode/"
MEDIATOPIC = "http://cv.iptc.org/newscodes/mediatopic/"


def clean(label: str) -> str:
    return " ".join(label.split())


def code_of(uri: str, base: str) -> str | None:
    return uri[len(base):] if uri.startswith(base) else None


def live_topic(code: str, topics: dict[str, dict[str, Any]]) -> str | None:
    """``code`` if its Media Topic is live, else its nearest live broader concept."""
    seen: set[str] = set()
    while code not in seen:
        seen.add(code)
        topic = topics.get(code)
        if topic is None:
            return None
        if "retired" not in topic:
            return code
        broader = [c for c in (code_of(u, MEDIATOPIC) for u in topic.get("broader", [])) if c]
        if not broader:
            return None
        code = broader[0]
    return None


def subject_topics(topics: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Subject Code -> Media Topic codes: live exact matches, else a retired exact match's
    live successor, else the same two steps for close matches."""
    found: dict[str, dict[tuple[int, bool], set[str]]] = {}
    for code, topic in topics.items():
        target = live_topic(code, topics)
        for rank, relation in enumerate(("exactMatch", "closeMatch")):
            for uri in topic.get(relation, []):
                subject = code_of(uri, SUBJECTCODE)
                if subject and target:
                    key = (rank, "retired" in topic)
                    found.setdefault(subject, {}).setdefault(key, set()).add(target)
    return {subject: sorted(by_kind[min(by_kind)]) for subject, by_kind in sorted(found.items())}


def exact_topic(topics: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Subject Code -> the one Media Topic (live or retired) that is its exactMatch."""
    matches: dict[str, list[str]] = {}
    for code, topic in sorted(topics.items()):
        for uri in topic.get("exactMatch", []):
            if subject := code_of(uri, SUBJECTCODE):
                matches.setdefault(subject, []).append(code)
    return {subject: codes[0] for subject, codes in matches.items() if len(codes) == 1}


def build(source: Path) -> dict[str, Any]:
    scheme = json.loads((source / "mediatopic-x-all.json").read_text(encoding="utf-8"))
    subject_names: dict[str, str] = json.loads(
        (source / "subjectcode-en.json").read_text(encoding="utf-8")
    )
    topics = {c["qcode"].partition(":")[2]: c for c in scheme["conceptSet"]}
    topic_names: dict[str, dict[str, str]] = {}
    for code, topic in sorted(topics.items()):
        labels = {IPTC_TAGS.get(tag, tag): clean(text) for tag, text in topic["prefLabel"].items()}
        english = labels[ENGLISH]
        for tag, text in sorted(labels.items()):
            if tag == ENGLISH or text != english:
                topic_names.setdefault(tag, {})[code] = text
    subj_names: dict[str, dict[str, str]] = {ENGLISH: {}}
    same = exact_topic(topics)
    for code, name in sorted(subject_names.items()):
        english = subj_names[ENGLISH][code] = clean(name)
        for tag, table in topic_names.items():
            label = table.get(same.get(code, ""))
            if tag != ENGLISH and label and label != english:
                subj_names.setdefault(tag, {})[code] = label
    return {
        "about": {
            "copyrightHolder": scheme["copyrightHolder"],
            "licence": scheme["licenceLink"],
            "mediatopicReleased": scheme["dateReleased"],
            "built": "scripts/build_vocab.py (rules in its docstring)",
        },
        "names": {"medtop": topic_names, "subj": subj_names},
        "subjToMedtop": subject_topics(topics),
    }


def main(source: Path) -> None:
    data = build(source)
    TARGET.write_text(
        json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )
    names = data["names"]
    print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes,"
          f" {len(names['medtop'][ENGLISH])} Media Topics, {len(names['subj'][ENGLISH])}"
          f" Subject Codes, {len(data['subjToMedtop'])} mapped,"
          f" languages {sorted(names['medtop'])}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
