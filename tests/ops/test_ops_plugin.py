"""The plugin loads in Airflow's plugins manager and wires the app, the nav view and links."""

from __future__ import annotations

import pytest
from ops_support import REPO, STARLETTE_HTTPX

from ingest.ops import URL_PREFIX, LazyApp

pytestmark = pytest.mark.filterwarnings(STARLETTE_HTTPX)


def test_plugin_loads_without_errors() -> None:
    from airflow import plugins_manager

    plugins, errors = plugins_manager._load_plugins_from_plugin_directory(
        plugins_folder=str(REPO / "plugins")
    )
    assert errors == {}
    (plugin,) = [p for p in plugins if p.name == "ingest_ops"]
    (app,) = plugin.fastapi_apps
    assert app["url_prefix"] == URL_PREFIX and isinstance(app["app"], LazyApp)
    (view,) = plugin.external_views
    assert (view["href"], view["destination"]) == (f"{URL_PREFIX}/", "nav")
    names = {link.name for link in plugin.global_operator_extra_links}
    assert names == {"Partner feeds", "Published articles", "Quarantine"}


def test_extra_links_point_into_the_ops_view() -> None:
    from airflow.models.taskinstancekey import TaskInstanceKey

    from ingest.ops.links import PartnerFeedsLink, PublishedArticlesLink, QuarantineLink

    def link(cls: type, dag_id: str) -> str:
        key = TaskInstanceKey(dag_id=dag_id, task_id="t", run_id="manual__1")
        return str(cls().get_link(None, ti_key=key))

    assert link(PartnerFeedsLink, "partner_feeds") == f"{URL_PREFIX}/#partners"
    assert link(PublishedArticlesLink, "partner_feeds") == f"{URL_PREFIX}/#published"
    assert link(QuarantineLink, "afp_ingest") == f"{URL_PREFIX}/#quarantine"
    assert link(PartnerFeedsLink, "afp_ingest") == ""
