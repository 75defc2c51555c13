"""KPI cards and attributed claims from ``pipeline.metrics.compute``'s JSON (no streamlit import)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.html import esc, fmt_date, fmt_int, is_missing, md


def sources_text(value: Any) -> str:
    """A readable source line from a string, a list of strings or a list of dicts."""
    if is_missing(value) or value in ("", [], {}):
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    out = []
    for v in value:
        if isinstance(v, dict):
            out.append(" ".join(str(v.get(k)) for k in ("name", "title", "source", "url") if v.get(k)))
        else:
            out.append(str(v))
    return "; ".join(o for o in out if o)


def share_percent(orders: dict[str, Any]) -> float | None:
    """The share of the Strip under orders in per cent (the metric gives a fraction 0-1)."""
    v = orders.get("share_of_strip")
    if is_missing(v):
        return None
    v = float(v)
    return v * 100 if v <= 1.0 else v


def _help(definition: Any, source: Any, extra: str = "") -> str:
    """Markdown for st.metric's help: the definition and the source, escaped (they come from data)."""
    text = str(definition or "").strip()
    if extra:
        text = f"{text} {extra}".strip()
    return f"{md(text)}\n\nSource: {md(sources_text(source))}"


def kpis(m: dict[str, Any]) -> list[dict[str, str]]:
    """Nine KPI cards: label, value (text) and help (definition + source, markdown)."""
    orders = m.get("orders") or {}
    zone = m.get("zone") or {}
    strikes = m.get("strikes") or {}
    series = m.get("series") or {}
    window = m.get("window")
    share = share_percent(orders)
    area = orders.get("area_km2")
    cards = [
        {"label": "Area under orders",
         "value": "n/a" if is_missing(area) else f"{float(area):,.1f} km²",
         "help": _help(orders.get("definition"), orders.get("sources"))},
        {"label": "Share of the Strip", "value": "n/a" if share is None else f"{share:.1f}%",
         "help": _help(orders.get("definition"), orders.get("sources"),
                       f"Strip area: {orders.get('strip_area_km2') or 'n/a'} km².")},
        {"label": "Pre-war pop. in ordered blocks",
         "value": "~" + fmt_int(orders.get("population_prewar_est"), "0"),
         "help": _help(orders.get("definition"), orders.get("sources"),
                       "Population: sum of the blocks' pre-war estimates (dasymetric; see Method).")},
        {"label": "Blocks under orders", "value": fmt_int(orders.get("blocks"), "0"),
         "help": _help(orders.get("definition"), orders.get("sources"))},
    ]
    if zone and not is_missing(zone.get("area_km2")):
        zval = f"{float(zone['area_km2']):,.1f} km²"
        zextra = f"Declared from {fmt_date(zone.get('valid_from'))}" + (
            f" to {fmt_date(zone.get('valid_to'))}." if not is_missing(zone.get("valid_to")) else " (still declared).")
    else:
        zval, zextra = "none declared", ""
    cards.append({"label": "Humanitarian zone", "value": zval,
                  "help": _help(zone.get("definition") or "Area of the humanitarian zone declared on the date.",
                                zone.get("sources"), zextra)})
    cards.append({"label": f"Incidents, {window} days", "value": fmt_int(strikes.get("count"), "0"),
                  "help": _help(strikes.get("definition"), strikes.get("sources"),
                                f"Inside a declared humanitarian zone: {fmt_int(strikes.get('inside_zone'), '0')}.")})
    cards.append({"label": f"Reported deaths, {window} days", "value": fmt_int(strikes.get("fatalities"), "0"),
                  "help": _help(strikes.get("definition"), strikes.get("sources"),
                                "Sum of the fatalities the incident datasets report (where known).")})
    for key, label in (("killed_cumulative", "Killed since 7 Oct (cum.)"), ("aid_trucks", "Aid trucks (day)")):
        s = series.get(key) or {}
        val = s.get("value")
        text = "n/a" if is_missing(val) else fmt_int(val)
        as_of = fmt_date(s.get("as_of"))
        cards.append({"label": label, "value": text,
                      "help": _help(s.get("definition"), s.get("source"),
                                    (f"As of {as_of}." if as_of else "") +
                                    (f" Unit: {s.get('unit')}." if s.get("unit") else ""))})
    return cards


def population_comparison(m: dict[str, Any] | None) -> str:
    """Escaped HTML: our population share in the south beside the attributed claim, never merged."""
    items: list[str] = []
    shares = (m or {}).get("population_shares") or {}
    if isinstance(shares, dict) and not is_missing(shares.get("south_share")):
        v = share_pct(shares["south_share"])
        basis = "advertising-audience estimate" if shares.get("basis") == "series" else "pre-war baseline"
        items.append(
            f'<li class="gdm-ours"><b>{v:.1f}%</b> of the population in the three southern governorates '
            f"(Deir al-Balah, Khan Younis, Rafah) on {esc(fmt_date(shares.get('as_of')))}: our figure, "
            f"{esc(basis)}{', ' + esc(shares.get('unit')) if shares.get('unit') else ''}"
            f"{', some governorates at most' if shares.get('any_at_most') else ''} "
            f"<i>(source: {esc(sources_text(shares.get('sources')))})</i></li>")
        c = shares.get("claim")
        if isinstance(c, dict):
            cv = c.get("share_south")
            fig = f"{share_pct(cv):.0f}%" if not is_missing(cv) else esc(figure_text(c.get("figure")))
            items.append(f'<li class="gdm-claim"><b>about {fig}</b> in the south, '
                         f"<i>according to {esc(c.get('attributed_to'))}</i> ({esc(c.get('source'))}, "
                         f"{esc(fmt_date(c.get('date')))})</li>")
    if not items:
        return ""
    return '<ul class="gdm-claims" style="margin:0;padding-left:18px">' + "".join(items) + "</ul>"


def share_pct(v: Any) -> float:
    v = float(v)
    return v * 100 if v <= 1 else v


def figure_text(v: Any) -> str:
    if is_missing(v):
        return ""
    try:
        f = float(v)
        return f"{int(f):,}" if f.is_integer() else f"{f:,}"
    except (TypeError, ValueError):
        return str(v)


def claims_list(claims: pd.DataFrame | None) -> str:
    """Escaped HTML list of the reported events (attributed claims) of the window."""
    items: list[str] = []
    if claims is not None and len(claims):
        for r in claims.sort_values("date").itertuples():
            fig = figure_text(getattr(r, "figure", None))
            unit = getattr(r, "unit", None)
            fig = f"{fig} {unit}" if fig and not is_missing(unit) and unit else fig
            items.append(f"<li>{esc(fmt_date(r.date))}: {esc(r.claim)}"
                         f"{': <b>' + esc(fig) + '</b>' if fig else ''}, "
                         f"<i>according to {esc(getattr(r, 'attributed_to', 'unknown'))}</i></li>")
    if not items:
        return ""
    return ('<ul class="gdm-claims" style="margin:0;padding-left:18px;font-size:0.9rem">'
            + "".join(dict.fromkeys(items)) + "</ul>")
