"""Warm the process-wide caches (bundle layers, metrics index) in a background thread.

The first visitor after the server starts would otherwise pay for reading every layer and building
the metrics index one after the other, on top of importing folium. Reading parquet and shapely
operations release the GIL, so the warm-up overlaps with that import and the sidebar.
Started once per process; failures are logged and left to the page, which reports them.
"""

from __future__ import annotations

import logging
import threading

from pipeline.runtime import bundle
from pipeline.runtime.metrics_index import index

log = logging.getLogger(__name__)
_started = threading.Event()

LAYERS = ("strip", "governorates", "blocks", "places", "orders", "order_blocks", "zones", "events", "series",
          "claims")


def _warm() -> None:
    try:
        for name in LAYERS:
            if name in bundle.layer_names():
                bundle.load_layer(name)
        index()
    except Exception:  # the page shows the real error when it asks for the same data
        log.exception("warming the bundle and metrics caches failed")


def start() -> None:
    """Start the warm-up thread unless it has run in this process already."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_warm, name="gdm-prewarm", daemon=True).start()
