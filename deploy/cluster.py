"""The scale-out deployment on one machine: Airflow on CeleryExecutor as separate processes.

What docker-compose.yml runs across machines (API server, scheduler, DAG processor, Celery
workers on Redis, PostgreSQL for Airflow and for the registry), started here as plain
processes against the local PostgreSQL and Redis, so the scale-out path can be proved
without a container engine. Each worker reports its own hostname (``worker_hostname``),
as it would on its own machine, so ``task_instance.hostname`` shows where tasks ran.

Fresh databases are created for Airflow's metadata and for the registry, and dropped on
stop; the object store is a temp dir; the drop folder is the repo's ``samples/``. The
Celery queue has a name of its own so that other users of the same Redis never take
(or give) this cluster's tasks.

    python deploy/cluster.py        start, run afp_ingest then partner_feeds, report, stop
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
from sqlalchemy import create_engine, make_url, text

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
HOSTNAME_ENV = "INGEST_CLUSTER_HOSTNAME"
DAG_IDS = ("afp_ingest", "partner_feeds")
FINISHED = {"success", "failed"}
T = TypeVar("T")


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the workers: the name this worker was started with."""
    return os.environ.get(HOSTNAME_ENV) or socket.getfqdn()


class ClusterError(RuntimeError):
    """The cluster did not start or the run did not finish; the message says which."""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 2) -> T:
    """Poll ``probe`` until it returns something other than None (or falsy), or give up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except (requests.RequestException, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class AirflowREST:
    """The REST calls both harnesses make, as ops would from the UI, as the admin user.

    A harness gives ``api`` (the API server's base URL) and ``admin_password()``."""

    _token = ""  # fetched on the first call

    @property
    def api(self) -> str:
        raise NotImplementedError

    def admin_password(self) -> str:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        if not self._token:
            response = requests.post(f"{self.api}/auth/token", timeout=10, json={
                "username": "admin", "password": self.admin_password()})
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return {"Authorization": f"Bearer {self._token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(f"{self.api}{path}", params=params, headers=self._headers(),
                            timeout=30)

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.request(method, f"{self.api}{path}", json=body, timeout=30,
                                    headers=self._headers())
        if not response.ok:
            raise ClusterError(f"{method} {path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """A manual run, as ops would start one from the UI (``conf``: its Params); its run id."""
        body: dict[str, Any] = {"logical_date": None}
        if conf:
            body["conf"] = conf
        run = self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)
        return str(run["dag_run_id"])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self, grace: float) -> None:
        """SIGTERM to the process group (workers fork task runners), SIGKILL after ``grace``.

        The group, not just the process: what a worker forked must not outlive the cluster.
        """
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                continue


@dataclass
class LocalCluster(AirflowREST):
    """One Airflow cluster: start it, drive it over the REST API, read its database, stop it."""

    postgres_url: str = DEFAULT_POSTGRES
    redis_url: str = DEFAULT_REDIS
    workers: int = 2
    drop_dir: Path = REPO / "samples"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ingest-cluster-")))
    tag: str = field(default_factory=lambda: secrets.token_hex(4))
    processes: list[Process] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    api_port: int = field(default_factory=free_port)
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def airflow_db(self) -> str:
        return self._db_url(f"ingest_cluster_airflow_{self.tag}")

    @property
    def registry_db(self) -> str:
        return self._db_url(f"ingest_cluster_registry_{self.tag}")

    @property
    def store_dir(self) -> Path:
        return self.root / "objectstore"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _db_url(self, name: str) -> str:
        return make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        """What every process of the cluster shares, as docker-compose.yml sets it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INGEST_"))}
        registry = make_url(self.registry_db).set(drivername="postgresql")
        env.update({
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.root / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple."
                                           "simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.root / "passwords.json"),
            "AIRFLOW__API__BASE_URL": self.api,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.airflow_db,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": make_url(self.airflow_db).set(
                drivername="postgresql+psycopg_async").render_as_string(hide_password=False),
            "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.airflow_db}",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"ingest-cluster-{self.tag}",
            "AIRFLOW_CONN_INGEST_REGISTRY": registry.render_as_string(hide_password=False),
            "INGEST_HOME": str(self.root / "ingest"),
            "INGEST_PROJECT_DIR": str(REPO),
            "INGEST_STORE_URL": self.store_dir.as_uri(),
            "INGEST_DROP_URL": self.drop_dir.as_uri(),
            "INGEST_DROP_SETTLE_SECONDS": "0",
        })
        return env

    # -- life cycle -------------------------------------------------------------------

    def start(self, timeout: float = 300) -> None:
        """Databases, migrations, then the five processes; returns once all are serving."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "passwords.json").write_text(json.dumps({"admin": "admin"}))
        for url in (self.airflow_db, self.registry_db):
            self._create_database(make_url(url).database or "")
        self._run("db-migrate", "airflow", "db", "migrate")
        self._run("pool", "airflow", "pools", "set", "afp_api", "4", "AFP API Core")
        self._run("registry", "ingest", "db", "upgrade",
                  extra={"INGEST_REGISTRY_URL": self.registry_db})
        self._spawn("api-server", "airflow", "api-server", "--workers", "1")
        self._spawn("scheduler", "airflow", "scheduler")
        self._spawn("dag-processor", "airflow", "dag-processor")
        queue = self.env()["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
        for n in range(1, self.workers + 1):
            name = f"worker-{n}"
            self._spawn(
                name, "airflow", "celery", "worker", "--celery-hostname", f"{name}@%h",
                "--queues", queue, "--concurrency", "1",
                extra={
                    HOSTNAME_ENV: name,
                    "PYTHONPATH": str(REPO / "deploy"),
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "cluster.worker_hostname",
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                },
            )
        wait_for("the API server", lambda: requests.get(
            f"{self.api}/api/v2/monitor/health", timeout=5).ok, timeout)
        for proc in self.processes:
            if proc.name.startswith("worker-"):
                wait_for(f"{proc.name} to be ready", partial(self._ready, proc), timeout)
        wait_for("the DAGs to be parsed", lambda: all(
            self.get(f"/api/v2/dags/{dag_id}").ok for dag_id in DAG_IDS), timeout)

    def stop(self, grace: float = 30) -> None:
        """Stop every process (newest first) and drop the databases, whatever state they are in."""
        for proc in reversed(self.processes):
            proc.stop(grace)
        self.processes.clear()
        for name in self.databases:
            self._drop_database(name)
        self.databases.clear()

    @contextmanager
    def running(self, timeout: float = 300) -> Iterator[LocalCluster]:
        try:
            self.start(timeout)
            yield self
        finally:
            self.stop()

    def _ready(self, proc: Process) -> bool:
        if proc.popen.poll() is not None:
            raise ClusterError(f"{proc.name} exited:\n{self.tail(proc.name)}")
        return " ready." in proc.log.read_text(errors="replace")

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.root / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _run(self, name: str, *argv: str, extra: dict[str, str] | None = None) -> None:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            done = subprocess.run(argv, env={**self.env(), **(extra or {})}, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=self.root, check=False)
        if done.returncode:
            raise ClusterError(f"{' '.join(argv)} failed:\n{self.tail(name)}")

    def _spawn(self, name: str, *argv: str, extra: dict[str, str] | None = None) -> None:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            popen = subprocess.Popen(argv, env={**self.env(), **(extra or {})}, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=self.root,
                                     start_new_session=True)
        self.processes.append(Process(name, popen, log))

    def _admin(self) -> Any:
        return create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")

    def _create_database(self, name: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.databases.append(name)
        finally:
            engine.dispose()

    def _drop_database(self, name: str) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()

    # -- driving it -------------------------------------------------------------------

    def admin_password(self) -> str:
        return "admin"

    def query(self, sql: str, *, db: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Rows of ``sql`` on Airflow's database, or on ``db`` (e.g. ``registry_db``)."""
        engine = create_engine(db or self.airflow_db)
        try:
            with engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def runs(self) -> list[dict[str, Any]]:
        return self.query("SELECT dag_id, run_id, run_type, state, start_date, end_date "
                          "FROM dag_run ORDER BY id")

    def task_instances(self) -> list[dict[str, Any]]:
        return self.query("SELECT dag_id, task_id, map_index, state, hostname, try_number "
                          "FROM task_instance ORDER BY start_date")

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        def state() -> str | None:
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r",
                              d=dag_id, r=run_id)
            return rows[0]["state"] if rows and rows[0]["state"] in FINISHED else None

        return wait_for(f"{dag_id} run {run_id}", state, timeout)

    def wait_for_feeds_after(self, afp_run_id: str, timeout: float) -> list[dict[str, Any]]:
        """partner_feeds runs started by the Asset event of ``afp_run_id``, once all finished."""
        def done() -> list[dict[str, Any]] | None:
            [afp] = [r for r in self.runs() if r["run_id"] == afp_run_id]
            runs = self.runs()
            if any(r["state"] not in FINISHED for r in runs):
                return None
            feeds = [r for r in runs if r["dag_id"] == "partner_feeds"
                     and r["run_type"] == "asset_triggered"
                     and r["start_date"] >= afp["start_date"]]
            return feeds or None

        return wait_for("partner_feeds to run on the articles Asset", done, timeout)

    def prove(self, timeout: float = 600) -> dict[str, Any]:
        """Trigger afp_ingest, let partner_feeds follow, and gather what happened."""
        self.unpause("partner_feeds")
        run_id = self.trigger("afp_ingest")
        self.unpause("afp_ingest")
        afp_state = self.wait_for_run("afp_ingest", run_id, timeout)
        feeds = self.wait_for_feeds_after(run_id, timeout) if afp_state == "success" else []
        return {
            "afp_run": run_id, "afp_state": afp_state,
            "feeds_states": [r["state"] for r in feeds],
            "runs": [(r["dag_id"], r["run_type"], r["state"]) for r in self.runs()],
            "hosts": sorted({t["hostname"] for t in self.task_instances() if t["hostname"]}),
            "task_instances": self.task_instances(),
            "objects": sorted(p.relative_to(self.store_dir).as_posix()
                              for p in self.store_dir.rglob("*") if p.is_file()),
        }


def main() -> int:
    """Run the proof once and print what happened: the manual counterpart of the test."""
    cluster = LocalCluster(
        postgres_url=os.environ.get("INGEST_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        redis_url=os.environ.get("INGEST_TEST_REDIS_URL", DEFAULT_REDIS),
    )
    try:
        with cluster.running():
            result = cluster.prove()
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)
    for ti in result.pop("task_instances"):
        print(f"{ti['dag_id']:14} {ti['task_id']:24} {ti['map_index']:>3} "
              f"{ti['state']:8} {ti['hostname']}")
    result["objects"] = len(result["objects"])
    print(json.dumps(result, indent=2, default=str))
    return 0 if result["afp_state"] == "success" and result["feeds_states"] else 1


if __name__ == "__main__":
    sys.exit(main())
