"""Streamlit's front-end files served from memory: the same bytes as on disk, gzipped on request, cached as
immutable; anything that is not one of those files goes on to Streamlit unchanged."""

from __future__ import annotations

import asyncio
import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from streamlit import file_util

from dashboard import static_cache
from dashboard.static_cache import StaticCache

STATIC = Path(file_util.get_static_dir())
MAIN_JS = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', (STATIC / "index.html").read_text()).group(1)  # type: ignore[union-attr]


def _get(path: str, headers: dict[bytes, bytes] | None = None, method: str = "GET") -> tuple[int, dict[bytes, bytes],
                                                                                             bytes]:
    """Status, headers and body StaticCache answers (``passed-on`` in the body: it went on to the app)."""
    sent: list[dict[str, Any]] = []

    async def streamlit(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"passed-on"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": b"",
             "headers": list((headers or {}).items())}
    with ThreadPoolExecutor(1) as pool:  # a loop of its own (the browser tests' Playwright may hold this thread's)
        pool.submit(asyncio.run, StaticCache(streamlit)(scope, None, send)).result()
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_streamlits_main_script_is_served_from_memory_with_the_same_bytes_gzipped_when_accepted() -> None:
    on_disk = (STATIC / MAIN_JS).read_bytes()
    status, headers, body = _get("/" + MAIN_JS)
    assert status == 200 and body == on_disk
    assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
    assert headers[b"content-type"].split(b";")[0] in (b"text/javascript", b"application/javascript")
    status, zipped_headers, zipped = _get("/" + MAIN_JS, {b"accept-encoding": b"gzip, deflate, br"})
    assert zipped_headers[b"content-encoding"] == b"gzip" and gzip.decompress(zipped) == on_disk
    assert int(zipped_headers[b"content-length"]) == len(zipped) < len(on_disk) / 2
    status, _, body = _get("/" + MAIN_JS, {b"if-none-match": headers[b"etag"]})
    assert status == 304 and body == b""


def test_fonts_are_sent_as_they_are_and_what_index_html_names_is_read_at_start() -> None:
    font = next(n for n in static_cache.files().names if n.endswith(".woff2"))
    status, headers, body = _get("/" + font, {b"accept-encoding": b"gzip"})
    assert status == 200 and body == (STATIC / font).read_bytes() and b"content-encoding" not in headers
    assert MAIN_JS in static_cache.files().page_files()


def test_other_requests_go_on_to_streamlit() -> None:
    for path in ("/", "/map", "/static/js/no-such-file.js", "/static/../index.html", "/static/%2e%2e/index.html",
                 "/_stcore/health", "/app/static/vendor/leaflet/dist/leaflet.js", "/static"):
        assert _get(path)[2] == b"passed-on", path
    assert _get("/" + MAIN_JS, method="HEAD")[2] == b"passed-on"
    assert _get("/" + MAIN_JS, {b"range": b"bytes=0-99"})[2] == b"passed-on"


def test_leaflet_named_with_its_hash_is_served_as_immutable_and_without_it_by_streamlit() -> None:
    from tests.conftest import ROOT

    url = static_cache.vendor_url(static_cache.LEAFLET_JS)
    path, _, query = url.partition("?")
    assert path == "/app/static/vendor/leaflet/dist/leaflet.js" and query.startswith("v=")
    sent: list[dict[str, Any]] = []

    async def streamlit(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"passed-on"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def get(q: str) -> tuple[dict[bytes, bytes], bytes]:
        sent.clear()
        scope = {"type": "http", "method": "GET", "path": path, "query_string": q.encode(),
                 "headers": [(b"accept-encoding", b"gzip")]}
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, StaticCache(streamlit)(scope, None, send)).result()
        return dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])

    headers, body = get(query)
    assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
    assert gzip.decompress(body) == (ROOT / "static" / static_cache.LEAFLET_JS).read_bytes()
    assert get("")[1] == b"passed-on" and get("v=000000000000")[1] == b"passed-on"  # stale or no hash: not cached
