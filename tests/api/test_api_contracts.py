"""The ``api`` block of a partner's contract in ``config/partners.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.publish.partners import PartnerConfigError, load_partners, parse_partners


def _doc(**extra: Any) -> dict[str, Any]:
    return {"partners": [{"id": "p", "name": "P", "formats": ["rss"],
                          "rights": {"providers": ["*"]}, **extra}]}


def test_the_quota_is_read_and_defaults_to_120_a_minute() -> None:
    assert parse_partners(_doc())[0].api.requests_per_minute == 120
    assert parse_partners(_doc(api={"requests_per_minute": 5}))[0].api.requests_per_minute == 5


@pytest.mark.parametrize(("api", "field"), [
    ({"requests_per_minut": 5}, "api.requests_per_minut"),  # a typo is an error
    ({"requests_per_minute": 0}, "api.requests_per_minute"),
    ({"requests_per_minute": "5"}, "api.requests_per_minute"),
    ("fast", "api"),
])
def test_a_wrong_api_block_names_the_field(api: Any, field: str) -> None:
    with pytest.raises(PartnerConfigError, match=f"partner 'p': field '{field}'"):
        parse_partners(_doc(api=api))


def test_the_shipped_contracts_parse() -> None:
    config = Path(__file__).resolve().parents[2] / "config" / "partners.yaml"
    demo = {p.id: p for p in load_partners(config)}["demo-news"]
    assert demo.api.requests_per_minute == 120
