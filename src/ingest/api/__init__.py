"""The partner pull API (``ingest serve``): keys, a cursor over the release log, items."""

from ingest.api.app import create_app

__all__ = ["create_app"]
