"""How many examples the slowest property tests draw.

Under ``make mutants`` each of these tests runs once for every mutant of a function it
calls, so the mutants target sets ``INGEST_HYPOTHESIS_EXAMPLES`` to a few examples (and
``tests/conftest.py`` then makes them the same on every run); ``make test`` leaves it unset
and the tests draw their normal count. An explicit ``@settings(max_examples=...)`` overrides
any Hypothesis profile, hence this helper in those ``@settings`` lines.
"""

from __future__ import annotations

import os

ENV = "INGEST_HYPOTHESIS_EXAMPLES"


def max_examples(normal: int) -> int:
    """``normal``, or at most ``$INGEST_HYPOTHESIS_EXAMPLES`` (at least 1) when that is set."""
    cap = os.environ.get(ENV, "").strip()
    return max(1, min(normal, int(cap))) if cap else normal
