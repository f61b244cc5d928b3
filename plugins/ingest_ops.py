"""Airflow plugin: the ingest ops view in the API server and the UI nav, and task extra links.

Wiring only; the app, its queries and the links live in ``ingest.ops``.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from ingest.ops import URL_PREFIX, LazyApp, create_app
from ingest.ops.links import PartnerFeedsLink, PublishedArticlesLink, QuarantineLink


class IngestOpsPlugin(AirflowPlugin):
    name = "ingest_ops"
    fastapi_apps = [  # noqa: RUF012 (AirflowPlugin declares these as class attributes)
        {"app": LazyApp(create_app), "url_prefix": URL_PREFIX, "name": "Ingest ops"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Ingest ops",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "url_route": "ingest-ops",
        }
    ]
    global_operator_extra_links = [  # noqa: RUF012
        PartnerFeedsLink(), PublishedArticlesLink(), QuarantineLink()
    ]
