"""afp_ingest pulls its data interval from AFP API Core (a real local fake) through the pool."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
from fake_afp import FakeAFP, make_doc

from ingest.config import Settings
from ingest.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
RUN_AT = datetime(2026, 11, 27, 10, 10, tzinfo=UTC)  # data interval [10:00, 10:10)
INSIDE = [make_doc(f"newsml.afp.com.20261127T1003{i}0Z.doc-dag{i}", f"2026-11-27T10:03:{i}0+00:00")
          for i in range(3)]
OUTSIDE = [make_doc("newsml.afp.com.20261127T095900Z.doc-early", "2026-11-27T09:59:00+00:00")]


@pytest.fixture
def afp() -> Iterator[FakeAFP]:
    fake = FakeAFP([*OUTSIDE, *INSIDE]).start()
    yield fake
    fake.stop()


@pytest.mark.airflow
def test_afp_ingest_pulls_exactly_its_data_interval(
    dagbag: Any, airflow_db: None, afp: FakeAFP, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_DROP_URL": (tmp_path / "empty-drop").as_uri(),
        "INGEST_AFP_BASE_URL": afp.url, "INGEST_AFP_USERNAME": afp.username,
        "INGEST_AFP_PASSWORD": afp.password, "INGEST_AFP_CLIENT_ID": afp.client_id,
        "INGEST_AFP_CLIENT_SECRET": afp.client_secret,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("INGEST_REGISTRY_URL", raising=False)
    monkeypatch.delenv("INGEST_STORE_URL", raising=False)

    run = dagbag.dags["afp_ingest"].test(logical_date=RUN_AT)
    assert run.state == "success"

    search = afp.search_calls()[0].json()
    assert search["dateRange"]["from"].startswith("2026-11-27T10:00:00")
    assert search["dateRange"]["to"].startswith("2026-11-27T10:10:00")
    with Runtime(Settings.from_env(env)) as rt:
        for doc in INSIDE:
            date_id, item_id = doc["uno"].removeprefix("newsml.afp.com.").split(".")
            row = rt.registry.latest(f"urn:newsml:afp.com:{date_id}:{item_id}")
            assert row is not None and row.article.headline == doc["headline"]
        assert rt.registry.latest("urn:newsml:afp.com:20261127T095900Z:doc-early") is None
        assert rt.registry.get_cursor("afp-api") == "2026-11-27T10:10:00Z"
