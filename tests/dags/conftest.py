"""An Airflow home of the tests' own (SQLite in a temp dir), set before Airflow is imported."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_HOME = Path(tempfile.mkdtemp(prefix="ingest-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"


@pytest.fixture(scope="session")
def dagbag() -> object:
    """Every DAG in ``dags/``, parsed the way the DAG processor does (no database needed)."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """Airflow's metadata database, created once per session, with the ``afp_api`` pool."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool(
        "afp_api", slots=4, description="AFP API Core", include_deferred=False
    )
    yield
    shutil.rmtree(_HOME, ignore_errors=True)
