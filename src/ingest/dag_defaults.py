"""What every ingest DAG shares: the Asset between ingesting and publishing, task defaults.

Light on purpose (Airflow's SDK and the notifier only): DAG files import it at parse time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset

from ingest.alerts import IngestAlertNotifier

ARTICLES = Asset("ingest://registry/articles", group="ingest")


def task_defaults(*, retries: int, retry_delay: timedelta) -> dict[str, Any]:
    """Owner, retries with exponential backoff, and alerts on failure and on retry."""
    return {
        "owner": "ingest",
        "retries": retries,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
        "on_failure_callback": IngestAlertNotifier("failed"),
        "on_retry_callback": IngestAlertNotifier("up for retry"),
    }
