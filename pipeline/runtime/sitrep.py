"""A one-page A4 situation report of any date, in English or Arabic, drawn offline with matplotlib.

``sitrep_pdf(ix, on, since=None, window=7, lang="en", layers=None, base_url=None, bundle=None) -> bytes``
is what the command line (``python -m pipeline sitrep``) and the dashboard call. Every figure on the page
comes from :func:`pipeline.runtime.metrics.compute` and :func:`~pipeline.runtime.metrics.block_status` (the
web page's functions); the per-order impact of the orders in the window uses the index's ``covered``, as
``compute`` does. Fields ``compute`` may carry (``framing``, ``nearest_statement``,
``orders.reported_unmapped``) are shown when present; a figure without a value prints "no data", never 0.

The font is matplotlib's own DejaVu Sans (it has Arabic); matplotlib shapes and orders Arabic itself, so
strings are never pre-shaped.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from pipeline.core import settings
from pipeline.core.dates import to_date
from pipeline.core.errors import InputError
from pipeline.runtime import order_impact
from pipeline.runtime.bundle import load_layer, load_manifest
from pipeline.runtime.metrics import SERIES_MAX_GAP_DAYS, WAR_START, block_status, compute
from pipeline.runtime.metrics_index import Index, index
from pipeline.runtime.sitrep_layout import Column, Measure
from pipeline.runtime.sitrep_map import MAP_LAYERS, MapView, base_layers, draw_map
from pipeline.runtime.sitrep_text import GOV_AR, LANGS, Words, layer_name

PAGE = (8.27, 11.69)  # A4 portrait, inches
MARGIN = 0.45
MAP_BOX = (4.8, 6.3)  # the largest element on the page
MAP_WIDTH_AR = 4.65  # Arabic lines run longer: the figures column beside the map gets a little more room
GAP = 0.22
MAX_ORDER_ROWS = 9
MEASURE = Measure()  # text widths, shared by every page (cached, thread-safe)
PAGE_LAYERS = ("strip", "governorates", "blocks", "localities", "orders", "order_blocks", "zones", "events",
               "places", "series", "claims")


# ---------------------------------------------------------------- inputs

def data_span(ix: Index) -> tuple[date, date]:
    """The dates a report can show: from 7 Oct 2023 (the figures' start) or the first dated row if later, to the
    last order or dated series row."""
    d = pd.concat([pd.to_datetime(ix.orders["issued_on"]), pd.to_datetime(ix.series["date"])]).dropna()
    return max(d.min().date(), WAR_START), d.max().date()


def check_request(ix: Index, on: date | str, since: date | str | None, window: int, lang: str
                  ) -> tuple[date, date | None]:
    """The dates of a request, or :class:`InputError` naming what is wrong and what is accepted."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}", field="lang", fix=f"choose one of {', '.join(LANGS)}")
    lo, hi = data_span(ix)
    d_on = to_date(on, "on")
    if not lo <= d_on <= hi:
        raise InputError(f"{d_on.isoformat()} is outside the data, which spans {lo.isoformat()} to {hi.isoformat()}",
                         field="on", fix="choose a date in that span")
    d_since = None if since is None else to_date(since, "since")
    if int(window) < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    return d_on, d_since


def dashboard_link(base_url: str, on: str, since: str, window: int, layers: Sequence[str]) -> str:
    """The dashboard URL of the same view (the Map page reads date, since, window and layers from it)."""
    q: list[tuple[str, str]] = [("date", on), ("since", since), ("window", str(window))]
    if set(layers) != set(MAP_LAYERS):
        q += [("layers", name.capitalize()) for name in layers]
    return f"{base_url.rstrip('/')}/?{urlencode(q)}"


def page_sources(manifest: dict[str, Any], layers: Iterable[str], lang: str) -> list[str]:
    """One entry per source repository and licence: ``origin (licence): the layers it feeds``."""
    by_file = {s["file"]: s for s in manifest.get("sources", [])}
    groups: dict[tuple[str, str], list[str]] = {}
    for layer in layers:
        for f in manifest["layers"].get(layer, {}).get("inputs", []):
            s = by_file.get(f.get("file") if isinstance(f, dict) else f)
            if s is None:
                continue
            origin = str(s.get("origin", "")).split(" @")[0].split(",")[0].strip()
            name = layer_name(layer, lang)
            feeds = groups.setdefault((origin, str(s.get("licence", "")) or "?"), [])
            if name not in feeds:
                feeds.append(name)
    iso = Words(lang).iso
    return [f"{iso(f'{o} ({lic})')}: {'، '.join(feeds) if lang == 'ar' else ', '.join(feeds)}"
            for (o, lic), feeds in groups.items()]


