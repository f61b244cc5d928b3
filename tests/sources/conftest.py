"""Fixtures for source tests: a moto S3 server over HTTP and in-memory cursors."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from memory_cursors import MemoryCursors
from moto.server import ThreadedMotoServer


@pytest.fixture
def cursors() -> MemoryCursors:
    return MemoryCursors()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """A fresh bucket on the moto server, with boto3 pointed at it through the environment."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"drop-{request.node.name.lower().replace('_', '-')}"[:60]
    client = boto3.client("s3")
    client.create_bucket(Bucket=bucket)
    client.close()
    return bucket
