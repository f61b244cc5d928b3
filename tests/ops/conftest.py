"""The ops tests' Airflow (SQLite home, SimpleAuthManager users) and demo registry.

Airflow reads its settings when first imported, so they are set here, before that;
``setdefault`` shares the home ``tests/dags`` chose when both run in one session.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_support import FIRST, SECOND, fill

from ingest.runtime import Runtime

_HOME = Path(tempfile.mkdtemp(prefix="ingest-ops-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_HOME))
os.environ.setdefault(
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{Path(os.environ['AIRFLOW_HOME'])}/airflow.db"
)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(64))



@pytest.fixture(scope="session")
def auth_manager() -> Any:
    """Airflow's configured auth manager (SimpleAuthManager), initialised as the API server does,
    over a metadata database (it checks tokens against the revoked-token table)."""
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.utils import db

    db.initdb()
    return init_auth_manager()


@pytest.fixture(scope="session")
def tokens(auth_manager: Any) -> dict[str, str]:
    """A JWT per configured user, from the auth manager's own login endpoint."""
    from fastapi.testclient import TestClient

    passwords = auth_manager.get_passwords()
    with TestClient(auth_manager.get_fastapi_app()) as client:
        return {
            user: client.post("/token", json={"username": user, "password": password})
            .raise_for_status().json()["access_token"]
            for user, password in passwords.items()
        }


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Runtime]:
    rt, _ = fill(tmp_path / "ingest", FIRST, SECOND)
    yield rt
    rt.registry.close()