def framing_of(m: dict[str, Any], w: Words) -> str:
    """The framing ``compute`` names (when it does), else the rule the default follows."""
    f = m.get("framing")
    if isinstance(f, dict):
        f = f.get(f"label_{w.lang}") or f.get("label") or f.get("name")
    if isinstance(f, str) and f and not w.rtl:
        return f
    since = date.fromisoformat(m["since"])
    if since == settings.get(settings.GRID_PUBLISHED_ON):
        return w.t("framing_grid", since=w.date(since))
    if since == WAR_START:
        return w.t("framing_war")
    return w.t("framing_date", since=w.date(since))


def _d(value: Any) -> date | None:
    if value is None or value != value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _day(value: Any) -> date:
    """A date ``compute`` always gives (``on``, ``since``, a window's first day)."""
    d = _d(value)
    if d is None:
        raise ValueError(f"expected a date, got {value!r}")
    return d


# ---------------------------------------------------------------- page sections

def _figure(col: Column, label: str, value: str, definition: str, source: str) -> None:
    col.para(label, 6.8, weight="bold", colour="#444444", after=0.5)
    col.para(value, 9.0, weight="bold", colour="#111111", after=0.5)
    col.para(definition, 6.0, colour="#333333", after=0.3)
    col.para(source, 5.4, colour="#666666", after=3.5)


def _src(w: Words, sources: Any, as_of: Any) -> str:
    items = list(sources) if isinstance(sources, (list, tuple)) else [sources or w.t("no_data")]
    text = "; ".join(w.iso(str(x)) for x in items)
    d = _d(as_of)
    return w.t("source", source=text, as_of=w.t("as_of", d=w.short_date(d))) if d else w.t("source_only", source=text)


def _statement(m: dict[str, Any]) -> dict[str, Any] | None:
    """OCHA's nearest statement on the same framing (``compute()["reference"]``), if any."""
    st = m.get("reference")
    return st if isinstance(st, dict) and st else None


def _statement_line(st: dict[str, Any], w: Words) -> str:
    theirs = w.pct(float(st["ocha_share_pct"]) / 100) if st.get("ocha_share_pct") is not None else \
        f"{w.dec(st.get('figure'))} {st.get('unit') or ''}".strip()
    # the definition is OCHA's English: the English page quotes it, the Arabic page says it in its own words
    definition = "" if w.rtl else f" ({st.get('definition') or ''})"
    ours = (st.get("ours") or {}).get("share_pct")
    if st.get("comparable", True) and ours is not None and st.get("gap_points") is not None:
        text = w.t("reference", theirs=theirs, definition=definition, ours=w.pct(float(ours) / 100),
                   gap=f"{float(st['gap_points']):+.1f}")
    else:
        text = w.t("reference_other", theirs=theirs, definition=definition)
    line = w.t("statement", d=w.date(_d(st.get("stated_on"))), text=text)
    src = st.get("attributed_to")
    return f"{line} ({w.iso(str(src))})" if src else line


def _value_or_none(d: dict[str, Any] | None, fmt: Callable[[Any], str]) -> str | None:
    if not isinstance(d, dict) or d.get("value") is None:
        return None
    return fmt(d["value"])


def _area_figures(col: Column, m: dict[str, Any], w: Words) -> None:
    o, on, since = m["orders"], _d(m["on"]), _d(m["since"])
    _figure(col, w.t("area"), w.t("area_value", km2=w.dec(o["area_km2"]), pct=w.pct(o["share_of_strip"])),
            w.t("area_def", since=w.date(since), on=w.date(on)), _src(w, o.get("sources"), on))
    st = _statement(m)
    if st is not None:
        col.para(_statement_line(st, w), 6.0, colour="#1f3b73", after=4.0)
    r = o["recent"]
    _figure(col, w.t("recent", days=w.days(m["window"])),
            w.t("recent_value", km2=w.dec(r["area_km2"]), pct=w.pct(r["share_of_strip"]), blocks=w.num(r["blocks"])),
            w.t("recent_def", start=w.date(_d(r["from"])), on=w.date(on)), _src(w, r.get("sources"), on))
    _figure(col, w.t("pop"), w.t("pop_value", n=w.num(round(o["population_prewar_est"], -2))), w.t("pop_def"),
            _src(w, w.t("pop_source"), None))


