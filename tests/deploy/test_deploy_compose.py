"""docker-compose.yml as Compose itself reads it: services, health checks, scalable workers.

Validated offline with ``docker-compose config`` (Debian's package, installed by .ci/run)
or ``docker compose config``; skipped, saying why, when neither is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker"}
LONG_RUNNING = AIRFLOW_SERVICES | {"postgres", "redis", "minio", "ingest-api"}


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The file after Compose resolved anchors, merges and ``${VAR:-default}`` values."""
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor `docker compose` is installed "
                    "(.ci/run installs Debian's docker-compose)")
    # An operator's .env or shell must not change what is checked: an empty env file, no
    # inherited variables, so the file's own defaults are what gets validated.
    no_env = tmp_path_factory.mktemp("compose") / "empty.env"
    no_env.write_text("")
    argv = [*command, "--project-directory", str(REPO), "--env-file", str(no_env),
            "-f", str(REPO / "docker-compose.yml")]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COMPOSE_PROJECT_NAME": "ingest"}
    quiet = subprocess.run([*argv, "config", "-q"], capture_output=True, text=True, env=env,
                           check=False)
    assert quiet.returncode == 0, quiet.stderr
    rendered = subprocess.run([*argv, "config"], capture_output=True, text=True, env=env,
                              check=True)
    config: dict[str, Any] = yaml.safe_load(rendered.stdout)
    return config


def test_every_part_of_the_deployment_is_there(compose: dict[str, Any]) -> None:
    assert LONG_RUNNING | {"minio-init", "airflow-init"} <= set(compose["services"])


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = compose["services"][name].get("healthcheck")
        assert check and check["test"], name


def test_airflow_runs_celery_on_redis_with_postgres_metadata(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["AIRFLOW_CONN_INGEST_REGISTRY"].endswith("@postgres:5432/ingest"), name
        for conn in ("AIRFLOW_CONN_AFP_DEFAULT", "AIRFLOW_CONN_INGEST_ALERTS"):
            assert conn in env, (name, conn)
        assert env["INGEST_STORE_URL"].startswith("s3://"), name
        assert compose["services"][name]["depends_on"], name


def test_workers_scale_out(compose: dict[str, Any]) -> None:
    """``--scale airflow-worker=N`` needs no fixed name and no host port on the worker."""
    worker = compose["services"]["airflow-worker"]
    command = worker["command"]
    assert (command if isinstance(command, str) else " ".join(command)) == "celery worker"
    assert "container_name" not in worker
    assert not worker.get("ports")
    ping = " ".join(worker["healthcheck"]["test"])
    assert "inspect ping" in ping and "HOSTNAME" in ping  # each replica checks itself


def test_airflow_starts_only_after_its_dependencies_are_ready(compose: dict[str, Any]) -> None:
    init = compose["services"]["airflow-init"]["depends_on"]
    assert init["postgres"]["condition"] == "service_healthy"
    assert init["redis"]["condition"] == "service_healthy"
    assert init["minio-init"]["condition"] == "service_completed_successfully"
    for name in AIRFLOW_SERVICES:
        after = compose["services"][name]["depends_on"]["airflow-init"]
        assert after["condition"] == "service_completed_successfully", name


def test_the_buckets_are_created_at_start_up(compose: dict[str, Any]) -> None:
    entrypoint = compose["services"]["minio-init"]["entrypoint"]
    script = entrypoint if isinstance(entrypoint, str) else " ".join(entrypoint)
    assert "mc mb --ignore-existing local/ingest local/ingest-drop" in script


def test_puts_into_the_drop_bucket_reach_the_triggerer_through_redis(
    compose: dict[str, Any],
) -> None:
    """MinIO's Redis target (docs/operations.md, "Event paths"), the bucket's event rule and
    the triggerer's watcher name one Redis list, in MinIO's list ("access") format."""
    minio = compose["services"]["minio"]["environment"]
    assert minio["MINIO_NOTIFY_REDIS_ENABLE_INGEST"] == "on"
    assert minio["MINIO_NOTIFY_REDIS_ADDRESS_INGEST"] == "redis:6379"
    assert minio["MINIO_NOTIFY_REDIS_FORMAT_INGEST"] == "access"
    assert minio["MINIO_NOTIFY_REDIS_QUEUE_DIR_INGEST"].startswith("/data/")
    assert compose["services"]["minio"]["depends_on"]["redis"]["condition"] == "service_healthy"
    entrypoint = compose["services"]["minio-init"]["entrypoint"]
    script = entrypoint if isinstance(entrypoint, str) else " ".join(entrypoint)
    assert "mc event add --ignore-existing local/ingest-drop arn:minio:sqs::ingest:redis" in script
    triggerer = compose["services"]["airflow-triggerer"]["environment"]
    assert triggerer["INGEST_DROP_NOTIFY"] == "redis://redis:6379/0"  # MinIO writes to db 0
    assert triggerer["INGEST_DROP_NOTIFY_KEY"] == minio["MINIO_NOTIFY_REDIS_KEY_INGEST"]
    assert triggerer["INGEST_DROP_URL"] == "s3://ingest-drop/"


def test_the_image_installs_the_project_from_the_lock_file() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM apache/airflow:3.3.2-python3.11" in dockerfile
    assert "uv export --frozen --no-dev" in dockerfile


def test_the_partner_api_is_a_service_of_its_own(compose: dict[str, Any]) -> None:
    """``ingest serve`` from the same image, on the migrated PostgreSQL registry and S3."""
    api = compose["services"]["ingest-api"]
    assert api["image"] == compose["services"]["airflow-scheduler"]["image"]
    command = api["command"] if isinstance(api["command"], str) else " ".join(api["command"])
    assert "ingest serve --host 0.0.0.0 --port 8000" in command
    assert api["environment"]["INGEST_REGISTRY_URL"].startswith("postgresql+psycopg://")
    assert api["environment"]["INGEST_REGISTRY_URL"].endswith("@postgres:5432/ingest")
    assert api["environment"]["INGEST_STORE_URL"].startswith("s3://")
    # docker-compose 1.x renders a port as "ip:published:target/tcp", Compose v2 as a mapping
    ports = [p.removesuffix("/tcp") if isinstance(p, str)
             else f"{p['host_ip']}:{p['published']}:{p['target']}" for p in api["ports"]]
    assert ports == ["127.0.0.1:8000:8000"]
    assert "http://localhost:8000/healthz" in " ".join(api["healthcheck"]["test"])
    after = api["depends_on"]
    assert after["postgres"]["condition"] == "service_healthy"
    assert after["airflow-init"]["condition"] == "service_completed_successfully"
