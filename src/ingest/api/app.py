"""The partner pull API: ``/v1/feed`` (a cursor over the release log), ``/v1/items/…``.

Every ``/v1`` request carries ``Authorization: Bearer <key>`` (``ingest partners key
create``); the key names the partner, whose contract in ``config/partners.yaml`` decides
what it sees (``ingest.api.view``: the feeds' rule) and how many requests a minute it may
make. Responses are JSON with a strong ETag of their bytes (``If-None-Match`` gives 304).
docs/api.md is the partners' guide.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations, which
# name types local to ``create_app``.
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest import jsonout
from ingest.api import view
from ingest.api.keys import verify
from ingest.api.quota import Quota
from ingest.api.render import RenderedItems, json_bytes
from ingest.api.watch import ReleaseWatch
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds
from ingest.publish.objectstore import ObjectStore
from ingest.publish.partners import Partner
from ingest.registry.sql import SQLRegistry

MAX_WAIT_SECONDS = 30
JSON = "application/json"
log = logging.getLogger("ingest.api")
_bearer = HTTPBearer(auto_error=False, description="a key from `ingest partners key create`")
_NOT_FOUND = {"error": "not_found", "detail": "no such story for this key"}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the partner's contract and the key it used."""

    partner: Partner
    key_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    registry: SQLRegistry, store: ObjectStore, partners: Sequence[Partner], *,
    ids: TagIds = DEFAULT_IDS, clock: Callable[[], datetime] = _now,
    poll_seconds: float = 0.5,
) -> FastAPI:
    """The API over ``registry`` for ``partners``; ``store`` is checked by ``/healthz``."""
    by_id = {p.id: p for p in partners}
    watch = ReleaseWatch(registry.last_release, poll_seconds)
    rendered = RenderedItems(ids)
    app = FastAPI(
        title="ingest partner API", version="1", docs_url=None, redoc_url=None,
        description="Rights-filtered stories, corrections and kills for one partner per key.",
    )

    app.add_middleware(_RequestLog)
    quota = Quota(registry)

    def authorised(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        key = verify(registry, credentials.credentials) if credentials else None
        partner = by_id.get(key.partner) if key else None
        if key is None or partner is None:
            raise HTTPException(401, {"error": "unauthorized", "detail": "missing, unknown or "
                                       "revoked key"}, {"WWW-Authenticate": "Bearer"})
        request.state.caller = caller = Caller(partner, key.id)
        now = clock()
        minute = int(now.timestamp()) // 60
        if not quota.admit(key.id, minute, partner.api.requests_per_minute):
            retry = max(1, (minute + 1) * 60 - int(now.timestamp()))
            raise HTTPException(429, {"error": "too_many_requests", "detail": "quota of "
                                      f"{partner.api.requests_per_minute} requests a minute"},
                                {"Retry-After": str(retry)})
        return caller

    Authorised = Annotated[Caller, Depends(authorised)]
    from ingest.api.media import add_media_route  # it imports this module

    add_media_route(app, registry, store, authorised)

    @app.get("/v1/feed", summary="The partner's stories, corrections and kills, in order")
    async def feed(
        request: Request, caller: Authorised,
        cursor: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
        limit: Annotated[int, Query(ge=1, le=view.MAX_LIMIT)] = 50,
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    ) -> Response:
        partner = caller.partner
        try:
            after = view.decode_cursor(cursor) if cursor else None
        except view.BadCursor:
            raise HTTPException(400, {"error": "bad_cursor",
                                      "detail": "not a cursor this API issued"}) from None
        deadline = time.monotonic() + wait

        def answer(after: int | None) -> tuple[int, int, bytes | None]:
            """Where the page starts, where it ends and its bytes, read and rendered on
            one worker thread; no bytes when it is empty at the log's end with time left
            to wait (then the same start is read again once the log has grown)."""
            start = view.start_position(registry, partner, clock()) if after is None \
                else after
            page = view.feed_page(registry, partner, start, limit)
            if not page.items and page.at_end and time.monotonic() < deadline:
                return start, page.position, None
            return start, page.position, rendered.page(partner, page.items, page.position)

        while True:
            after, position, body = await run_in_threadpool(answer, after)
            if body is not None:
                return _send(request, body)
            if not await watch.wait_past(position, deadline - time.monotonic()):
                return _send(request, rendered.page(partner, [], position))

    @app.get("/v1/items/{uri:path}/versions/{version}", summary="One version of a story")
    def item_version(request: Request, caller: Authorised, uri: str, version: int) -> Response:
        found = view.version_delivered(registry, caller.partner, uri, version)
        return _send(request, rendered.item(caller.partner, found)) if found \
            else _not_found(request)

    @app.get("/v1/items/{uri:path}", summary="A story as the partner's feeds show it now")
    def item(request: Request, caller: Authorised, uri: str) -> Response:
        found = view.latest_delivered(registry, caller.partner, uri, clock())
        return _send(request, rendered.item(caller.partner, found)) if found \
            else _not_found(request)

    @app.get("/healthz", summary="The registry and the object store answer")
    def healthz(request: Request) -> Response:
        registry.last_release()
        store.head("healthz")
        return _json(request, {"status": "ok"})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _json(request, exc.detail, exc.status_code, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
        return _json(request, {"error": "invalid_request", "detail": detail}, 422)

    return app


class _RequestLog:
    """One JSON log line a request, as plain ASGI: Starlette's ``@app.middleware`` runs
    each request in a task of its own and streams its body through a queue."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # what a request that raised becomes
        state = scope.setdefault("state", {})  # ``request.state``

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            caller: Caller | None = state.get("caller")
            log.info(jsonout.dumps({
                "method": scope["method"], "path": scope["path"], "status": status,
                "partner": caller.partner.id if caller else None,
                "key_id": caller.key_id if caller else None,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }))


def _not_found(request: Request) -> Response:
    """The same answer for a story that does not exist and one the partner may not see."""
    return _json(request, _NOT_FOUND, 404)


def _json(
    request: Request, document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``document`` as JSON with a strong ETag of its bytes; 304 when the client has them."""
    return _send(request, json_bytes(document), status, headers)


def _send(
    request: Request, body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON ``body`` with a strong ETag of its bytes; 304 when the client has them."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {**(headers or {}), "ETag": etag, "Cache-Control": "private, no-cache",
               "Vary": "Authorization"}
    if status == 200 and _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status, headers, media_type=JSON)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, as ``If-None-Match`` asks: ``W/`` prefixes ignored."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags
