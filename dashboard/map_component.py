"""The Map page's map as a bidirectional Streamlit (v2) component over the locally served Leaflet.

The browser fetches the date-free part once (``map_payload.base``, served over HTTP by app.py and cached);
every rerun sends only the view (``map_payload.view``: block status codes, zone id, incidents, a few KB)
and the map restyles in place. Back to Python: ``clicked`` (a block, trigger) and ``paused`` (the date
where playback paused, trigger). JS and CSS: ``dashboard/map_component/``. The component's own JavaScript
(``loader.js``, 1.5 KB) loads ``map.js`` and ``map.css`` from ``map_payload.ASSET_ROUTE`` (served by app.py,
cached by the browser under their content's hash), so the map's 24 KB of code and style are not sent again with
every rerun; Leaflet's own two files come from ``static/vendor/`` under their content's hash (``static_cache``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import map_payload, static_cache

HERE = Path(__file__).resolve().parent / "map_component"
NAME = "gdm_map"

# The component's own JS: starts Leaflet, the date-free data and map.js loading together (map_component/loader.js).
LOADER = "\n".join(line.strip() for line in (HERE / "loader.js").read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.strip().startswith("//")).replace(
    "__MAP_JS__", json.dumps(map_payload.asset_url("map.js"))).replace(
    "__MAP_CSS__", json.dumps(map_payload.asset_url("map.css"))).replace(
    "__LEAFLET_JS__", json.dumps(static_cache.vendor_url(static_cache.LEAFLET_JS))).replace(
    "__LEAFLET_CSS__", json.dumps(static_cache.vendor_url(static_cache.LEAFLET_CSS)))

_component = st.components.v2.component(NAME, html="", js=LOADER, isolate_styles=False)


def show(view: dict[str, Any], *, key: str, height: int = 660,
         on_clicked: Callable[[], None] | None = None, on_paused: Callable[[], None] | None = None) -> Any:
    """Mount the map with the view's data; returns the component's result (``clicked``, ``paused``)."""
    return _component(key=key, data={**view, "height": height}, height=height,
                      on_clicked_change=on_clicked or (lambda: None),
                      on_paused_change=on_paused or (lambda: None))
