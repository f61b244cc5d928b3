"""``scripts/build_vocab.py`` on an excerpt of IPTC's files (``fixtures/``, see README).

The expected values are read by hand from the excerpt: each concept's ``prefLabel`` and its
``exactMatch`` / ``closeMatch`` / ``broadMatch`` / ``retired`` / ``broader`` fields.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[1] / "scripts" / "build_vocab.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_vocab", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    data: dict[str, Any] = _script().build(HERE / "fixtures")
    return data


def test_subject_codes_map_to_exact_else_close_media_topics(built: dict[str, Any]) -> None:
    assert built["subjToMedtop"] == {
        "14023000": ["20000810"],  # closeMatch only
        "15000000": ["15000000"],
        "15005000": ["20000827"],  # exactMatch 20000827, closeMatch 20000844 left out
        "15039001": ["20000991"],  # exactMatch 20000994 is retired; its broader is 20000991
        "15039000": ["20000991"],
        "15054000": ["20001065"],
        # 16000000: medtop:16000000 names it as broadMatch only, so no mapping
    }


def test_names_per_language(built: dict[str, Any]) -> None:
    topics, codes = built["names"]["medtop"], built["names"]["subj"]
    assert topics["en-GB"]["15000000"] == "sport"
    assert topics["ar"]["15000000"] == "رياضة"
    assert topics["sv"]["15000000"] == "Sport"  # IPTC's "se" tag holds Swedish
    assert "15000000" not in topics["da"]  # "dk": "sport", the same as the English name
    assert "se" not in topics and "dk" not in topics
    assert topics["ar"]["16000000"] == "نزاعات، حرب وسلام"  # whitespace collapsed
    assert codes["en-GB"]["16000000"] == "unrest, conflicts and war"
    assert codes["ar"]["15054000"] == "قدم"  # the label of its exactMatch medtop:20001065
    assert "16000000" not in codes["ar"]  # no exact Media Topic: English only


def test_attribution_is_taken_from_the_scheme(built: dict[str, Any]) -> None:
    about = built["about"]
    assert about["licence"] == "http://creativecommons.org/licenses/by/4.0/"
    assert about["copyrightHolder"] == (
        "IPTC, International Press Telecommunications Council - https://iptc.org"
    )
