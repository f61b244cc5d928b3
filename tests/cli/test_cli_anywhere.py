"""The ``ingest`` command run as a new user runs it: the installed script, from a folder
outside the repository, with only ``INGEST_HOME`` set or with nothing set at all.

The archive is three of the repository's samples (``samples/README.md``): the wind-farm
story v1 (NewsML-G2; its linked picture item is part of the story), the harbour-turbine
story (NewsML 1.2) and ``broken-truncated.xml`` (cut off mid-element: ``malformed_xml``).
So: two stories, one version each, one item quarantined.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ARCHIVE = ["afp-g2-wind-farm-v1.xml", "afp-newsml12-harbour-turbine.xml", "broken-truncated.xml"]
WIND_FARM_URI = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
INGEST = Path(sys.executable).parent / "ingest"  # the console script, as installed
PARTNERS = """\
partners:
  - id: trial-partner
    name: Trial Partner
    formats: [rss]
    max_age: 3650d
    rights: {providers: ["*"]}
"""


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working folder outside the repository, and an archive beside it."""
    assert not tmp_path.resolve().is_relative_to(REPO)
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ARCHIVE:
        shutil.copy(SAMPLES / name, archive / name)
    (tmp_path / "cwd").mkdir()
    return tmp_path


def run(where: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``ingest ARGS`` in ``where/cwd`` with no ``INGEST_*``, ``AIRFLOW_*`` or XDG variable
    but ``env``, and ``HOME`` inside ``where`` (so the default home lands there too)."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("INGEST_", "AIRFLOW", "XDG_")) and k != "HOME"}
    return subprocess.run(
        [str(INGEST), *args], cwd=where / "cwd", env={**keep, "HOME": str(where / "user"), **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_command_works_from_another_folder_with_only_ingest_home(elsewhere: Path) -> None:
    home = elsewhere / "embedded-home"
    env = {"INGEST_HOME": str(home)}
    archive = (elsewhere / "archive").as_uri()

    parsed = ok(run(elsewhere, "parse", str(elsewhere / "archive" / ARCHIVE[0]), **env))
    assert f'"uri":"{WIND_FARM_URI}"' in parsed.replace(" ", "")
    assert ok(run(elsewhere, "db", "upgrade", **env)).endswith("is at the newest schema\n")

    first = ok(run(elsewhere, "backfill", archive, **env))
    assert "3 objects" in first and 'versions: {"new": 2}' in first
    assert "this run read 3 of them\n" in first
    rerun = run(elsewhere, "backfill", archive, **env)
    assert rerun.returncode == 0, rerun.stderr
    assert "0 items" in rerun.stderr  # nothing read again
    assert "this run read 0 of them; nothing new" in rerun.stdout  # and it says so
    again = ok(run(elsewhere, "backfill", archive, "--run-id", "again", **env))
    # every raw object is known, the quarantined one too: none parsed again
    assert "this run read 3 of them" in again and 'versions: {"skipped": 3}' in again

    reconciled = ok(run(elsewhere, "reconcile", **env))
    assert "unaccounted: 0" in reconciled
    status = ok(run(elsewhere, "status", **env))
    assert "stories: 2  versions: 2  killed: 0  raw objects: 3" in status
    assert "quarantined: 1" in status and "malformed_xml: broken-truncated.xml" in status

    assert (home / "registry.db").is_file()
    assert list((elsewhere / "cwd").iterdir()) == []  # nothing written where it ran
    assert not (elsewhere / "user").exists()  # nor in the user's data folder


def test_with_nothing_set_the_home_is_the_users_data_folder(elsewhere: Path) -> None:
    archive = (elsewhere / "archive").as_uri()
    ok(run(elsewhere, "db", "upgrade"))
    ok(run(elsewhere, "backfill", archive))
    assert "stories: 2  versions: 2" in ok(run(elsewhere, "status"))
    assert "unaccounted: 0" in ok(run(elsewhere, "reconcile"))
    assert (elsewhere / "user/.local/share/ingest/registry.db").is_file()
    assert list((elsewhere / "cwd").iterdir()) == []

    xdg = elsewhere / "xdg-data"
    ok(run(elsewhere, "db", "upgrade", XDG_DATA_HOME=str(xdg)))
    assert (xdg / "ingest/registry.db").is_file()


def test_publishing_without_a_partners_file_stops_at_once_naming_the_setting(
    elsewhere: Path,
) -> None:
    home = elsewhere / "home"
    env = {"INGEST_HOME": str(home)}
    archive = (elsewhere / "archive").as_uri()
    expected = f"ingest: INGEST_PARTNERS_FILE: no such file {home / 'partners.yaml'}"

    published = run(elsewhere, "backfill", archive, "--publish", **env)
    assert published.returncode == 2
    assert published.stderr.startswith(expected)
    assert "Traceback" not in published.stderr
    key = run(elsewhere, "partners", "key", "create", "trial-partner", **env)
    assert key.returncode == 2 and key.stderr.startswith(expected)
    # it stopped before loading anything
    assert "stories: 0" in ok(run(elsewhere, "status", **env))

    missing = elsewhere / "nowhere.yaml"
    named = run(elsewhere, "backfill", archive, "--publish", INGEST_PARTNERS_FILE=str(missing))
    assert named.returncode == 2
    assert named.stderr.startswith(f"ingest: INGEST_PARTNERS_FILE: no such file {missing}")


def test_a_partners_file_in_the_home_is_found_from_anywhere(elsewhere: Path) -> None:
    home = elsewhere / "home"
    home.mkdir()
    (home / "partners.yaml").write_text(PARTNERS, encoding="utf-8")
    env = {"INGEST_HOME": str(home)}

    ok(run(elsewhere, "backfill", (elsewhere / "archive").as_uri(), "--publish", **env))
    feed = home / "objectstore/feeds/trial-partner/rss.xml"
    assert WIND_FARM_URI in feed.read_text(encoding="utf-8")
