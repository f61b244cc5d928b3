"""Extra links on task instances of the ingest DAGs, into the matching part of the ops view.

Global links are asked of every task in every DAG; a task outside the DAGs a link is about
gets an empty link, which the UI shows disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from airflow.sdk import BaseOperatorLink

from ingest.ops.app import URL_PREFIX

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

INGEST_DAGS = ("afp_ingest", "web_ingest", "archive_backfill")
PUBLISH_DAGS = ("partner_feeds",)


class OpsViewLink(BaseOperatorLink):
    """A link to one section of the ops view, for tasks of the DAGs that feed that section."""

    name: ClassVar[str]
    section: ClassVar[str]
    dags: ClassVar[tuple[str, ...]]

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return f"{URL_PREFIX}/#{self.section}" if ti_key.dag_id in self.dags else ""


class PartnerFeedsLink(OpsViewLink):
    name = "Partner feeds"
    section = "partners"
    dags = PUBLISH_DAGS


class PublishedArticlesLink(OpsViewLink):
    name = "Published articles"
    section = "published"
    dags = PUBLISH_DAGS


class QuarantineLink(OpsViewLink):
    name = "Quarantine"
    section = "quarantine"
    dags = INGEST_DAGS
