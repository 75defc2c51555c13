"""The Map page's HTML names the map's own files (a ``Link: rel=preload`` response header), so the browser
fetches them while it loads Streamlit's code instead of after.

Without it the map's files come at the end of a chain: Streamlit's code, the websocket's first run, the
code of the elements it sent, the component mounting, then its requests for Leaflet, its code and style and
the date-free data and the incidents, each round trip waiting for the one before (on loopback the files are there in
milliseconds; on a slow link each round trip counts). ``PreloadMap`` (ASGI middleware, ``st.App(middleware=...)``
in app.py) adds them to the Map page's HTML response, each requested as ``loader.js`` will request it (a
classic script, a module, stylesheets, a same-origin ``fetch``), so the browser uses the preloaded copy.
(Preloading Streamlit's own element modules as well (``rel=modulepreload`` for the 49 chunks a Map page loads
late) was measured twice, no faster: the browser's main thread is busy all the while running Streamlit's code,
so fetching those chunks earlier leaves it as busy; ``bench_dashboard`` prints where a visit's time goes.)
"""

from __future__ import annotations

import logging
from typing import Any

from dashboard import map_payload, static_cache

log = logging.getLogger(__name__)

MAP_PATHS = ("/", "/map")  # the Map page (the default page) as a browser opens it


def links(lang: str = "en") -> str:
    """The ``Link`` header value: the map component's files as ``loader.js`` loads them, the data in ``lang``."""
    base = f"{map_payload.BASE_ROUTE}?v={map_payload.version()}" + (f"&lang={lang}" if lang != "en" else "")
    return ", ".join([f"<{static_cache.vendor_url(static_cache.LEAFLET_JS)}>; rel=preload; as=script",
                      f"<{static_cache.vendor_url(static_cache.LEAFLET_CSS)}>; rel=preload; as=style",
                      f"<{map_payload.asset_url('map.js')}>; rel=modulepreload",
                      f"<{map_payload.asset_url('map.css')}>; rel=preload; as=style",
                      f"<{base}>; rel=preload; as=fetch; crossorigin",
                      f"<{map_payload.INCIDENTS_ROUTE}?v={map_payload.version()}>; rel=preload; as=fetch; crossorigin"])


class PreloadMap:
    """ASGI middleware: the Map page's HTML gets :func:`links` as its ``Link`` header (other paths, the websocket
    and errors pass through unchanged)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "GET" or scope.get("path") not in MAP_PATHS:
            await self.app(scope, receive, send)
            return
        lang = "ar" if "lang=ar" in scope.get("query_string", b"").decode("latin-1").split("&") else "en"

        async def with_links(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start" and message.get("status") == 200:
                headers = list(message.get("headers", []))
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    try:
                        headers.append((b"link", links(lang).encode("latin-1")))
                    except Exception:  # no bundle: the page itself says so; the HTML goes out as it is
                        log.exception("the Map page's preload header could not be built")
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_links)
