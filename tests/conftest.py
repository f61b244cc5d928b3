"""Fixtures shared across the suite: databases to run against.

``pg_url`` gives each test its own PostgreSQL schema (dropped afterwards). When the server
is unreachable the test skips, unless ``INGEST_REQUIRE_POSTGRES=1`` makes that a failure.
``INGEST_TEST_POSTGRES_URL`` points at another server. ``registry_url`` runs a test once
on SQLite and once on PostgreSQL. ``redis_url`` is the machine's Redis (db 15, or
``INGEST_TEST_REDIS_URL``), required by ``INGEST_REQUIRE_REDIS=1`` in the same way.
With ``INGEST_HYPOTHESIS_EXAMPLES`` set (``make mutants``), Hypothesis draws the same
examples on every run and keeps no database, so a mutant's verdict does not depend on
the luck of the draw or on what an earlier mutant's failure saved.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import settings
from sqlalchemy import create_engine, text

from hypothesis_examples import ENV as EXAMPLES_ENV
from ingest.registry.engine import fresh_schema

POSTGRES_URL = os.environ.get(
    "INGEST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("INGEST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

if os.environ.get(EXAMPLES_ENV):
    settings.register_profile("mutants", derandomize=True, database=None)
    settings.load_profile("mutants")


def _reachable(name: str, url: str, check: Callable[[], object], require: str) -> str:
    """``url`` once ``check()`` answered; else skip, or fail when ``require`` is set to 1."""
    try:
        check()
    except Exception as exc:
        reason = f"{name} not reachable at {url}: {exc}"
        if os.environ.get(require) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, once checked reachable."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})

    def select_one() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        return _reachable("PostgreSQL", POSTGRES_URL, select_one, "INGEST_REQUIRE_POSTGRES")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis URL, once checked reachable (tests use keys of their own)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        return _reachable("Redis", REDIS_URL, client.ping, "INGEST_REQUIRE_REDIS")
    finally:
        client.close()


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema of their own."""
    with fresh_schema(postgres_server, "test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free local port, spoken to over real HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3's environment pointed at the moto server, with throwaway credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint


@pytest.fixture
def s3_bucket(s3_env: str) -> str:
    """A new, empty bucket on the moto server."""
    from ingest.publish.objectstore import make_s3_client

    name = f"ingest-{uuid.uuid4().hex[:10]}"
    make_s3_client().create_bucket(Bucket=name)
    return name
