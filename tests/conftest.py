"""Shared fixtures: the committed bundle, and small inline geometries in EPSG:32636."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "geodata" / "bundle"
RAW = ROOT / "geodata" / "raw"


def squares(cells: list[tuple[float, float, float, float]], **columns: list) -> gpd.GeoDataFrame:
    """Boxes given in metres in EPSG:32636 near Gaza, returned in EPSG:4326."""
    x0, y0 = 600_000.0, 3_470_000.0
    geoms = [box(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in cells]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=32636).to_crs(4326)


def data_page_apptest():
    """The Data page run in Streamlit's AppTest (its upload section is where imports are tried from the page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("dashboard/pages/data.py")
    return at.run()


@pytest.fixture()
def ws(tmp_path, monkeypatch) -> Path:
    """An empty workspace folder for the test (``GDM_WORKSPACE_DIR``)."""
    root = tmp_path / "workspace"
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(root))
    return root


# The throwaway PostgreSQL/PostGIS server and the two-backend workspace fixture (tests/pg_cluster.py).
from tests.pg_cluster import pg_url, postgres_server, workspace_backend  # noqa: E402, F401
