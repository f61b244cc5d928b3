"""Tuning and checking parts of every page dataset, split by site before anyone looks.

A page's site is its publisher where the dataset names one (fundus), else the registrable
part of its URL's host, else its file id without a trailing number (readability's
``wapo-1``/``wapo-2``). A site goes wholly to one part, chosen by a hash of its name, so no
rule tuned on a site's layout is scored on another page of that same site. Tune rules,
thresholds and models on ``tuning`` only; report ``checking``.

Usage: python bench/splits.py DATASET_DIR...   (prints the size of each part)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

Part = Literal["tuning", "checking"]
SALT = "ingest-split-v1"
# Second-level labels under which a country's registrable names sit (example.co.uk).
_GENERIC_SLD = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "gv"})
_TRAILING_NUMBER = re.compile(r"[-_]?\d+$")


def site(truth: dict[str, Any]) -> str:
    """The site a ground-truth record belongs to (see the module docstring)."""
    publisher = (truth.get("_source") or {}).get("publisher")
    if publisher:
        return str(publisher).lower()
    host = urlsplit(truth.get("url") or "").hostname or ""
    labels = [label for label in host.lower().split(".") if label]
    if len(labels) >= 2:
        keep = 3 if len(labels) >= 3 and labels[-2] in _GENERIC_SLD and len(labels[-1]) == 2 else 2
        return ".".join(labels[-keep:])
    return _TRAILING_NUMBER.sub("", str(truth.get("file_id") or "")).lower()


def part_of(truth: dict[str, Any]) -> Part:
    digest = hashlib.sha256(f"{SALT}:{site(truth)}".encode()).digest()
    return "tuning" if digest[0] % 2 == 0 else "checking"


def main() -> None:
    for folder in map(Path, sys.argv[1:]):
        counts: dict[str, set[str]] = {"tuning": set(), "checking": set()}
        pages = {"tuning": 0, "checking": 0}
        for path in sorted((folder / "ground-truth").glob("*.json")):
            truth = json.loads(path.read_text())
            part = part_of(truth)
            pages[part] += 1
            counts[part].add(site(truth))
        print(f"{folder.name}: tuning {pages['tuning']} pages / {len(counts['tuning'])} sites, "
              f"checking {pages['checking']} pages / {len(counts['checking'])} sites")


if __name__ == "__main__":
    main()
