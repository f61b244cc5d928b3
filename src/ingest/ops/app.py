"""The ops view as a FastAPI app, mounted in Airflow's API server by ``plugins/ingest_ops.py``.

Every route, the page included, resolves the user the way Airflow's own API does (JWT bearer
token or the UI's ``_token`` cookie, through the configured auth manager): an anonymous
request gets 401/403. Replaying changes the registry, so it also asks the auth manager
whether the user may trigger DAG runs.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from ingest.airflow_support import runtime as dag_runtime
from ingest.model import iso
from ingest.ops.queries import quarantine_facets, quarantine_row
from ingest.ops.replay import NotReplayable, raw_bytes, replay, stored_key
from ingest.ops.status import ops_status
from ingest.runtime import Runtime

URL_PREFIX = "/ingest-ops"
RAW_SHOWN_BYTES = 512 * 1024  # what the raw viewer shows of one item
_ASSETS = {"ops.js": "text/javascript", "ops.css": "text/css"}
# Nothing but this origin: no CDN, no inline script, embeddable only by the Airflow UI.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'self'"
)

Scope = MutableMapping[str, Any]


class ReplayRequest(BaseModel):
    raw_key: str


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def shared_runtime() -> Runtime:
    """The API server's one ``Runtime``, opened on the first request and kept.

    Built exactly as DAG tasks build theirs (connection ``ingest_registry`` first, then
    ``INGEST_*``), so the page shows the registry the DAGs write.
    """
    return dag_runtime()


def create_app(
    runtime: Callable[[], Runtime] = shared_runtime,
    *,
    clock: Callable[[], datetime] = _now,
) -> FastAPI:
    """The ops app over the ``Runtime`` that ``runtime()`` returns, at the time ``clock()`` says."""
    # Airflow's API security module pulls in the metadata models: imported here, when the
    # API server builds the app, not when every Airflow process imports the plugin.
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag, requires_authenticated

    app = FastAPI(
        title="ingest ops", docs_url=None, redoc_url=None, openapi_url=None,
        dependencies=[Depends(requires_authenticated())],
    )

    @app.get("/", response_class=HTMLResponse)
    def page() -> Response:
        return _asset("index.html", "text/html")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _ASSETS:
            raise HTTPException(404, "no such asset")
        return _asset(name, _ASSETS[name])

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        return ops_status(runtime(), clock())

    @app.get("/api/quarantine")
    def quarantine(
        source: str | None = None, reason: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> dict[str, Any]:
        rt = runtime()
        rows = rt.registry.quarantined(source=source or None, reason=reason or None, limit=limit)
        return {
            "items": [
                {"raw_key": r.raw_key, "source": r.source, "reason": r.reason,
                 "detail": r.detail, "attempts": r.attempts, "first_seen": iso(r.first_seen),
                 "last_seen": iso(r.last_seen), "replayed": r.replayed,
                 "has_raw": stored_key(r.raw_key).startswith("raw/")}
                for r in rows
            ],
            "facets": quarantine_facets(rt.registry.engine),
        }

    @app.get("/api/quarantine/raw")
    def raw(key: str) -> dict[str, Any]:
        try:
            data = raw_bytes(runtime(), key)
        except NotReplayable as exc:
            raise HTTPException(404, str(exc)) from None
        text, encoding = _readable(data[:RAW_SHOWN_BYTES])
        return {"raw_key": key, "object": stored_key(key), "size": len(data),
                "encoding": encoding, "truncated": len(data) > RAW_SHOWN_BYTES, "text": text}

    @app.post(
        "/api/quarantine/replay",
        dependencies=[Depends(requires_access_dag("POST", DagAccessEntity.RUN))],
    )
    def replay_item(body: ReplayRequest) -> dict[str, Any]:
        rt = runtime()
        try:
            report = replay(rt, body.raw_key, clock())
        except NotReplayable as exc:
            raise HTTPException(409, str(exc)) from None
        row = quarantine_row(rt.registry.engine, body.raw_key)
        return {"raw_key": body.raw_key, "report": report.to_dict(),
                "replayed": bool(row and row.replayed)}

    return app


def _asset(name: str, media_type: str) -> Response:
    body = files("ingest.ops").joinpath("static", name).read_bytes()
    return Response(body, media_type=media_type, headers={
        "Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


def _readable(data: bytes) -> tuple[str, str]:
    """Text to show an operator: UTF-8 if it is, else Latin-1 (every byte maps to a character)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


class LazyApp:
    """An ASGI app built on its first request.

    Every Airflow process (scheduler, workers, DAG processor) imports plugins, but only the
    API server serves this app, so only there is it built.
    """

    def __init__(self, factory: Callable[[], FastAPI]) -> None:
        self._factory = factory
        self._app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = self._factory()
        await self._app(scope, receive, send)
