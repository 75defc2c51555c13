"""Offline map assets: folium's Leaflet and jQuery links pointed at the copies the app ships.

folium's HTML loads Leaflet from CDNs; with no internet the map would stay blank. ``localize_assets``
rewrites every element's ``default_js``/``default_css`` to files under ``VENDOR_URL`` (Streamlit static
serving of ``static/vendor``), drops links our maps do not use, and keeps the CDN with a warning in the
log when the shipped copy is missing. No streamlit import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import folium
from branca.element import Figure

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "static" / "vendor"
VENDOR_URL = "/app/static/vendor"

# CDN URL pattern -> file under static/vendor (None: not used by our maps, dropped when serving locally).
VENDOR_MAP: list[tuple[str, str | None]] = [
    (r"/leaflet@[\d.]+/dist/leaflet\.js$", "leaflet/dist/leaflet.js"),
    (r"/leaflet@[\d.]+/dist/leaflet\.css$", "leaflet/dist/leaflet.css"),
    (r"code\.jquery\.com/jquery-[\d.]+(\.min)?\.js$", "jquery/dist/jquery.min.js"),
    (r"bootstrap", None),
    (r"awesome-markers", None),
    (r"fontawesome", None),
    (r"leaflet\.awesome\.rotate", None),
]


def figure(m: folium.Map) -> Figure:
    """The map's root ``Figure`` (folium puts every new map in one), whose ``header``/``html`` take our CSS
    and HTML. branca types ``get_root`` as returning any ``Element``."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"a folium map sits in a Figure, not in {type(root).__name__}")
    return root


def vendor_available(vendor_dir: Path = VENDOR_DIR) -> bool:
    return all((vendor_dir / rel).is_file() for _, rel in VENDOR_MAP if rel)


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize_assets(m: folium.Map, *, vendor_dir: Path = VENDOR_DIR, base_url: str = VENDOR_URL) -> bool:
    """Point the map's JS/CSS links at the app's own copies (True), or keep the CDN and warn (False).

    Works for both ``st_folium`` (which reads each element's ``default_js``/``default_css``) and a
    full HTML render.  A link with no local copy and no use in our maps is dropped.
    """
    if not vendor_available(vendor_dir):
        log.warning("Leaflet is not in %s (run scripts/fetch_leaflet.sh): the map loads it from the CDN",
                    vendor_dir)
        return False

    def rewrite(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, url in links:
            for pattern, rel in VENDOR_MAP:
                if re.search(pattern, url):
                    if rel:
                        out.append((name, f"{base_url}/{rel}"))
                    break
            else:
                log.warning("no local copy of %s: loaded from the CDN", url)
                out.append((name, url))
        return out

    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if links:
                setattr(el, attr, rewrite(list(links)))
    return True
