"""Airflow Assets shared by the DAGs: the hand-off between ingesting and publishing."""

from __future__ import annotations

from airflow.sdk import Asset

ARTICLES = Asset("ingest://registry/articles", group="ingest")
