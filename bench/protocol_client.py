"""One dashboard session spoken at Streamlit's protocol level, without a browser (``bench_concurrent --client
protocol``): what the server does for a visitor, with none of the rendering.

A session does what the browser's frontend does, in order: GET the page; open the websocket
``/_stcore/stream`` (subprotocol ``streamlit``) and send a ``rerun_script`` BackMsg (empty query string: the
default page and view); read ForwardMsgs until ``script_finished``, keeping the date widget's id, its
fragment's id and the map component's element (its data and loader code); then the HTTP requests the map
component makes as it mounts (its code and style, Leaflet's files, the date-free data ``base_url`` and, where
the view names one, the incidents' table ``incidents_url``), all at once as the browser starts them. "To map" ends when the last of those has arrived. The date change is a
``rerun_script`` of the date's fragment with the date widget's new value (a ``string_array_value`` of ISO
dates, as the frontend's date input sends it), until that run's ``script_finished`` with the map's view of
the new date. Every read has a timeout; nothing is retried.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
LEAFLET = ("/app/static/vendor/leaflet/dist/leaflet.js", "/app/static/vendor/leaflet/dist/leaflet.css")  # older builds
MAP_KEY = "gdm_map"
DATE_KEY = "date"


@dataclass
class Run:
    """What one script run sent: the widgets and the map component seen, its bytes, its exceptions."""

    date_id: str = ""
    fragment_id: str = ""
    page_hash: str = ""
    map_data: dict[str, Any] | None = None
    map_js: str = ""
    bytes: int = 0
    messages: int = 0
    exceptions: list[str] = field(default_factory=list)


def _get(url: str, timeout: float) -> int:
    """GET ``url`` (gzip accepted, as a browser does); the bytes received. Raises on a status other than 200."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        if r.status != 200:
            raise RuntimeError(f"GET {url}: {r.status}")
        return len(r.read())


async def _read_run(ws: Any, run: Run, deadline: float) -> None:
    """ForwardMsgs until the run's ``script_finished`` (another run's end, a rerun, is read through)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no script_finished before the deadline")
        raw = await asyncio.wait_for(ws.recv(), timeout=left)
        run.bytes += len(raw)
        run.messages += 1
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            run.page_hash = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            et = el.WhichOneof("type")
            if et == "date_input" and el.date_input.id.endswith(f"-{DATE_KEY}"):
                run.date_id, run.fragment_id = el.date_input.id, msg.delta.fragment_id
            elif et == "bidi_component" and el.bidi_component.id.endswith(f"-{MAP_KEY}"):
                run.map_data = json.loads(el.bidi_component.json)
                run.map_js = el.bidi_component.js_content or run.map_js
            elif et == "exception":
                run.exceptions.append(f"{el.exception.type}: {el.exception.message[:160]}")
        elif kind == "script_finished" and msg.script_finished != FINISHED_EARLY_FOR_RERUN:
            return


def _rerun(query: str = "", page_hash: str = "", widget: tuple[str, list[str]] | None = None,
           fragment_id: str = "") -> bytes:
    msg = BackMsg()
    rs = msg.rerun_script
    rs.query_string = query
    rs.page_script_hash = page_hash
    if fragment_id:
        rs.fragment_id = fragment_id
    if widget:
        w = rs.widget_states.widgets.add()
        w.id = widget[0]
        w.string_array_value.data.extend(widget[1])
    return msg.SerializeToString()


async def session(url: str, *, first: date, then: date, timeout_s: float) -> dict[str, Any]:
    """One visitor: page, websocket run, the map's requests (``to_map_s``); the date changed to ``then``
    (``date_change_s``, ``date_change_bytes``). Errors (exceptions shown, timeouts, HTTP errors) in ``errors``."""
    out: dict[str, Any] = {"errors": []}
    errors: list[str] = out["errors"]
    deadline = time.monotonic() + timeout_s
    try:
        t0 = time.perf_counter()
        await asyncio.to_thread(_get, url + "/", timeout_s)
        ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,  # type: ignore[list-item]
                                      open_timeout=timeout_s) as ws:
            await ws.send(_rerun())
            run = Run()
            await _read_run(ws, run, deadline)
            errors.extend(run.exceptions)
            if run.map_data is None or not run.date_id:
                raise RuntimeError("the first run sent no map or no date control")
            if run.map_data.get("on") != first.isoformat():
                raise RuntimeError(f"the map opened on {run.map_data.get('on')}, not {first}")
            code = re.findall(r'"(/gdm-api/asset/[^"]+)"', run.map_js)  # map.js and map.css, as loader.js loads them
            leaflet = re.findall(r'"(/app/static/vendor/[^"]+)"', run.map_js) or list(LEAFLET)  # versioned URLs
            paths = [*code, *leaflet, *(str(run.map_data[k]) for k in ("base_url", "incidents_url") if run.map_data.get(k))]
            got = await asyncio.gather(*(asyncio.to_thread(_get, url + p, max(1.0, deadline - time.monotonic()))
                                         for p in paths))
            out["to_map_s"] = time.perf_counter() - t0
            out["first_run_bytes"] = run.bytes
            out["http_bytes"] = sum(got)
            t1 = time.perf_counter()
            await ws.send(_rerun(page_hash=run.page_hash, widget=(run.date_id, [then.isoformat()]),
                                 fragment_id=run.fragment_id))
            change = Run()
            await _read_run(ws, change, deadline)
            errors.extend(change.exceptions)
            if change.map_data is None or change.map_data.get("on") != then.isoformat():
                raise RuntimeError(f"the date change sent no map of {then}")
            out["date_change_s"] = time.perf_counter() - t1
            out["date_change_bytes"] = change.bytes
    except Exception as exc:  # a timeout, a closed socket, an HTTP error: counted as an error, never retried
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    return out
