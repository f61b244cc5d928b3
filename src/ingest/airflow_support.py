"""The little that DAG tasks need from Airflow at run time, kept out of the DAG files.

Imported only inside task bodies, so DAG parsing never touches a connection or the
database. Connections win over the environment where both are set: ops configure
production in the Airflow UI, engineers use ``INGEST_*`` variables on a laptop.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ingest.config import Settings
from ingest.model import utc
from ingest.runtime import Runtime

if TYPE_CHECKING:
    from ingest.sources.afp_api import AFPAPIConfig

REGISTRY_CONN_ID = "ingest_registry"
AFP_CONN_ID = "afp_default"


def run_time(context: Any) -> datetime:
    """The instant a run stands for: its data interval's end, or when it was due to run.

    Tasks never call ``now()``: rerunning a past run must see the same instant.
    """
    end: datetime | None = context.get("data_interval_end")
    return utc(end if end is not None else context["dag_run"].run_after)


def data_window(context: Any, default: timedelta) -> tuple[datetime, datetime]:
    """The run's data interval as plain UTC; a manual run's empty one becomes ``default`` long.

    Scheduled and backfilled runs pull exactly their interval, so windows tile; a run
    triggered by hand (start == end) pulls the ``default`` span before its instant.
    """
    end = run_time(context)
    start_value: datetime | None = context.get("data_interval_start")
    start = utc(start_value) if start_value is not None else end
    return (start, end) if start < end else (end - default, end)


def runtime() -> Runtime:
    """Settings from the environment, with the registry URL from ``ingest_registry`` if set."""
    env = dict(os.environ)
    url = _connection_uri(REGISTRY_CONN_ID)
    if url:
        env["INGEST_REGISTRY_URL"] = url
    return Runtime(Settings.from_env(env))


def afp_api_config() -> AFPAPIConfig | None:
    """AFP API Core settings from ``afp_default`` or ``INGEST_AFP_*``; None when neither is set."""
    from ingest.sources.afp_api import AFPAPIConfig

    conn = _connection(AFP_CONN_ID)
    if conn is not None:
        return AFPAPIConfig.from_connection(conn)
    if os.environ.get("INGEST_AFP_BASE_URL"):
        return AFPAPIConfig.from_env()
    return None


def _connection_uri(conn_id: str) -> str | None:
    conn = _connection(conn_id)
    if conn is None:
        return None
    if conn.conn_type == "sqlite":  # get_uri() would percent-encode the file path
        return f"sqlite:///{conn.host or conn.schema}"
    uri: str = conn.get_uri()
    return uri.replace("postgres://", "postgresql+psycopg://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


def _connection(conn_id: str) -> Any:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
