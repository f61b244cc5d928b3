"""docker-compose.yml started for real from local images, driven as an operator would.

The images come from scripts/compose_images.sh (a debootstrap Debian base, nothing from a
registry); deploy/compose/docker-compose.local.yml swaps them in, with moto as the S3.
The stack runs under a project name of its own on free host ports, so it never meets a
developer's stack, and ``down -v`` removes its containers, network and volumes.

    python deploy/compose/stack.py      build, start, run afp_ingest and partner_feeds, stop
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))
from cluster import DAG_IDS, FINISHED, AirflowREST, ClusterError, wait_for  # noqa: E402

PROJECT = "ingest-compose-test"
FILES = ("docker-compose.yml", "deploy/compose/docker-compose.local.yml")
# The long-running services the stack is started with (their dependencies come along).
SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "airflow-worker")
HEALTHY = {*SERVICES, "postgres", "redis", "minio"}
WORKERS = 2
PASSWORDS = "/opt/airflow/simple_auth_manager_passwords.json.generated"
REGISTRY_URL = "postgresql+psycopg://ingest:ingest@postgres:5432/ingest"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build_images() -> dict[str, str]:
    """The image tags, built only where their inputs changed (the script's KEY=VALUE lines)."""
    done = subprocess.run([str(REPO / "scripts" / "compose_images.sh")], cwd=REPO, check=True,
                          capture_output=True, text=True)
    sys.stderr.write(done.stderr)
    return dict(line.split("=", 1) for line in done.stdout.split())


@dataclass
class Container:
    name: str
    service: str
    hostname: str
    health: str
    exit_code: str


@dataclass
class ComposeStack(AirflowREST):
    images: dict[str, str]
    ports: dict[str, int] = field(default_factory=lambda: {
        name: free_port() for name in ("AIRFLOW_HOST_PORT", "MINIO_HOST_PORT",
                                       "MINIO_CONSOLE_HOST_PORT", "INGEST_API_HOST_PORT")})

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['AIRFLOW_HOST_PORT']}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['MINIO_HOST_PORT']}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INGEST_"))}
        env.update(self.images)
        env.update({k: str(v) for k, v in self.ports.items()})
        env["AIRFLOW_BASE_URL"] = self.api
        return env

    def compose(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        files = [arg for name in FILES for arg in ("-f", str(REPO / name))]
        command = ["docker-compose", "--project-directory", str(REPO), "-p", PROJECT, *files]
        done = subprocess.run([*command, *argv], env=self.env(), cwd=REPO, text=True,
                              capture_output=True, check=False)
        if check and done.returncode:
            raise ClusterError(f"docker-compose {' '.join(argv)}: {done.stderr[-3000:]}")
        return done

    # -- life cycle -------------------------------------------------------------------

    def start(self, timeout: float = 900) -> None:
        """``up`` (waits for the init containers), then every service healthy, DAGs parsed."""
        self.down()  # what a crashed earlier run may have left
        self.compose("up", "-d", "--no-build", "--scale", f"airflow-worker={WORKERS}",
                     *SERVICES)
        wait_for("every service healthy", self._all_healthy, timeout, every=5)
        wait_for("the DAGs to be parsed", lambda: all(
            self.get(f"/api/v2/dags/{dag_id}").ok for dag_id in DAG_IDS), timeout)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "20")

    @contextmanager
    def running(self) -> Iterator[ComposeStack]:
        try:
            self.start()
            yield self
        except BaseException:
            print(self.compose("logs", "--no-color", "--tail", "30", check=False).stdout)
            raise
        finally:
            self.down()

    def containers(self) -> list[Container]:
        ids = self.compose("ps", "-q").stdout.split()
        if not ids:
            return []
        fmt = ('{{.Name}}|{{index .Config.Labels "com.docker.compose.service"}}|'
               '{{.Config.Hostname}}|{{if .State.Health}}{{.State.Health.Status}}'
               '{{else}}{{.State.Status}}{{end}}|{{.State.ExitCode}}')
        out = subprocess.run(["docker", "inspect", "--format", fmt, *ids], check=True,
                             capture_output=True, text=True).stdout
        return [Container(*line.lstrip("/").split("|")) for line in out.splitlines()]

    def _all_healthy(self) -> bool:
        running = self.containers()
        for c in running:  # the init containers exit, and must exit 0
            if c.health in ("unhealthy", "dead") or (
                    c.health == "exited" and (c.service in HEALTHY or c.exit_code != "0")):
                raise ClusterError(f"{c.name} is {c.health} (exit code {c.exit_code})")
        healthy = [c.service for c in running if c.health == "healthy"]
        return set(healthy) >= HEALTHY and healthy.count("airflow-worker") == WORKERS

    def workers(self) -> dict[str, str]:
        """Worker hostname (what task instances record) -> container name."""
        return {c.hostname: c.name for c in self.containers() if c.service == "airflow-worker"}

    def kill(self, container: str) -> None:
        subprocess.run(["docker", "kill", container], check=True, capture_output=True)

    def exec(self, container: str, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "exec", container, *argv], capture_output=True,
                              text=True, check=False)

    def reconcile(self, container: str) -> subprocess.CompletedProcess[str]:
        """``ingest reconcile`` inside a worker: its registry, its bucket."""
        return self.exec(container, "env", f"INGEST_REGISTRY_URL={REGISTRY_URL}",
                         "ingest", "reconcile")

    # -- the REST API -----------------------------------------------------------------

    def admin_password(self) -> str:
        apiserver = next(c.name for c in self.containers() if c.service == "airflow-apiserver")
        return str(json.loads(self.exec(apiserver, "cat", PASSWORDS).stdout)["admin"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        body = self.get(f"/api/v2/dags/{dag_id}/dagRuns", limit=100, order_by="id").json()
        runs: list[dict[str, Any]] = body["dag_runs"]
        return runs

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        body = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                        limit=100).json()
        tis: list[dict[str, Any]] = body["task_instances"]
        return tis

    def tries(self, ti: dict[str, Any]) -> list[dict[str, Any]]:
        path = (f"/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/"
                f"{ti['task_id']}/{ti['map_index']}/tries")
        tries: list[dict[str, Any]] = self.get(path).json()["task_instances"]
        return tries

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        def state() -> str | None:
            [run] = [r for r in self.runs(dag_id) if r["dag_run_id"] == run_id]
            state = str(run["state"])
            return state if state in FINISHED else None

        return wait_for(f"{dag_id} run {run_id}", state, timeout, every=3)

    def wait_for_quiet(self, timeout: float) -> list[dict[str, Any]]:
        """Every run of both DAGs, once none is queued or running and a partner_feeds run
        was queued after the last afp_ingest started: each afp_ingest run's last task
        sends an ``articles`` event, and the scheduler queues the partner_feeds run it
        starts a moment later (sometimes before the afp_ingest run is marked ended)."""
        def quiet() -> list[dict[str, Any]] | None:
            runs = [r for dag_id in DAG_IDS for r in self.runs(dag_id)]
            if not all(r["state"] in FINISHED for r in runs):
                return None
            ingest_starts = [_instant(r["start_date"]) for r in runs
                             if r["dag_id"] == "afp_ingest" and r["start_date"]]
            feeds_queued = [_instant(r["queued_at"]) for r in runs
                            if r["dag_id"] == "partner_feeds" and r["queued_at"]]
            if ingest_starts and not (feeds_queued and max(feeds_queued) > max(ingest_starts)):
                return None
            return runs

        runs: list[dict[str, Any]] = wait_for("every run to finish", quiet, timeout, every=3)
        return runs


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> int:
    """Start, run afp_ingest once on an empty drop, show where its tasks ran, stop."""
    stack = ComposeStack(build_images())
    started = time.monotonic()
    with stack.running():
        print(f"stack healthy after {time.monotonic() - started:.0f}s")
        run_id = stack.trigger("afp_ingest")
        stack.unpause("afp_ingest")
        print(run_id, stack.wait_for_run("afp_ingest", run_id, 600))
        hosts = stack.workers()
        for ti in stack.task_instances("afp_ingest", run_id):
            print(ti["task_id"], ti["map_index"], ti["state"], hosts.get(ti["hostname"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
