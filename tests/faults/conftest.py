"""Fault fixtures: moto's S3 server, the fault proxy before it, and test credentials.

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


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    fault = FaultProxy(moto_url).start()
    yield fault
    fault.stop()
