"""The stack ``bench/latency.py`` measures: Airflow on one machine as ops start it, a partner.

Airflow: scheduler, triggerer, dag-processor and API server as separate processes on the
LocalExecutor, its metadata in a fresh PostgreSQL database; the ingest registry, object
store and drop folder on their embedded defaults under a temp ``INGEST_HOME``. It is
``deploy/cluster.py``'s ``LocalCluster`` (same REST calls, databases, logs, process
groups) with the Celery parts taken out and a triggerer added. The partner is a local HTTP
server that checks each push's signature as a partner would (``verify_signature``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from cluster import LocalCluster, Process, free_port, wait_for
from ingest.publish.push import SIGNATURE_HEADER, verify_signature

PARTNER_ID = "latency-wire"
SECRET_ENV = "INGEST_PUSH_SECRET_LATENCY"  # noqa: S105  # the variable's name, no secret
DAGS = ("afp_ingest", "partner_feeds")
_CELERY_ONLY = ("AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE")
_NOT_EMBEDDED = ("AIRFLOW_CONN_INGEST_REGISTRY", "INGEST_STORE_URL", "INGEST_DROP_URL")


class PushReceiver:
    """A partner's push endpoint: the first time each story uri arrived with a good
    signature; a bad one is refused (401) and counted."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.first: dict[str, float] = {}
        self.received = 0
        self.bad_signatures = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/push"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def _record(self, body: bytes, signature: str) -> bool:
        at = time.time()
        if not verify_signature(self.secret, signature, body, now=at):
            with self._lock:
                self.bad_signatures += 1
            return False
        uri = str(json.loads(body).get("uri", ""))
        with self._lock:
            self.received += 1
            self.first.setdefault(uri, at)
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = receiver._record(body, self.headers.get(SIGNATURE_HEADER, ""))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the pushes are counted, not logged."""

        return Handler


def partners_yaml(push_url: str) -> str:
    """One partner taking every AFP item, as a ninjs feed and by push to ``push_url``."""
    return (
        "base_url: https://feeds.example.com/\n"
        "partners:\n"
        f"  - id: {PARTNER_ID}\n"
        "    name: Latency bench partner\n"
        "    formats: [ninjs]\n"
        "    max_items: 1000\n"  # the most a contract allows
        "    max_age: 2d\n"
        "    rights:\n"
        "      providers: [AFP]\n"
        "    delivery:\n"
        "      push:\n"
        f"        url: {push_url}\n"
        f"        secret_env: {SECRET_ENV}\n"
    )


def interrupt(proc: Process, grace: float) -> None:
    """SIGINT to the process group (how an Airflow component is asked to stop), then
    ``Process.stop``'s SIGTERM and SIGKILL for whatever is still there after ``grace``."""
    try:
        os.killpg(proc.popen.pid, signal.SIGINT)
        proc.popen.wait(grace)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    proc.stop(grace / 2)
    # The leader gone, its group may still hold children (LocalExecutor workers).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.popen.pid, signal.SIGKILL)


@dataclass
class LatencyStack(LocalCluster):
    """``LocalCluster`` on the LocalExecutor with a triggerer, ingest on embedded defaults."""

    push_secret: str = ""
    settle_seconds: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    log_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))

    @property
    def airflow_db(self) -> str:
        return self._db_url(f"latency_airflow_{self.tag}")

    @property
    def partners_file(self) -> Path:
        return self.root / "partners.yaml"

    @property
    def ingest_home(self) -> Path:
        return self.root / "ingest"

    @property
    def store_dir(self) -> Path:
        return self.ingest_home / "objectstore"  # INGEST_STORE_URL's default

    @property
    def drop(self) -> Path:
        return self.ingest_home / "drop"  # INGEST_DROP_URL's default

    def env(self) -> dict[str, str]:
        env = super().env()
        for key in (*_CELERY_ONLY, *_NOT_EMBEDDED):
            env.pop(key, None)
        env.update({
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "INGEST_DROP_SETTLE_SECONDS": f"{self.settle_seconds:g}",
            "INGEST_PARTNERS_FILE": str(self.partners_file),
            SECRET_ENV: self.push_secret,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_ports[0]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.log_ports[1]),
            **self.extra_env,
        })
        return env

    def start(self, timeout: float = 300) -> None:
        """Database, migrations, the four components; returns once the DAGs are parsed."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.drop.mkdir(parents=True, exist_ok=True)
        (self.root / "passwords.json").write_text(json.dumps({"admin": "admin"}))
        self._create_database(f"latency_airflow_{self.tag}")
        self._run("db-migrate", "airflow", "db", "migrate")
        self._run("pool", "airflow", "pools", "set", "afp_api", "4", "AFP API Core")
        self._run("registry", "ingest", "db", "upgrade")
        for component in ("api-server", "scheduler", "triggerer", "dag-processor"):
            argv = ("airflow", component, *(("--workers", "1") if component == "api-server"
                                           else ()))
            self._spawn(component, *argv)
        wait_for("the API server", lambda: requests.get(
            f"{self.api}/api/v2/monitor/health", timeout=5).ok, timeout)
        wait_for("the DAGs to be parsed", lambda: self._alive() and all(
            self.get(f"/api/v2/dags/{dag_id}").ok for dag_id in DAGS), timeout)
        for dag_id in DAGS:
            self.unpause(dag_id)

    def _alive(self) -> bool:
        for proc in self.processes:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited:\n{self.tail(proc.name)}")
        return True

    def stop(self, grace: float = 30) -> None:
        """Every component by SIGINT to its group (newest first), then the database."""
        for proc in reversed(self.processes):
            interrupt(proc, grace)
        self.processes.clear()
        super().stop(grace)

    def idle(self) -> bool:
        """No run of the two DAGs queued or running."""
        rows = self.query("SELECT count(*) AS n FROM dag_run WHERE state IN "
                          "('queued', 'running') AND dag_id IN ('afp_ingest', 'partner_feeds')")
        return int(rows[0]["n"]) == 0

    def run_durations(self, since: float) -> dict[str, list[float]]:
        """Seconds each finished run of the two DAGs took, for runs started after ``since``."""
        rows = self.query(
            "SELECT dag_id, extract(epoch FROM start_date) AS s, "
            "extract(epoch FROM end_date) AS e FROM dag_run WHERE end_date IS NOT NULL "
            "AND state = 'success' AND extract(epoch FROM start_date) >= :since",
            since=since)
        out: dict[str, list[float]] = {dag_id: [] for dag_id in DAGS}
        for row in rows:
            out.setdefault(row["dag_id"], []).append(float(row["e"]) - float(row["s"]))
        return out
