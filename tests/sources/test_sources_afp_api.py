"""The AFP API client against a fake API over real HTTP: auth, paging, retries, budget."""

from __future__ import annotations

import base64
import json
import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fake_afp import FakeAFP, make_doc

from ingest.registry import upgrade_database
from ingest.registry.engine import make_engine
from ingest.sources.afp_api import (
    AFPAPIClient,
    AFPAPIConfig,
    AFPAPIError,
    BudgetExhausted,
    Secret,
    Timeouts,
)
from ingest.sources.base import RawItem
from ingest.sources.budget import shared_budget
from ingest.sources.retry import RetryPolicy

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
END = datetime(2026, 11, 27, 10, 5, tzinfo=UTC)

WINDOW_DOCS = [
    make_doc("before", "2026-11-27T09:59:59Z"),
    make_doc("d1", "2026-11-27T10:00:00Z"),
    make_doc("d2", "2026-11-27T10:01:00Z", lang="fr"),
    make_doc("german", "2026-11-27T10:01:30Z", lang="de"),
    make_doc("photo", "2026-11-27T10:01:40Z", product="photo"),
    make_doc("tie-a", "2026-11-27T10:02:00Z"),
    make_doc("tie-b", "2026-11-27T10:02:00Z"),
    make_doc("d5", "2026-11-27T10:03:00Z"),
    make_doc("d6", "2026-11-27T10:04:00Z"),
    make_doc("at-end", "2026-11-27T10:05:00Z"),
]
EXPECTED = ["d1", "d2", "tie-a", "tie-b", "d5", "d6"]


