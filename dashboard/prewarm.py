"""Warm the process-wide caches at server start, and serve the map's date-free data over HTTP.

``lifespan`` (``st.App(lifespan=...)`` in app.py) runs once when the server starts, before it takes a
visitor: it reads every bundle layer, builds the metrics index and the map's date-free payload
(``map_payload.base``: display geometry, hover text, order history) and the default view's figures and map
data (``warm_default_view``: the default date and the days beside it), then builds the default per-day
status table for playback in the background. Reading parquet and shapely operations release the GIL.
What the warm-up built lives as long as the process, so it is then frozen out of the garbage collector
(``gc.freeze``): Streamlit runs a full collection after every script run (``runner.postScriptGC``), which
otherwise walks those ~200,000 objects each time (0.12 s of CPU a run, a third of the server's work with
20 visitors) while holding the GIL.
``start`` does the same in a background thread for runs without the lifespan (AppTest, a plain script).
``routes`` serves ``map_payload.base`` and ``map_payload.playback`` (JSON, cached by the browser under the
bundle's version; gzipped) so the geometry never travels over the websocket. The Map page's HTML names
what the page loads next for preloading (``dashboard.preload``). Failures are logged and left to
the page, which reports them. No streamlit call of its own (``dashboard.data``'s caches are process-wide).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import hashlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import dashboard.map_draw  # noqa: F401  (folium compiles its templates at import: once, at server start)
import pipeline.runtime.sitrep  # noqa: F401  (the Map page's report: matplotlib, 1.4 s to import, not in a visit)
from dashboard import data, map_payload, server_socket, state, static_cache
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
        data.incident_table()
        warm_default_view()
    except Exception:  # the page shows the real error when it asks for the same data
        log.exception("warming the bundle and metrics caches failed")
    warm_streamlit()
    try:
        static_cache.warm()
    except Exception:
        log.exception("reading Streamlit's front-end files into memory failed")
    freeze()


PAGES = Path(__file__).resolve().parent / "pages"


def warm_streamlit() -> None:
    """What Streamlit itself does once per process at a first visit (0.2 s of its first run): the emoji table it
    checks the page icon against (a large regular expression compiled at import), its one-time "not run with
    streamlit run" check (which reads the source of every frame on the stack) and the compiled pages (our own
    files, compiled once and cached by the runtime). Done here, before the first visitor; skipped quietly where
    a Streamlit version lacks one of them."""
    try:
        from streamlit import delta_generator, runtime, string_util

        string_util.is_emoji("🗺️")
        if runtime.exists():
            check = getattr(delta_generator, "_maybe_print_use_warning", None)
            if check is not None:
                check()  # with the runtime up it warns of nothing; it only sets its "checked once" flag
            cache = getattr(runtime.get_instance(), "_script_cache", None)
            for script in (PAGES.parent.parent / "app.py", *sorted(PAGES.glob("*.py"))):
                if cache is not None:
                    cache.get_bytecode(str(script))
    except Exception:
        log.exception("warming Streamlit's own first-visit work failed")


def freeze() -> None:
    """Move every object alive now (the process-wide caches) out of the collector's reach: the full collection
    after each script run then walks only what runs created since. Those objects are freed by reference
    counting as before; only cycles among them would stay (the caches hold none that are dropped)."""
    gc.collect()
    gc.freeze()


def warm_default_view() -> None:
    """The figures and map data of the view a first visitor opens (default date, framing, layers, window),
    and of the days beside it, in the process-wide caches the Map page reads."""
    on = data.default_date()
    layers = tuple(state.LAYER_OPTIONS.values())  # the sidebar's default: every layer, in its order
    imported = [str(e["name"]) for e in data.workspace_entries()]  # imported layers start switched on
    for day in (on, on + timedelta(days=1), on - timedelta(days=1)):
        since = data.default_since(day)
        data.lists(day, since, DEFAULT_WINDOW)
        data.map_view(day, since, DEFAULT_WINDOW, layers, "none", imported=imported)


def warm_playback() -> None:
    """The default framing's per-day status table (several seconds: in the background)."""
    try:
        map_payload.playback(settings.get(settings.GRID_PUBLISHED_ON), DEFAULT_WINDOW)
    except Exception:
        log.exception("warming the playback table failed")
    freeze()


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
    try:  # the listening socket is bound by now: its connections without the 40 ms delayed-ACK wait
        server_socket.set_on_listeners()
    except Exception:
        log.exception("setting TCP_NODELAY on the listening socket failed")
    await asyncio.to_thread(warm)
    threading.Thread(target=warm_playback, name="gdm-prewarm-playback", daemon=True).start()
    yield {}


CACHE = {"Cache-Control": "public, max-age=86400, immutable", "Vary": "Accept-Encoding"}
_gzipped: dict[bytes, bytes] = {}


def _json(request: Request, body: bytes) -> Response:
    """JSON, gzipped when the browser accepts it (the date-free data: about a quarter of its size)."""
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(body, media_type="application/json", headers=CACHE)
    return Response(_gzip(body), media_type="application/json", headers={**CACHE, "Content-Encoding": "gzip"})


def _gzip(body: bytes) -> bytes:
    key = hashlib.sha1(body).digest()
    if key not in _gzipped:
        if len(_gzipped) > 32:
            _gzipped.clear()
        _gzipped[key] = gzip.compress(body, compresslevel=6, mtime=0)
    return _gzipped[key]


def _base(request: Request) -> Response:
    return _json(request, map_payload.base(lang=request.query_params.get("lang") or "en"))


def _incidents(request: Request) -> Response:
    return _json(request, data.incident_table(request.query_params.get("lang") or "en").body)


def _facilities(request: Request) -> Response:
    return _json(request, map_payload.facilities(lang=request.query_params.get("lang") or "en"))


def _playback(request: Request) -> Response:
    q = request.query_params
    try:
        since = date.fromisoformat(q.get("since") or "")
        window = int(q.get("window") or DEFAULT_WINDOW)
    except ValueError:
        return Response('{"error": "since=YYYY-MM-DD and window=N"}', status_code=400, media_type="application/json")
    if not 1 <= window <= 366:
        return Response('{"error": "window out of range"}', status_code=400, media_type="application/json")
    return _json(request, map_payload.playback(since, window))


def _asset(request: Request) -> Response:
    """The map component's code or style (its URL carries the content's hash: cached as immutable)."""
    name = request.path_params["name"]
    if name not in map_payload.ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    body = map_payload.asset(name)
    headers = {**CACHE, "Content-Type": map_payload.ASSETS[name]}
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(body, headers=headers)
    return Response(_gzip(body), headers={**headers, "Content-Encoding": "gzip"})


def routes() -> list[Route]:
    """The map's HTTP routes (``map_payload.BASE_ROUTE``, ``PLAYBACK_ROUTE``, ``FACILITIES_ROUTE``,
    ``INCIDENTS_ROUTE``, ``ASSET_ROUTE``)."""
    return [Route(map_payload.BASE_ROUTE, _base), Route(map_payload.PLAYBACK_ROUTE, _playback),
            Route(map_payload.FACILITIES_ROUTE, _facilities), Route(map_payload.INCIDENTS_ROUTE, _incidents),
            Route(map_payload.ASSET_ROUTE, _asset)]