def _other_figures(col: Column, m: dict[str, Any], w: Words) -> None:
    on, z, s, ser = _d(m["on"]), m["zone"], m["strikes"], m["series"]
    zone_value = w.t("zone_value", km2=w.dec(z["area_km2"])) if z.get("zone_id") else w.t("zone_none")
    _figure(col, w.t("zone"), zone_value, w.t("zone_def", valid_from=w.date(_d(z.get("valid_from")))),
            _src(w, z.get("sources"), z.get("valid_from")))
    _figure(col, w.t("incidents"), w.t("incidents_value", n=w.num(s["count"]), deaths=w.num(s["fatalities"])),
            w.t("incidents_def", start=w.date(_d(s["from"])), on=w.date(on), inside=w.num(s["inside_zone"])),
            _src(w, s.get("sources"), on))
    k = ser["killed_cumulative"]
    _figure(col, w.t("killed"), _value_or_none(k, w.num) or w.t("no_data"), w.t("killed_def"),
            _src(w, k.get("source"), k.get("as_of")))
    day, month = ser.get("aid_trucks"), ser.get("aid_trucks_month")
    parts = [w.t("trucks_day", n=v) for v in [_value_or_none(day, w.num)] if v]
    if (mv := _value_or_none(month, w.num)) is not None:
        parts.append(w.t("trucks_month", n=mv, month=w.month(_day(month["as_of"]))))
    srcs = [x.get("source") for x in (day, month) if isinstance(x, dict) and x.get("source")]
    _figure(col, w.t("trucks"), ("، " if w.rtl else "; ").join(parts) or w.t("no_data"), w.t("trucks_def"),
            _src(w, srcs, (day or {}).get("as_of") or (month or {}).get("as_of")))


def _order_notes(col: Column, m: dict[str, Any], w: Words) -> None:
    o = m["orders"]
    unmapped = o.get("reported_unmapped") or {}
    if unmapped.get("count"):
        items = [w.short_date(_d(u.get("reported_on"))) + ("" if w.rtl else f" {u.get('area_named') or ''}".rstrip())
                 for u in unmapped.get("items") or []]
        col.para(w.t("unmapped", items="; ".join(items)), 5.8, colour="#444444", after=2.0, max_lines=3)
    if o.get("unplaced_order_ids"):
        col.para(w.t("unplaced", items=", ".join(o["unplaced_order_ids"])), 5.8, colour="#444444", after=2.0,
                 max_lines=2)


def order_impacts(ix: Index, start: date, on: date, facilities: pd.DataFrame,
                  blocks: pd.DataFrame) -> list[dict[str, Any]]:
    """Each order issued in [start, on] with what it touched on its own (``order_impact``, the function the Orders
    page, the Map page's cards and ``python -m pipeline orders`` use): blocks, km², pre-war people, facilities."""
    out = []
    for r in order_impact.impact_table(ix, facilities, blocks, start=start, end=on):
        if r["scope"] != "order":
            continue
        mapped = bool(r.get("mapped"))
        out.append({"order_id": r["order_id"], "issued_on": _day(r["issued_on"]), "source": r.get("source_name"),
                    "blocks": r["blocks"]["count"] if mapped else None,
                    "area_km2": r["area_km2"] if mapped else None,
                    "people": r["population_prewar_est"] if mapped else None,
                    "facilities": r["facilities"]["total"] if mapped else None})
    return sorted(out, key=lambda x: (x["issued_on"], x["order_id"]))


def _orders_table(col: Column, ix: Index, m: dict[str, Any], w: Words, layers: dict[str, pd.DataFrame]) -> None:
    col.para(w.t("orders"), 8.5, weight="bold", after=2.0)
    rows = order_impacts(ix, _day(m["orders"]["recent"]["from"]), _day(m["on"]), layers["facilities"],
                         layers["blocks"])
    if not rows:
        col.para(w.t("orders_none"), 6.5, after=3.0)
    stops = [(0, .16, "left"), (.16, .32, "left"), (.32, .63, "left"), (.63, .72, "right"), (.72, .81, "right"),
             (.81, 1, "right")]
    if rows:
        col.row([w.t(k) for k in ("col_date", "col_order", "col_source", "col_blocks", "col_km2", "col_people")],
                stops, 6.0, weight="bold", colour="#444444")
        col.rule(after=2.5)
    for r in rows[:MAX_ORDER_ROWS]:
        col.row([w.short_date(r["issued_on"]), r["order_id"], str(r["source"]), w.num(r["blocks"]) if r["blocks"] is not
                 None else w.t("no_data"), w.dec(r["area_km2"]), w.num(r["people"])], stops, 6.0)
    if len(rows) > MAX_ORDER_ROWS:
        col.para(w.t("orders_more", n=w.num(len(rows) - MAX_ORDER_ROWS)), 6.0, colour="#555555")
    col.y -= 3.0 / 72
    _order_notes(col, m, w)


