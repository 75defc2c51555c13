"""Data page: every layer and series with source, licence, date range, rows and build time; downloads; upload."""

from __future__ import annotations

import functools

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.acled_monthly import render_acled_monthly
from dashboard.html import esc

view = state.view()
st.title("Data: sources, licences, downloads")

man = data.manifest(data.bundle_key())
sources = {s["file"]: s for s in man.get("sources", [])}
st.caption(f"Bundle built {man.get('built_at', 'n/a')} (UTC) by `python -m pipeline build` from the files in "
           "geodata/raw; each input's sha256 is in geodata/bundle/manifest.json.")

DATE_COLS = {"orders": "issued_on", "order_blocks": None, "events": "date", "series": "date", "claims": "date",
             "zones": "valid_from"}


def date_range(name: str) -> str:
    col = DATE_COLS.get(name)
    frame = data.layer(name)
    if not col or frame is None or col not in frame:
        return ""
    d = pd.to_datetime(frame[col], errors="coerce").dropna()
    return f"{d.min():%Y-%m-%d} – {d.max():%Y-%m-%d}" if len(d) else ""


rows = []
for name, meta in sorted(man.get("layers", {}).items()):
    ins = [sources.get(i, {"file": i}) for i in meta.get("inputs", [])]
    origins = sorted({s.get("origin") or s.get("title") or s["file"] for s in ins})
    licences = sorted({s.get("licence") or "not recorded" for s in ins})
    rows.append({"layer": name, "description": meta.get("description", ""), "rows": meta.get("rows"),
                 "date range": date_range(name), "source": "; ".join(origins) or "derived",
                 "licence": "; ".join(licences) or "derived", "built": man.get("built_at", "")})
st.subheader("Layers")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={"description": st.column_config.TextColumn(width="large")})

series = data.layer("series")
if series is not None and len(series):
    st.subheader("Series")
    g = series.groupby("metric").agg(rows=("value", "size"), first=("date", "min"), last=("date", "max"),
                                     unit=("unit", "first"),
                                     source=("source", lambda s: "; ".join(sorted(s.dropna().astype(str).unique()))))
    st.dataframe(g.reset_index(), hide_index=True, width="stretch")

st.subheader("Input files")
src = pd.DataFrame(man.get("sources", []))
if len(src):
    cols = [c for c in ("file", "title", "origin", "licence", "caveat", "url", "sha256") if c in src]
    st.dataframe(src[cols], hide_index=True, width="stretch",
                 column_config={"url": st.column_config.LinkColumn("url"),
                                "sha256": st.column_config.TextColumn(width="small")})

st.subheader("Download the layers as filtered on the map")
st.caption(f"View: {view.describe()}; layers: {', '.join(view.layers) or 'none'}. "
           "Incident rows from ACLED are never offered for download (its terms forbid passing rows on).")
with st.spinner("Preparing the filtered layers…"):
    layers = data.filtered_layers(view.on, view.since, view.window, list(view.layers))
if not layers:
    st.info("No layer is switched on in the sidebar.")
stamp = f"{view.on:%Y%m%d}"
for name, frame in layers.items():
    c0, c1, c2, c3 = st.columns([2, 1, 1, 1])
    c0.markdown(f"**{esc(name)}** · {len(frame):,} rows")
    formats = [(c1, "geojson", "application/geo+json", "GeoJSON"), (c2, "csv", "text/csv", "CSV"),
               (c3, "gpkg", "application/geopackage+sqlite3", "GeoPackage")]
    if not isinstance(frame, gpd.GeoDataFrame):  # a table (claims): CSV only
        formats = [formats[1]]
    for col, fmt, mime, label in formats:
        ext = fmt
        col.download_button(
            label,
            data=functools.partial(data.to_bytes, frame, name, fmt),  # built on click only
            file_name=f"gaza-{name}-{stamp}.{ext}", mime=mime, key=f"dl_{name}_{fmt}", on_click="ignore")

st.divider()
st.subheader("Bring your own data")
try:
    from dashboard.upload import render_upload_section
except ModuleNotFoundError as exc:
    if exc.name and exc.name.startswith("dashboard.upload"):
        st.info("The upload section (dashboard/upload.py) is not installed in this build yet.")
    else:
        raise
else:
    render_upload_section()

st.divider()
render_acled_monthly()  # imported ACLED layers by governorate and month (aggregates only)
