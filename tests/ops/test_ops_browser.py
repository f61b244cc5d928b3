"""The ops page in a real Airflow: ``airflow standalone``, headless Chromium, a real login.

Starts Airflow on 127.0.0.1 with a free port, in a temp home, with the repo's plugins and
DAGs and an ingest home filled with the demo data, logs in through the UI, opens the ops
view from the Plugins nav route, checks the chart and the quarantine against the demo's
numbers, and saves a screenshot; ``INGEST_SCREENSHOT=docs/ops-view.png`` refreshes the docs' copy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from ops_support import BROKEN, KILL, REPO, fill, settings_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# The docs' copy is refreshed only on request, so a test run leaves the checkout clean.
SCREENSHOT = Path(os.environ.get("INGEST_SCREENSHOT", "/tmp/ingest-ops-view.png"))
STARTUP_SECONDS = 420  # standalone migrates its database and starts five components

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(STARTUP_SECONDS + 180),
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="the playwright package is not installed"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def airflow(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, int]]]:
    """A running ``airflow standalone``; yields its URL, the admin password and demo counts."""
    now = datetime.now(UTC)
    _, reports = fill(tmp_path / "ingest", now - timedelta(hours=3), now - timedelta(hours=1))
    counts = {
        "ingested": sum(r.results.get(k, 0) for r in reports for k in ("new", "same_content")),
        "quarantined": sum(sum(r.quarantined.values()) for r in reports),
    }
    home, port, password = tmp_path / "airflow", free_port(), secrets.token_urlsafe(12)
    home.mkdir()
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": password}))
    env = {
        **os.environ,
        **settings_env(tmp_path / "ingest"),
        # standalone starts its components as ``airflow ...`` from PATH: this venv's
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
    }
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "standalone.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), "standalone"],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_until_up(proc, url, tmp_path / "standalone.log")
            yield url, password, counts
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does to the whole standalone
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"airflow standalone exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(2)
    pytest.fail(f"airflow standalone not up after {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


def test_ops_page_renders_demo_numbers(airflow: tuple[str, str, dict[str, int]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, password, counts = airflow
    # Anonymous: the plugin's routes are refused, the page included.
    assert httpx.get(f"{url}/ingest-ops/").status_code == 401
    assert httpx.get(f"{url}/ingest-ops/api/status").status_code == 401

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            page.goto(f"{url}/")
            page.locator("input[name=username]").fill("admin")
            page.locator("input[name=password]").fill(password)
            page.locator("button[type=submit]").click()
            page.wait_for_url(lambda u: "/auth/" not in u, timeout=60_000)

            page.goto(f"{url}/plugin/ingest-ops")
            frame = page.frame_locator("iframe")
            expect(frame.locator("body[data-loaded=true]")).to_be_attached(timeout=60_000)
            drop = frame.locator("article.card[data-source=drop]")
            expect(drop.locator(".totals")).to_have_text(
                f"{counts['ingested']} ingested, {counts['quarantined']} quarantined"
            )
            expect(drop).to_contain_text(KILL)  # the drop folder's latest done file
            expect(drop.locator("svg.chart rect.ingested")).to_have_count(2)  # two runs, two hours
            expect(drop.locator("svg.chart rect.quarantined")).to_have_count(1)
            rows = frame.locator("#quarantine-rows tr[data-reason=malformed_xml]")
            expect(rows).to_have_count(1)
            expect(rows).to_contain_text(BROKEN)

            rows.get_by_role("button", name="View raw").click()
            expect(frame.locator("#raw-text")).to_contain_text("<newsItem")
            page.wait_for_timeout(300)  # let the raw panel paint before the picture
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