def _people(col: Column, m: dict[str, Any], w: Words) -> None:
    p = m["population_shares"]
    col.para(w.t("people"), 8.5, weight="bold", after=2.0)
    if p["basis"] == "series":
        unit = w.unit(p["unit"])
        method = w.data_text(p["method"].split(". ")[0] + ".")  # the rest: "at most" in the table
        col.para(w.t("people_series", unit=unit, d=w.date(_d(p["as_of"])), method=method), 5.8, colour="#444444",
                 after=2.0, max_lines=7)
    else:
        col.para(w.t("people_prewar", days=w.days(SERIES_MAX_GAP_DAYS), source="; ".join(map(w.iso, p["sources"]))), 5.8,
                 colour="#444444", after=2.0, max_lines=4)
    stops = [(0, .36, "left"), (.36, .8, "right"), (.8, 1, "right")]
    col.row([w.t("col_gov"), w.t("col_people_n"), w.t("col_share")], stops, 6.0, weight="bold", colour="#444444")
    col.rule(after=2.5)
    for pcode, g in p["by_governorate"].items():
        name = GOV_AR.get(pcode, g["name"]) if w.rtl else g["name"]
        value = w.num(g["value"]) + (f" ({w.t('at_most')})" if g.get("flag") else "")
        col.row([name, value, w.pct(g["share"])], stops, 6.0)
    col.para(w.t("south", pct=w.pct(p["south_share"])), 6.3, weight="bold", after=2.0)
    c = p.get("claim")
    if c:
        claim = w.data_text(c["claim"])
        figure = w.pct(c["share_south"], 0) if c.get("share_south") is not None else ""
        col.para(w.t("claim", d=w.date(_d(c["date"])), who=w.iso(str(c.get("source") or c.get("attributed_to"))),
                     figure=figure,
                     claim=claim), 5.8, colour="#1f3b73", after=2.0, max_lines=3)


def _footer(col: Column, manifest: dict[str, Any], link: str, w: Words) -> None:
    col.rule(after=3.0)
    col.para(w.t("sources"), 7.0, weight="bold", after=1.0)
    notes = [w.iso(n) for n in [manifest["layers"].get("places", {}).get("licence_note")] if n]
    col.para(" · ".join(page_sources(manifest, PAGE_LAYERS, w.lang) + notes), 5.6, colour="#444444", after=2.0)
    built = _d(manifest.get("built_at"))
    made = datetime.now(timezone.utc).date()
    col.para(w.t("built", built=w.date(built), made=w.date(made)), 5.8, colour="#444444", after=1.0)
    col.para(w.t("link", url=w.iso(link)), 6.5, colour="#1f3b73", after=0.0)


# ---------------------------------------------------------------- the page

def _columns(fig: Figure, measure: Measure, top: float, rtl: bool, scale: float) -> tuple[list[float], Column]:
    """The map's rectangle [x, y, w, h] (inches) and the figures column beside it."""
    W, _ = PAGE
    mw, mh = (MAP_WIDTH_AR if rtl else MAP_BOX[0]), MAP_BOX[1]  # the map keeps its size; text shrinks first
    map_x = W - MARGIN - mw if rtl else MARGIN
    side = (MARGIN, map_x - GAP) if rtl else (MARGIN + mw + GAP, W - MARGIN)
    return [map_x, top - mh, mw, mh], Column(fig, measure, side[0], side[1], top, rtl, scale)


SCALES = (1.0, 0.95, 0.9, 0.85)  # tried in turn until the page's last line ends above the bottom margin


def sitrep_figure(ix: Index, on: date | str, *, since: date | str | None = None, window: int = 7,
                  lang: str = "en", layers: Sequence[str] | None = None, base_url: str | None = None,
                  bundle: str | Path | None = None) -> Figure:
    """The report page as a matplotlib figure (see :func:`sitrep_pdf`)."""
    d_on, d_since = check_request(ix, on, since, window, lang)
    layers = tuple(MAP_LAYERS if layers is None else [x for x in layers if x in MAP_LAYERS])
    m = compute(ix, d_on, since=d_since, window=int(window))
    status = block_status(ix, d_on, m["since"], int(window))
    link = dashboard_link(base_url or settings.get(settings.DASHBOARD_URL), m["on"], m["since"], m["window"], layers)
    page = {"m": m, "status": status, "w": Words(lang), "layers": layers, "link": link,
            "manifest": load_manifest(bundle), "base": base_layers(bundle),
            "impact_layers": {"facilities": load_layer("facilities", bundle), "blocks": load_layer("blocks", bundle)}}
    for scale in SCALES:
        fig, bottom = _page(ix, page, scale)
        if bottom >= MARGIN - 0.05:
            break
    return fig


