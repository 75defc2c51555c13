"""The Map page's HTML names the map's files for preloading: the same URLs the map then asks for, all served."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dashboard import data, map_payload, state
from dashboard.preload import PreloadMap, links
from tests.conftest import ROOT


def _respond(path: str, content_type: bytes = b"text/html; charset=utf-8", query: bytes = b"") -> dict[bytes, bytes]:
    """The response headers PreloadMap sends for a GET of ``path`` answered by a stand-in app."""
    sent: list[dict[str, Any]] = []

    async def page(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b"<html></html>"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": query}
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: the browser tests' Playwright may hold this thread's
        pool.submit(asyncio.run, PreloadMap(page)(scope, None, send)).result()
    return dict(sent[0]["headers"])


def test_the_map_page_html_names_what_the_map_loads() -> None:
    link = _respond("/")[b"link"].decode()
    urls = re.findall(r"<([^>]+)>", link)
    view = data.map_view(data.default_date(), data.default_since(data.default_date()), 7,
                         tuple(state.LAYER_OPTIONS.values()), "none", imported=[])
    assert view["base_url"] in urls  # the data the component fetches is the copy preloaded
    assert map_payload.asset_url("map.js") in urls and map_payload.asset_url("map.css") in urls
    for u in urls:
        if u.startswith("/app/static/"):
            assert (ROOT / u.removeprefix("/app/").split("?")[0]).is_file(), u  # Leaflet ships with the repository


def test_arabic_page_preloads_the_arabic_data_and_other_responses_are_left_alone() -> None:
    assert "lang=ar" in _respond("/map", query=b"lang=ar")[b"link"].decode()
    assert b"link" not in _respond("/orders")
    assert b"link" not in _respond("/", content_type=b"application/json")
    assert links("en") == _respond("/")[b"link"].decode()
