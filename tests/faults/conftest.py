"""Fault fixtures: the fault proxy before moto's S3 server (tests/conftest.py), credentials.

The hostile suite's item builders and output checks and the fake AFP server are shared.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS / "hostile"), str(TESTS / "sources")]  # wire_items, fake_afp

from fault_proxy import FaultProxy  # noqa: E402  (after the path above)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultProxy]:
    fault = FaultProxy(s3_endpoint).start()
    yield fault
    fault.stop()