def _page(ix: Index, page: dict[str, Any], scale: float) -> tuple[Figure, float]:
    """(the page drawn at ``scale``, the bottom of its last line in inches)."""
    m, w, d_on = page["m"], page["w"], _day(page["m"]["on"])
    fig = Figure(figsize=PAGE)
    W, H = PAGE
    head = Column(fig, MEASURE, MARGIN, W - MARGIN, H - MARGIN, w.rtl, scale)
    head.para(w.t("title", on=w.date(d_on)), 14.0, weight="bold", colour="#111111", after=2.0)
    head.para(w.t("framing", framing=framing_of(m, w), days=w.days(m["window"]),
                  start=w.date(_d(m["strikes"]["from"])), on=w.date(d_on)), 7.8, colour="#333333", after=6.0)
    rect, side = _columns(fig, MEASURE, head.y, w.rtl, scale)
    ax = fig.add_axes((rect[0] / W, rect[1] / H, rect[2] / W, rect[3] / H))
    view = MapView(on=d_on, since=_day(m["since"]), start=_day(m["strikes"]["from"]), window=int(m["window"]),
                   zone_id=m["zone"].get("zone_id"), layers=page["layers"])
    draw_map(ax, page["base"], page["status"], view, w, (rect[2], rect[3]))
    side.para(w.t("figures"), 9.0, weight="bold", after=4.0)
    _area_figures(side, m, w)
    _other_figures(side, m, w)
    ox = (W - MARGIN - rect[2], W - MARGIN) if w.rtl else (MARGIN, MARGIN + rect[2])
    px = (MARGIN, W - MARGIN - rect[2] - GAP) if w.rtl else (MARGIN + rect[2] + GAP, W - MARGIN)
    # the orders under the map, where people are under the figures: each starts where its column ends
    orders = Column(fig, MEASURE, *ox, rect[1] - 0.14, w.rtl, scale)
    people = Column(fig, MEASURE, *px, min(rect[1], side.y) - 0.14, w.rtl, scale)
    _orders_table(orders, ix, m, w, page["impact_layers"])
    _people(people, m, w)
    foot = Column(fig, MEASURE, MARGIN, W - MARGIN, min(orders.y, people.y) - 0.06, w.rtl, scale)
    _footer(foot, page["manifest"], page["link"], w)
    return fig, foot.y


def sitrep_pdf(ix: Index, on: date | str, *, since: date | str | None = None, window: int = 7, lang: str = "en",
               layers: Sequence[str] | None = None, base_url: str | None = None,
               bundle: str | Path | None = None) -> bytes:
    """One A4 portrait PDF page for ``on``: title and framing, map, headline figures with definitions and
    sources, the orders issued in the window, where people are, sources and licences, the dashboard link.

    ``since``/``window`` as in :func:`~pipeline.runtime.metrics.compute`; ``lang`` "en" or "ar" (right to left);
    ``layers`` a subset of ``MAP_LAYERS`` (default: all); ``base_url`` of the dashboard (default: the
    ``dashboard_url`` setting). Raises :class:`InputError` for a date outside the data or an unknown language.
    """
    fig = sitrep_figure(ix, on, since=since, window=window, lang=lang, layers=layers, base_url=base_url,
                        bundle=bundle)
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType subsets: smaller, and text extracts cleanly
        fig.savefig(buf, format="pdf", metadata={"Title": f"Gaza Strip situation report {on}", "Creator": "pipeline"})
    return buf.getvalue()


def _check_writable(path: Path) -> None:
    parent = path.resolve().parent
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder", field="-o", fix="give a file name")
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: the folder {parent} does not exist", field="-o")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"cannot write {path}: permission denied", field="-o")


def cli(args: argparse.Namespace) -> int:
    """``python -m pipeline sitrep --on D [--since D] [--window N] [--lang en|ar] [-o FILE]``."""
    out = Path(args.output or f"sitrep-{args.on}-{args.lang}.pdf")
    _check_writable(out)
    data = sitrep_pdf(index(), args.on, since=args.since, window=args.window, lang=args.lang,
                      base_url=args.base_url)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", field="-o") from None
    print(f"{out} ({len(data):,} bytes)", file=sys.stderr)
    return 0

