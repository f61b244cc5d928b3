"""Copy the CI quality gate's sample: a few checking-part pages of each dataset.

Usage: python bench/gate_sample.py DATASET_DIR... (into tests/fixtures/web/<dataset>/)

The sample is the first ``PER_DATASET`` pages, in file-name order, that the split
(``bench/splits.py``) puts in the checking part, one per site, whose gzip is at most
``MAX_GZ_BYTES``: pages no rule was tuned on. Only names are printed, never a page or
a score; the gate's floors come from the aggregate measured on the whole sample.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from splits import part_of, site

PER_DATASET = 5
MAX_GZ_BYTES = 120_000
FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures" / "web"


def main() -> None:
    for dataset in map(Path, sys.argv[1:]):
        target = FIXTURES / dataset.name
        (target / "html").mkdir(parents=True, exist_ok=True)
        (target / "ground-truth").mkdir(exist_ok=True)
        for extra in ("LICENSE", "NOTICE"):
            if (dataset / extra).exists():
                shutil.copy(dataset / extra, target / extra)
        sites: set[str] = set()
        for path in sorted((dataset / "ground-truth").glob("*.json")):
            truth = json.loads(path.read_text())
            html = dataset / "html" / f"{path.stem}.html.gz"
            if (part_of(truth) != "checking" or site(truth) in sites or not html.exists()
                    or html.stat().st_size > MAX_GZ_BYTES):
                continue
            sites.add(site(truth))
            shutil.copy(html, target / "html" / html.name)
            shutil.copy(path, target / "ground-truth" / path.name)
            print(dataset.name, path.stem)
            if len(sites) == PER_DATASET:
                break


if __name__ == "__main__":
    main()
