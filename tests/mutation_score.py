"""Mutation score per module from mutmut 3's results (``make mutants``; docs/testing.md).

Reads ``mutants/**/*.py.meta`` (mutmut's own record of each mutant's exit code), keeps
the mutants the given globs select, and prints killed / survived / other per module.
Mutants listed in ``tests/mutants-equivalent.txt`` (one name a line, ``#`` comments) are
equivalent to the original (no test can tell them apart) and leave the score's base; one
listed there that a test killed counts as killed and is named, since mutmut numbers a
function's mutants afresh whenever the function changes and the list then points elsewhere.
Exits 1 when a module scores below ``--min`` (percent of non-equivalent mutants killed).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

# A mutant that made a test fail, crash or run out of time was caught.
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}
ALIVE = {"survived", "no tests"}
EQUIVALENT_FILE = Path(__file__).with_name("mutants-equivalent.txt")


def load_results(root: Path) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in sorted(root.glob("src/**/*.py.meta")):
        results.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return results


def equivalents(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return {line for line in lines if line}


def module_of(mutant: str) -> str:
    return mutant.rsplit(".", 1)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("globs", nargs="*", default=["*"], help="mutant names (fnmatch)")
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--min", type=float, default=90.0)
    parser.add_argument("--survivors", action="store_true", help="list survivors too")
    args = parser.parse_args(argv)
    equivalent = equivalents(EQUIVALENT_FILE)
    chosen = {name: code for name, code in load_results(args.root).items()
              if any(fnmatch.fnmatch(name, g) for g in args.globs)}
    by_module: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    stale: list[str] = []  # listed as equivalent, yet a test told it apart
    for name, code in sorted(chosen.items()):
        what = status_by_exit_code[code]
        if what in CAUGHT:
            what = "killed"
            if name in equivalent:
                stale.append(name)
        elif name in equivalent:
            what = "equivalent"
        by_module.setdefault(module_of(name), Counter())[what] += 1
        if what in ALIVE:
            survivors.append(name)
    low = False
    print(f"{'module':<34} {'killed':>7} {'survived':>9} {'equiv.':>7} {'other':>6} {'score':>7}")
    for module, counts in sorted(by_module.items()):
        killed, alive = counts["killed"], sum(counts[a] for a in ALIVE)
        other = sum(counts.values()) - killed - alive - counts["equivalent"]
        score = 100.0 * killed / (killed + alive) if killed + alive else 100.0
        low |= score < args.min
        print(f"{module:<34} {killed:>7} {alive:>9} {counts['equivalent']:>7} {other:>6} "
              f"{score:>6.1f}%")
    if args.survivors:
        print("\nsurvivors (not listed as equivalent):", *survivors, sep="\n  ")
    if stale:
        print(f"\nkilled, yet listed in {EQUIVALENT_FILE.name} (its numbers moved when the"
              " function changed: re-check that list):", *stale, sep="\n  ")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
