"""``ingest partners key create|list|revoke`` against a real SQLite registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.api.keys import verify
from ingest.cli import main
from ingest.registry import open_registry

PARTNERS = """\
partners:
  - id: demo-news
    name: Demo News
    formats: [rss]
    rights: {providers: ["*"]}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "partners.yaml").write_text(PARTNERS)
    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("INGEST_PARTNERS_FILE", str(tmp_path / "partners.yaml"))
    for name in ("INGEST_REGISTRY_URL", "INGEST_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "var"


def test_create_prints_the_key_alone_last_then_list_and_revoke(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["partners", "key", "create", "demo-news"]) == 0
    out = capsys.readouterr().out.splitlines()
    key = out[-1]
    assert key.startswith("ingest_") and " " not in key
    key_id = key.split("_")[1]
    with open_registry(f"sqlite:///{home / 'registry.db'}") as registry:
        stored = verify(registry, key)
        assert stored is not None and stored.partner == "demo-news"
        assert key not in str(registry.partner_keys())  # only the hash is kept

    assert main(["partners", "key", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "demo-news" in listed and "active" in listed
    assert key.rsplit("_", 1)[1] not in listed

    assert main(["partners", "key", "revoke", key_id]) == 0
    assert main(["partners", "key", "revoke", key_id]) == 1
    capsys.readouterr()
    assert main(["partners", "key", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    with open_registry(f"sqlite:///{home / 'registry.db'}") as registry:
        assert verify(registry, key) is None


def test_create_refuses_a_partner_not_in_the_contracts(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["partners", "key", "create", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
