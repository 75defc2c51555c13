"""Warm the process-wide caches at server start, and serve the map's date-free data over HTTP.

``lifespan`` (``st.App(lifespan=...)`` in app.py) runs once when the server starts, before it takes a
visitor: it reads every bundle layer, builds the metrics index and the map's date-free payload
(``map_payload.base``: display geometry, hover text, order history), then builds the default per-day
status table for playback in the background. Reading parquet and shapely operations release the GIL.
``start`` does the same in a background thread for runs without the lifespan (AppTest, a plain script).
``routes`` serves ``map_payload.base`` and ``map_payload.playback`` (JSON, cached by the browser under the
bundle's version) so the geometry never travels over the websocket. Failures are logged and left to
the page, which reports them. No streamlit import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import dashboard.map_draw  # noqa: F401  (folium compiles its templates at import: once, at server start)
from dashboard import map_payload
from pipeline.core import settings
from pipeline.runtime import bundle
from pipeline.runtime.metrics_index import index

log = logging.getLogger(__name__)
_started = threading.Event()

LAYERS = ("strip", "governorates", "blocks", "places", "orders", "order_blocks", "zones", "events", "series",
          "claims")
DEFAULT_WINDOW = 7


def warm() -> None:
    """Read the layers, build the metrics index and the map's date-free payload (once per process)."""
    try:
        for name in LAYERS:
            if name in bundle.layer_names():
                map_payload.layer(name)
        index()
        map_payload.base()
        map_payload.block_order()
    except Exception:  # the page shows the real error when it asks for the same data
        log.exception("warming the bundle and metrics caches failed")


def warm_playback() -> None:
    """The default framing's per-day status table (several seconds: in the background)."""
    try:
        map_payload.playback(settings.get(settings.GRID_PUBLISHED_ON), DEFAULT_WINDOW)
    except Exception:
        log.exception("warming the playback table failed")


def _warm_all() -> None:
    warm()
    warm_playback()


def start() -> None:
    """Start the warm-up thread unless it has run in this process already."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_warm_all, name="gdm-prewarm", daemon=True).start()


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    """st.App lifespan: warm before the first visitor, then the playback table in the background."""
    _started.set()
    await asyncio.to_thread(warm)
    threading.Thread(target=warm_playback, name="gdm-prewarm-playback", daemon=True).start()
    yield {}


CACHE = {"Cache-Control": "public, max-age=86400, immutable"}


def _base(request: Request) -> Response:
    return Response(map_payload.base(), media_type="application/json", headers=CACHE)


def _playback(request: Request) -> Response:
    q = request.query_params
    try:
        since = date.fromisoformat(q.get("since") or "")
        window = int(q.get("window") or DEFAULT_WINDOW)
    except ValueError:
        return Response('{"error": "since=YYYY-MM-DD and window=N"}', status_code=400, media_type="application/json")
    if not 1 <= window <= 366:
        return Response('{"error": "window out of range"}', status_code=400, media_type="application/json")
    return Response(map_payload.playback(since, window), media_type="application/json", headers=CACHE)


def routes() -> list[Route]:
    """The map's HTTP routes (``map_payload.BASE_ROUTE``, ``map_payload.PLAYBACK_ROUTE``)."""
    return [Route(map_payload.BASE_ROUTE, _base), Route(map_payload.PLAYBACK_ROUTE, _playback)]
