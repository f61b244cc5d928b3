"""Fixtures for the backfill tests: a mixed archive on disk and moto's S3 over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backfill_helpers import build_archive, make_runtime

from ingest.runtime import Runtime


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return build_archive(tmp_path / "archive")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free local port, spoken to over HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint


@pytest.fixture
def runtimes() -> Iterator[Callable[[Path, str, str], Runtime]]:
    """``make_runtime``, with every registry opened through it closed at teardown."""
    made: list[Runtime] = []

    def make(tmp: Path, registry_url: str, store_url: str) -> Runtime:
        made.append(make_runtime(tmp, registry_url, store_url))
        return made[-1]

    yield make
    for rt in made:
        if "registry" in rt.__dict__:
            rt.registry.close()
