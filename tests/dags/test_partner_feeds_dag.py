"""``partner_feeds`` through ``dag.test()``: a run maps a build only over the partners whose
view changed since their last build (``ingest.rebuild``).

Fixtures: ``dagbag`` and ``airflow_db`` (Airflow's own SQLite database in a temp home)
from tests/dags/conftest.py; the registry and object store are the embedded defaults
under ``tmp_path``; the partners are the project's config/partners.yaml.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "afp-newsml12-wind-farm-alert.xml"


def built(run: Any) -> list[str]:
    """The partners a run's mapped ``build_partner`` built (its map index names them)."""
    return sorted(str(ti.rendered_map_index) for ti in run.get_task_instances()
                  if ti.task_id == "build_partner" and ti.state == "success")


@pytest.mark.airflow
@pytest.mark.slow
def test_a_run_rebuilds_only_the_partners_a_new_release_is_for(
    dagbag: Any, airflow_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingest.config import Settings
    from ingest.pipeline import ingest_items
    from ingest.runtime import Runtime
    from ingest.sources.base import RawItem

    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INGEST_PROJECT_DIR", str(REPO))
    for name in ("INGEST_REGISTRY_URL", "INGEST_STORE_URL", "INGEST_TAG_AUTHORITY"):
        monkeypatch.delenv(name, raising=False)
    feeds = dagbag.dags["partner_feeds"]
    with Runtime(Settings.from_env()) as rt:
        every = sorted(p.id for p in rt.partners())

        first = feeds.test()
        assert first.state == "success"
        assert built(first) == every  # never built

        again = feeds.test()
        assert again.state == "success"
        assert built(again) == []  # nothing released since: nothing mapped

        ingest_items([RawItem("drop", SAMPLE.name, SAMPLE.read_bytes())],
                     registry=rt.registry, store=rt.store, received_at=datetime.now(UTC))
        third = feeds.test()
    assert third.state == "success"
    # an English politics alert (medtop:11): not for presse-fr (French) nor markets-wire
    # (economy, medtop:04)
    assert built(third) == ["archive-library", "demo-news"]
