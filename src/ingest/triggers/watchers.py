"""The Asset the event triggers update, and the run-time rules of a run they start.

Imported by ``dags/afp_ingest.py`` at parse time: it builds triggers from constants only,
and each trigger decides when it starts, in the triggerer, whether its path is configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airflow.sdk import Asset, AssetWatcher

from ingest.model import utc
from ingest.triggers.afp import AFPPollTrigger
from ingest.triggers.drop import DropFolderTrigger
from ingest.triggers.notify import RedisDropTrigger, SQSDropTrigger

ASSET_TRIGGERED = "asset_triggered"  # DagRunType.ASSET_TRIGGERED's value


def wire_events() -> Asset:
    """Something new at a wire source: the drop folder (polled, or its bucket's Redis or
    SQS notifications, as ``INGEST_DROP_NOTIFY`` says) or the AFP API (polled)."""
    return Asset(
        name="wire_events", uri="ingest://events/wire", group="ingest",
        watchers=[
            AssetWatcher(name="ingest_drop_poll", trigger=DropFolderTrigger()),
            AssetWatcher(name="ingest_drop_redis", trigger=RedisDropTrigger()),
            AssetWatcher(name="ingest_drop_sqs", trigger=SQSDropTrigger()),
            AssetWatcher(name="ingest_afp_api_poll", trigger=AFPPollTrigger()),
        ],
    )


def listing_time(context: Mapping[str, Any]) -> datetime:
    """The instant a run lists the drop folder at: its own (``run_time``), except for a run
    events started, which lists as of the newest of its events.

    Airflow folds the events that arrive while such a run waits into it and dates it by the
    first: listing as of that date would call the files of the later events unsettled, and
    leave them to the schedule. The events' own times keep a rerun's listing the same.
    """
    from ingest.airflow_support import run_time  # the registry's imports stay out of parsing

    if context["dag_run"].run_type == ASSET_TRIGGERED:
        stamps = [event.timestamp for events in context["triggering_asset_events"].values()
                  for event in events]
        if stamps:
            return utc(max(stamps))
    return run_time(context)
