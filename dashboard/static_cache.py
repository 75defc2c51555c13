"""Streamlit's own front-end files (``/static/...``: its JavaScript, style and fonts) served from memory, gzipped.

A visitor with an empty browser cache fetches about 120 of these files (3.8 MB). Streamlit serves each from
disk through Starlette's ``StaticFiles`` and never compresses them (its comment: compressing on every request
costs more CPU than it saves), which takes the server about 0.3 CPU-s per new visitor on this machine, the
same cores the visitors' own browsers and script runs need. ``StaticCache`` (ASGI middleware,
``st.App(middleware=...)`` in app.py) answers those requests itself: each file is read once, its gzipped copy
made once, and every later request is a dictionary lookup and one send (a quarter of the bytes when the browser
accepts gzip). The files served are only those found under Streamlit's static folder when the cache is built
(no path from a request reaches the file system); their headers are the ones Streamlit gives them (content
type, ``Cache-Control: public, immutable, max-age=31536000``: their names carry a content hash), plus an
``ETag`` answered with 304. Anything else (index.html, ranges, HEAD, other paths) goes on to Streamlit.
:func:`warm` loads the files every page needs (those index.html names) at server start.

The map's own vendored files (``static/vendor/``, Leaflet) are named by :func:`vendor_url` with their content's
hash (``?v=...``); asked for with the current hash they are served the same way and cached as immutable, so a
visitor coming back never revalidates them (without it Streamlit serves them with no caching header at all).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import mimetypes
import os
import re
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import file_util

IMMUTABLE = b"public, immutable, max-age=31536000"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_REFS = re.compile(r"""(?:href|src)=["']\./(static/[^"']+)["']""")


@dataclass(frozen=True)
class Entry:
    body: bytes
    gz: bytes | None  # None: not worth compressing (fonts, images)
    content_type: bytes
    etag: bytes
    last_modified: bytes


class Files:
    """The hashed front-end files under Streamlit's static folder, by URL path below ``static/``, read on first use."""

    def __init__(self, root: Path, folder: str = "static") -> None:
        self.root = root
        self.names = {p.relative_to(root).as_posix() for p in (root / folder).rglob("*") if p.is_file()}
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Entry | None:
        """The file ``static/...`` (as named in a URL), or None if Streamlit has no such file."""
        entry = self._entries.get(name)
        if entry is not None or name not in self.names:
            return entry
        path = self.root / name
        body = path.read_bytes()
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        gz = gzip.compress(body, compresslevel=6, mtime=0) if ctype.startswith(COMPRESSIBLE) else None
        entry = Entry(body=body, gz=gz if gz is not None and len(gz) < len(body) else None,
                      content_type=ctype.encode("latin-1"),
                      etag=f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'.encode("latin-1"),
                      last_modified=formatdate(os.path.getmtime(path), usegmt=True).encode("latin-1"))
        with self._lock:
            self._entries.setdefault(name, entry)
        return self._entries[name]

    def cached(self, name: str) -> bool:
        return name in self._entries

    def page_files(self) -> list[str]:
        """The files index.html names (the main bundle and what it preloads: what every page loads first)."""
        html = (self.root / "index.html").read_text(encoding="utf-8")
        return [n for n in dict.fromkeys(_REFS.findall(html)) if n in self.names]


_files: Files | None = None
_vendor: Files | None = None
_files_lock = threading.Lock()
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static"  # served by Streamlit at /app/static/
VENDOR_URL = "/app/static/"
LEAFLET_JS, LEAFLET_CSS = "vendor/leaflet/dist/leaflet.js", "vendor/leaflet/dist/leaflet.css"


def files() -> Files:
    global _files
    with _files_lock:
        if _files is None:
            _files = Files(Path(file_util.get_static_dir()))
        return _files


def vendor() -> Files:
    """The repository's ``static/vendor/`` files (as ``vendor/...``)."""
    global _vendor
    with _files_lock:
        if _vendor is None:
            _vendor = Files(VENDOR_DIR, "vendor")
        return _vendor


def _version(entry: Entry) -> str:
    return entry.etag.decode("latin-1").strip('"')[:12]


def vendor_url(name: str) -> str:
    """``/app/static/vendor/...?v=<hash>`` for ``vendor/...`` (a file the repository ships), served as immutable;
    the plain address where the file is missing (the map then says that Leaflet did not load)."""
    entry = vendor().get(name)
    return f"{VENDOR_URL}{name}" + (f"?v={_version(entry)}" if entry is not None else "")


def warm() -> None:
    """Read and compress the files index.html names, before the first visitor asks for them."""
    f = files()
    for name in f.page_files():
        f.get(name)


def _prefix() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _header(scope: dict[str, Any], name: bytes) -> bytes:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return bytes(v)
    return b""


async def _entry(where: Files, name: str) -> Entry | None:
    """A cached file at once; one read for the first time in a worker thread (a large chunk's compression would
    hold up the event loop, and with it every session's websocket)."""
    if where.cached(name) or name not in where.names:
        return where.get(name)
    return await asyncio.to_thread(where.get, name)


class StaticCache:
    """ASGI middleware: ``GET {baseUrlPath}/static/...`` for a file of Streamlit's static folder, from memory."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.prefix: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "GET" or _header(scope, b"range"):
            await self.app(scope, receive, send)
            return
        if self.prefix is None:
            self.prefix = _prefix()
        path = str(scope.get("path", ""))
        entry = await _entry(files(), path[len(self.prefix):]) if path.startswith(self.prefix + "static/") else None
        if entry is None and path.startswith(self.prefix + "app/static/vendor/"):
            entry = await _entry(vendor(), path[len(self.prefix + "app/static/"):])
            query = bytes(scope.get("query_string", b"")).decode("latin-1")
            if entry is not None and f"v={_version(entry)}" not in query.split("&"):
                entry = None  # no hash or another one: Streamlit's answer (the file as it is now, not immutable)
        if entry is None:
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", entry.content_type), (b"cache-control", IMMUTABLE), (b"etag", entry.etag),
                   (b"last-modified", entry.last_modified), (b"x-content-type-options", b"nosniff")]
        if entry.gz is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        if entry.etag in _header(scope, b"if-none-match"):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        if entry.gz is not None and b"gzip" in _header(scope, b"accept-encoding"):
            body = entry.gz
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
