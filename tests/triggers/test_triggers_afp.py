"""The AFP API poll: one search per poll, each document reported once, never past a budget.

Against ``tests/sources/fake_afp.py`` (a local HTTP server speaking AFP API Core's shapes)
and the registry's real shared budget (``RegistryBudget`` on SQLite).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
from fake_afp import FakeAFP, make_doc
from trigger_support import Running

from ingest.registry import upgrade_database
from ingest.registry.engine import make_engine
from ingest.sources.afp_api import AFPAPIClient, AFPAPIConfig, Secret
from ingest.sources.budget import RegistryBudget
from ingest.sources.retry import BudgetExhausted
from ingest.triggers.afp import AFPPollTrigger, AFPProbe


def doc(name: str, age: timedelta) -> dict[str, Any]:
    published = (datetime.now(UTC) - age).replace(microsecond=0)
    return make_doc(f"newsml.afp.com.{published:%Y%m%dT%H%M%SZ}.{name}", published.isoformat())


@pytest.fixture
def afp() -> Iterator[FakeAFP]:
    fake = FakeAFP([doc("doc-recent", timedelta(minutes=5)),
                    doc("doc-old", timedelta(minutes=20))]).start()
    yield fake
    fake.stop()


def config(fake: FakeAFP) -> AFPAPIConfig:
    return AFPAPIConfig(fake.url, fake.username, Secret(fake.password), fake.client_id,
                        Secret(fake.client_secret), max_rows=50)


def probe(fake: FakeAFP, tmp_path: Path, *, budget: int, polls_per_hour: int) -> AFPProbe:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade_database(url)
    shared = RegistryBudget(make_engine(url), "afp-api:alice", budget, 3600.0)
    return AFPProbe(AFPAPIClient(config(fake), budget=shared),
                    since=datetime.now(UTC) - timedelta(minutes=10),
                    polls_per_hour=polls_per_hour, rows=50)


def test_polls_stop_at_the_shared_budget_without_sending(afp: FakeAFP, tmp_path: Path) -> None:
    polls = probe(afp, tmp_path, budget=3, polls_per_hour=100)
    first = polls.poll(datetime.now(UTC))  # a token and a search: two requests
    assert first == [afp.docs[0]["uno"]]
    assert polls.poll(datetime.now(UTC)) == []  # one search, nothing new
    for _ in range(3):
        with pytest.raises(BudgetExhausted):
            polls.poll(datetime.now(UTC))
    assert len(afp.seen) == 3  # the budget: not one request more
    polls.client.close()


def test_polls_keep_to_their_own_share_of_the_budget(afp: FakeAFP, tmp_path: Path) -> None:
    polls = probe(afp, tmp_path, budget=5000, polls_per_hour=2)
    polls.poll(datetime.now(UTC))
    polls.poll(datetime.now(UTC))
    with pytest.raises(BudgetExhausted):
        polls.poll(datetime.now(UTC))
    assert len(afp.search_calls()) == 2
    polls.client.close()


def test_the_trigger_reports_each_new_document_once(
    afp: FakeAFP, ingest_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {"INGEST_AFP_BASE_URL": afp.url, "INGEST_AFP_USERNAME": afp.username,
                        "INGEST_AFP_PASSWORD": afp.password,
                        "INGEST_AFP_CLIENT_ID": afp.client_id,
                        "INGEST_AFP_CLIENT_SECRET": afp.client_secret}.items():
        monkeypatch.setenv(name, value)
    recent = afp.docs[0]["uno"]

    async def scenario() -> list[dict[str, Any] | None]:
        running = Running(AFPPollTrigger(poll_seconds=0.2))
        try:
            first = await running.next(15.0)  # the look-back: the recent document only
            quiet = await running.next(1.0)
            with afp._lock:
                afp.docs.append(doc("doc-new", timedelta(seconds=1)))
            second = await running.next(5.0)
            return [first, quiet, second]
        finally:
            await running.stop()

    first, quiet, second = asyncio.run(scenario())
    assert first is not None and first["keys"] == [recent] and first["source"] == "afp-api"
    assert quiet is None
    assert second is not None and second["keys"] == [afp.docs[-1]["uno"]]
    assert len(afp.token_calls()) == 1  # one sign-in for the trigger's life
