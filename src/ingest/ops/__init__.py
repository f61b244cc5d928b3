"""The ops view: sources, partner feeds and quarantine (with replay) inside Airflow's UI."""

from ingest.ops.app import URL_PREFIX, LazyApp, create_app
from ingest.ops.replay import NotReplayable, replay

__all__ = ["URL_PREFIX", "LazyApp", "NotReplayable", "create_app", "replay"]
