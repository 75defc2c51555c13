"""Data page: every layer and series with source, licence, date range, rows and build time; downloads; upload.

In Arabic the headings, captions, column labels and buttons are the catalogue's and the layers' descriptions are
translated; source titles, origins, licences, file names and the series' own names are shown as written (the
tables hold them as data; in text they are isolated and marked English). The upload section is its own module.
"""

from __future__ import annotations

import functools
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.acled_monthly import render_acled_monthly
from dashboard.html import esc, md
from dashboard.i18n import _, date_words, framing_words, iso, lang, missing_mark, tr
from pipeline.core.i18n import N_, number_text

LANG = lang()
AR = LANG == "ar"
# The map's layers (``View.layers``) and the downloadable layers by name, as words on the Arabic page.
LAYER_WORDS = {"boundaries": N_("boundaries"), "strip": N_("Gaza Strip"), "governorates": N_("Governorates"), "blocks": N_("blocks"), "zone": N_("zone"), "zones": N_("zones"),
               "incidents": N_("incidents"), "events": N_("incidents"), "places": N_("places"),
               "claims": N_("claims")}

view = state.view()
st.title(_("Data: sources, licences, downloads"))

man = data.manifest(data.bundle_key())
sources = {s["file"]: s for s in man.get("sources", [])}
built = str(man.get("built_at") or "")
if AR:
    when = f"{date_words(built)} {built[11:16]}" if len(built) >= 16 else _("n/a")
    st.caption(_("Bundle built {built} (UTC) by `python -m pipeline build` from the files in {raw}; each input's "
                 "sha256 is in {manifest}.").format(built=when, raw=iso("geodata/raw"),
                                                    manifest=iso("geodata/bundle/manifest.json")))
else:
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
    if not len(d):
        return ""
    return f"{date_words(d.min())} – {date_words(d.max())}" if AR else f"{d.min():%Y-%m-%d} – {d.max():%Y-%m-%d}"


rows = []
for name, meta in sorted(man.get("layers", {}).items()):
    ins = [sources.get(i, {"file": i}) for i in meta.get("inputs", [])]
    origins = sorted({s.get("origin") or s.get("title") or s["file"] for s in ins})
    licences = sorted({s.get("licence") or _("not recorded") for s in ins})
    rows.append({"layer": name, "description": tr(meta.get("description", "")), "rows": meta.get("rows"),
                 "date range": date_range(name), "source": "; ".join(origins) or _("derived"),
                 "licence": "; ".join(licences) or _("derived"), "built": man.get("built_at", "")})
st.subheader(_("Layers"))
# Column labels: the English page shows the columns' own names (unchanged); the Arabic page the catalogue's.
LABELS = {"layer": N_("layer"), "description": N_("description"), "rows": N_("rows"), "date range": N_("date range"),
          "source": N_("source"), "licence": N_("licence"), "built": N_("built"), "metric": N_("metric"),
          "first": N_("first"), "last": N_("last"), "unit": N_("unit"), "file": N_("file"), "title": N_("title"),
          "origin": N_("origin"), "caveat": N_("caveat"), "url": N_("url"), "sha256": N_("sha256")}


def labels(**config: Any) -> dict[str, Any]:
    """``column_config`` for a table: ``config`` where given, with the column's label in the page's language."""
    if not AR:
        return dict(config)
    out: dict[str, Any] = {k: _(v) for k, v in LABELS.items()}
    for k, c in config.items():
        c["label"] = _(LABELS[k])
        out[k] = c
    return out


st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder=missing_mark(),
             column_config=labels(description=st.column_config.TextColumn(width="large")))

series = data.layer("series")
if series is not None and len(series):
    st.subheader(_("Series"))
    g = series.groupby("metric").agg(rows=("value", "size"), first=("date", "min"), last=("date", "max"),
                                     unit=("unit", "first"),
                                     source=("source", lambda s: "; ".join(sorted(s.dropna().astype(str).unique()))))
    if AR:  # the units are the project's words (``dashboard.kpis.UNITS``); metric ids and sources stay as written
        g["unit"] = g["unit"].map(lambda u: tr(u) if isinstance(u, str) else u)
        g[["first", "last"]] = g[["first", "last"]].map(date_words)
    st.dataframe(g.reset_index(), hide_index=True, width="stretch", placeholder=missing_mark(), column_config=labels() or None)

st.subheader(_("Input files"))
src = pd.DataFrame(man.get("sources", []))
if len(src):
    cols = [c for c in ("file", "title", "origin", "licence", "caveat", "url", "sha256") if c in src]
    st.dataframe(src[cols], hide_index=True, width="stretch", placeholder=missing_mark(),
                 column_config=labels(url=st.column_config.LinkColumn("url"),
                                      sha256=st.column_config.TextColumn(width="small")))

st.subheader(_("Download the layers as filtered on the map"))
if AR:
    described = _("{date} · orders {framing} · incidents in the {days} days to the date").format(
        date=date_words(view.on), framing=framing_words(view.framing), days=view.window)
    shown = "، ".join(tr(LAYER_WORDS.get(n, n)) for n in view.layers) or _("none")
    st.caption(md(_("View: {view}; layers: {layers}.").format(view=described, layers=shown)) + " "
               + _("Incident rows from ACLED are never offered for download (its terms forbid passing rows on)."))
else:
    st.caption(f"View: {view.describe()}; layers: {', '.join(view.layers) or 'none'}. "
               "Incident rows from ACLED are never offered for download (its terms forbid passing rows on).")
with st.spinner(_("Preparing the filtered layers…")):
    layers = data.filtered_layers(view.on, view.since, view.window, list(view.layers))
if not layers:
    st.info(_("No layer is switched on in the sidebar."))
stamp = f"{view.on:%Y%m%d}"
for name, frame in layers.items():
    c0, c1, c2, c3 = st.columns([2, 1, 1, 1])
    if AR:
        c0.markdown(_("**{layer}** · {n} rows").format(layer=esc(tr(LAYER_WORDS.get(name, name))),
                                                        n=number_text(len(frame), LANG)))
    else:
        c0.markdown(f"**{esc(name)}** · {len(frame):,} rows")
    formats = [(c1, "geojson", "application/geo+json", "GeoJSON"), (c2, "csv", "text/csv", "CSV"),
               (c3, "gpkg", "application/geopackage+sqlite3", "GeoPackage")]
    if not isinstance(frame, gpd.GeoDataFrame):  # a table (claims): CSV only
        formats = [formats[1]]
    for col, fmt, mime, label in formats:
        ext = fmt
        col.download_button(
            _("Download {format}").format(format=label) if AR else label,
            data=functools.partial(data.to_bytes, frame, name, fmt),  # built on click only
            file_name=f"gaza-{name}-{stamp}.{ext}", mime=mime, key=f"dl_{name}_{fmt}", on_click="ignore")

st.divider()
st.subheader(_("Bring your own data"))
try:
    from dashboard.upload import render_upload_section
except ModuleNotFoundError as exc:
    if exc.name and exc.name.startswith("dashboard.upload"):
        st.info(_("The upload section (dashboard/upload.py) is not installed in this build yet."))
    else:
        raise
else:
    with st.container(key="gdm_upload_section"):  # its own module, translated there
        render_upload_section()

st.divider()
render_acled_monthly()  # imported ACLED layers by governorate and month (aggregates only)
