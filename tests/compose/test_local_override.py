"""deploy/compose/docker-compose.local.yml as Compose merges it over docker-compose.yml:
every image local (no registry), moto as the S3, the production file's images untouched.

Offline (``docker-compose config``), so it runs in ``make test``; skipped, saying why,
without Debian's docker-compose (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
IMAGES = {"INGEST_POSTGRES_IMAGE": "ingest-postgres:t1", "INGEST_REDIS_IMAGE": "ingest-redis:t2",
          "INGEST_S3_IMAGE": "ingest-s3:t3", "INGEST_AIRFLOW_IMAGE": "ingest-airflow:t4"}


def _config(*files: str) -> dict[str, Any]:
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (.ci/run installs Debian's)")
    argv = ["docker-compose", "--project-directory", str(REPO)]
    for name in files:
        argv += ["-f", str(REPO / name)]
    env = {"PATH": "/usr/bin:/bin", "COMPOSE_PROJECT_NAME": "ingest", **IMAGES}
    done = subprocess.run([*argv, "config"], capture_output=True, text=True, env=env,
                          check=True)
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def test_every_service_runs_a_local_image() -> None:
    services = _config("docker-compose.yml", "deploy/compose/docker-compose.local.yml")["services"]
    images = {name: s["image"] for name, s in services.items()}
    assert images["postgres"] == "ingest-postgres:t1"
    assert images["redis"] == "ingest-redis:t2"
    assert images["minio"] == images["minio-init"] == "ingest-s3:t3"
    airflow = {name for name in services if name.startswith("airflow-")} | {"ingest-api"}
    assert {images[name] for name in airflow} == {"ingest-airflow:t4"}
    assert services["minio"]["command"][0] == "moto_server"
    assert services["minio-init"]["entrypoint"] == ["s3-buckets", "ingest", "ingest-drop"]
    # The health checks and dependencies stay docker-compose.yml's, the S3 one aside.
    assert services["airflow-worker"]["healthcheck"]["test"][0] == "CMD-SHELL"
    assert "curl" in services["minio"]["healthcheck"]["test"]
    assert services["airflow-worker"]["environment"]["INGEST_DROP_SETTLE_SECONDS"] == "0"


def test_the_production_file_keeps_the_upstream_images() -> None:
    services = _config("docker-compose.yml")["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["minio"]["image"] == "minio/minio:latest"
    assert services["minio-init"]["image"] == "minio/mc:latest"