class Clock:
    """A monotonic clock that only moves when the client sleeps; records each sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeAFP]:
    server = FakeAFP(list(WINDOW_DOCS)).start()
    try:
        yield server
    finally:
        server.stop()


def config_for(fake: FakeAFP, **overrides: Any) -> AFPAPIConfig:
    settings: dict[str, Any] = {
        "base_url": fake.url, "username": fake.username, "password": Secret(fake.password),
        "client_id": fake.client_id, "client_secret": Secret(fake.client_secret),
        "langs": ("en", "fr"), "products": ("news",), "max_rows": 3,
        "timeouts": Timeouts(connect=2.0, read=0.25),
        "retry": RetryPolicy(attempts=5, base=0.01, cap=0.05), "refresh_margin": 30.0,
    }
    return AFPAPIConfig(**(settings | overrides))


def client_for(config: AFPAPIConfig, clock: Clock) -> AFPAPIClient:
    return AFPAPIClient(config, sleep=clock.sleep, clock=clock, rng=random.Random(7))


def unos(items: list[Any]) -> list[str]:
    return [json.loads(item.data)["uno"] for item in items]


def test_window_survives_expiry_429_503_timeout_and_bad_body_exactly_once(
    fake: FakeAFP, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.retry_after = "80"  # long enough that the token nears expiry while waiting
    fake.faults = {1: "expire", 2: "429", 4: "503", 5: "stall", 6: "malformed"}
    clock = Clock()
    with client_for(config_for(fake), clock) as client:
        items = list(client.fetch(START, END))

    assert sorted(unos(items)) == sorted(EXPECTED)  # every doc once, none from outside
    assert len(items) == len(set(unos(items)))
    first = items[0]
    doc = json.loads(first.data)
    assert (first.source, first.name, first.fmt) == ("afp-api", "afp-api:d1", "afp-api")
    assert first.data == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    searches = fake.search_calls()
    assert len(searches) >= 3 + 5  # at least three pages plus five faults
    for seen in searches:
        body = seen.json()
        assert body["dateRange"]["to"] == "2026-11-27T10:05:00Z"
        assert (body["sortField"], body["sortOrder"]) == ("published", "asc")
        assert 1 <= body["maxRows"] <= 1000
        assert body["lang"] == "en,fr"
        assert body["query"] == {"and": [{"name": "product", "in": ["news"]}]}
        assert seen.headers["authorization"].startswith("Bearer acc-")
        assert seen.path == "/v1/api/search?wt=json"
    lower_bounds = [seen.json()["dateRange"]["from"] for seen in searches]
    assert lower_bounds[0] == "2026-11-27T10:00:00Z"
    assert "2026-11-27T10:02:00Z" in lower_bounds  # paged by moving the bound onto a tie

    basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    tokens = fake.token_calls()
    assert all(seen.headers["authorization"] == f"Basic {basic}" for seen in tokens)
    # sign-in, refresh on the 401, refresh ahead of expiry after the 80 s wait
    assert [seen.form()["grant_type"] for seen in tokens] == [
        "password", "refresh_token", "refresh_token",
    ]
    assert client.requests_sent == len(fake.seen)

    assert 80.0 in clock.sleeps  # Retry-After honoured as given
    others = [delay for delay in clock.sleeps if delay != 80.0]
    assert len(others) == 3 and all(0 <= delay <= 0.05 for delay in others)

    assert any(record.name.startswith("urllib3") for record in caplog.records)
    logged = caplog.text + " ".join(repr(record.args) for record in caplog.records)
    for secret in (fake.password, fake.client_secret):
        assert secret not in logged
    for problem in ("HTTP 429", "HTTP 503", "ReadTimeout", "malformed JSON body", "answered 401"):
        assert problem in caplog.text


def test_page_made_of_one_second_steps_by_offset() -> None:
    docs = [make_doc(f"same-{n}", "2026-11-27T10:02:00Z") for n in range(5)]
    server = FakeAFP(docs, shuffle_ties=False).start()
    try:
        with client_for(config_for(server, max_rows=2, langs=(), products=()), Clock()) as client:
            items = list(client.fetch(START, END))
    finally:
        server.stop()
    assert sorted(unos(items)) == [f"same-{n}" for n in range(5)]
    bodies = [seen.json() for seen in server.search_calls()]
    assert [body["startAt"] for body in bodies] == [0, 0, 2, 4]
    assert all("lang" not in body and "query" not in body for body in bodies)


def test_budget_stops_the_run_with_budget_exhausted(fake: FakeAFP) -> None:
    clock = Clock()
    client = client_for(config_for(fake, max_rows=1, budget=3), clock)
    items: list[RawItem] = []
    with client, pytest.raises(BudgetExhausted, match="budget of 3"):
        items.extend(client.fetch(START, END))
    assert len(fake.seen) == 3  # one sign-in, two searches, nothing past the budget
    assert unos(items) == ["d1", "d2"]


def test_two_clients_on_one_shared_budget_spend_it_once(fake: FakeAFP, sqlite_url: str) -> None:
    upgrade_database(sqlite_url)
    engine = make_engine(sqlite_url)
    config = config_for(fake, max_rows=1, budget=4)
    clients = [AFPAPIClient(config, sleep=Clock().sleep, budget=shared_budget(
        None, engine, "afp-api:test", config.budget)) for _ in range(2)]
    with clients[0], pytest.raises(BudgetExhausted, match="shared request budget"):
        list(clients[0].fetch(START, END))  # a sign-in and three searches: the budget is spent
    with clients[1], pytest.raises(BudgetExhausted, match="shared request budget"):
        list(clients[1].fetch(START, END))  # its own config says 4, but the 4 are gone
    assert len(fake.seen) == 4
    engine.dispose()


def test_malformed_body_is_retried_a_bounded_number_of_times(fake: FakeAFP) -> None:
    fake.faults = dict.fromkeys(range(10), "malformed")
    clock = Clock()
    client = client_for(config_for(fake, max_malformed=2), clock)
    with client, pytest.raises(AFPAPIError, match="malformed JSON body 3 times"):
        list(client.fetch(START, END))
    assert len(fake.search_calls()) == 3


def test_retry_after_beyond_the_limit_gives_up_instead_of_sleeping(fake: FakeAFP) -> None:
    fake.faults = {0: "429"}
    fake.retry_after = "3600"
    clock = Clock()
    client = client_for(config_for(fake), clock)
    with client, pytest.raises(AFPAPIError, match="retry later"):
        list(client.fetch(START, END))
    assert clock.sleeps == []


def test_bad_credentials_error_never_shows_the_secrets(
    fake: FakeAFP, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-Pa55-X1"
    config = config_for(fake, password=Secret(wrong))
    with client_for(config, Clock()) as client, pytest.raises(AFPAPIError) as caught:
        list(client.fetch(START, END))
    assert caught.value.status == 401
    assert "invalid_grant" in str(caught.value)  # the server's answer is kept ...
    for text in (str(caught.value), repr(caught.value), caplog.text, repr(config), repr(client)):
        assert wrong not in text  # ... but the password it echoed is blanked
        assert fake.client_secret not in text


def test_naive_or_empty_window_is_refused(fake: FakeAFP) -> None:
    with client_for(config_for(fake), Clock()) as client:
        with pytest.raises(ValueError, match="timezone-aware"):
            list(client.fetch(START.replace(tzinfo=None), END))
        with pytest.raises(ValueError, match="empty window"):
            list(client.fetch(END, START))
    assert fake.seen == []


def test_config_from_env_names_missing_variables_not_values() -> None:
    env = {
        "INGEST_AFP_BASE_URL": "https://api.afp.com", "INGEST_AFP_USERNAME": "alice",
        "INGEST_AFP_PASSWORD": "hunter2-pw", "INGEST_AFP_CLIENT_ID": "cid",
        "INGEST_AFP_LANGS": "en, fr", "INGEST_AFP_PRODUCTS": "news,multimedia",
    }
    with pytest.raises(ValueError, match="INGEST_AFP_CLIENT_SECRET") as caught:
        AFPAPIConfig.from_env(env)
    assert "hunter2-pw" not in str(caught.value)
    config = AFPAPIConfig.from_env(env | {"INGEST_AFP_CLIENT_SECRET": "csec-77"}, max_rows=500)
    assert (config.langs, config.products, config.max_rows) == (
        ("en", "fr"), ("news", "multimedia"), 500,
    )
    assert config.password.reveal() == "hunter2-pw"
    assert "hunter2-pw" not in repr(config) and "csec-77" not in str(config)


def test_config_from_an_airflow_shaped_connection() -> None:
    conn = SimpleNamespace(
        host="api.afp.com", schema="https", port=None, login="alice", password="pw-123-secret",
        extra_dejson={"client_id": "cid", "client_secret": "cs-456", "langs": ["en"]},
    )
    config = AFPAPIConfig.from_connection(conn)
    assert config.base_url == "https://api.afp.com"
    assert (config.username, config.client_id, config.langs) == ("alice", "cid", ("en",))
    assert config.client_secret == Secret("cs-456")
    assert "pw-123-secret" not in repr(config) and "cs-456" not in repr(config)
    with pytest.raises(ValueError, match="client_secret"):
        AFPAPIConfig.from_connection(SimpleNamespace(**(vars(conn) | {"extra_dejson": {}})))


def test_config_refuses_more_than_1000_rows() -> None:
    with pytest.raises(ValueError, match="max_rows"):
        AFPAPIConfig("https://api.afp.com", "a", Secret("p"), "c", Secret("s"), max_rows=1001)
