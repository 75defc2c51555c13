"""KPI cards, the lists under the map and attributed claims from ``pipeline.metrics.compute``'s JSON, in a given language
(the data's own words marked as written; no streamlit import)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from dashboard.html import as_float, bidi, esc, fmt_date, fmt_int, is_missing, md, num_unit, template
from pipeline.core.i18n import DEFAULT, N_, is_rtl, isolate, translator
from pipeline.runtime import metrics as pm


def html_list(cls: str, items: list[str], *, small: bool = True, lang: str = DEFAULT) -> str:
    """``items`` (already escaped ``<li>`` elements) as one list of class ``cls``; "" when there is none. In a
    right-to-left language the list reads right to left (``dir``), its bullets on the right."""
    if not items:
        return ""
    size = ";font-size:0.9rem" if small else ""
    if is_rtl(lang):
        return (f'<ul class="{cls}" dir="rtl" lang="{esc(lang)}" style="margin:0;padding-right:18px{size}">'
                + "".join(items) + "</ul>")
    return f'<ul class="{cls}" style="margin:0;padding-left:18px{size}">' + "".join(items) + "</ul>"


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
    v = as_float(orders.get("share_of_strip"))
    if v is None:
        return None
    return v * 100 if v <= 1.0 else v


def definition_text(text: str, lang: str = DEFAULT) -> str:
    """A definition from ``pipeline.runtime.metrics`` in ``lang`` (composed ones from their parts)."""
    _ = translator(lang)
    if text == f"{pm.DEF_ORDERS} {pm.DEF_POP}":
        return f"{_(pm.DEF_ORDERS)} {_(pm.DEF_POP)}"
    if text == pm.DEF_SHARES.format(gap=pm.SERIES_MAX_GAP_DAYS):
        return _(pm.DEF_SHARES).format(gap=pm.SERIES_MAX_GAP_DAYS)
    return _(text)


def _help(definition: Any, source: Any, extra: str = "", lang: str = DEFAULT) -> str:
    """Markdown for st.metric's help: the definition (in ``lang``: definitions are ``N_``-marked where they are
    made) and the source, escaped (they come from data)."""
    _ = translator(lang)
    text = definition_text(str(definition).strip(), lang) if definition else ""
    if extra:
        text = f"{text} {extra}".strip()
    sources = sources_text(source)
    # the template is the project's own text (its colon stays a colon); the text from data is escaped
    return md(text) + "\n\n" + _("Source: {sources}").format(sources=md(isolate(sources) if is_rtl(lang) else sources))


NO_DATA = N_("no data")
# The series' units (``pipeline.runtime.metrics``), shown in the cards' help.
UNITS = (N_("people"), N_("adults (18+)"), N_("trucks per day"), N_("trucks per month"), N_("trucks"))


def _coverage(part: dict[str, Any], lang: str = DEFAULT) -> str:
    """ "No data for this date (source covers 7 Oct 2023 to 13 Mar 2024)." or "" inside the coverage."""
    _ = translator(lang)
    status = str(part.get("status") or "")
    if not status.startswith("no data"):
        return ""
    cov = part.get("coverage") or {}
    if cov.get("from") and cov.get("to"):
        return _("No data for this date (source covers {start} to {end}).").format(
            start=fmt_date(cov.get("from"), lang), end=fmt_date(cov.get("to"), lang))
    return _("No data for this date.")


def _value(part: dict[str, Any], key: str = "value", lang: str = DEFAULT) -> str:
    """A card's value: the figure, "no data" outside its source's coverage, marked when interpolated."""
    _ = translator(lang)
    if _coverage(part):
        return _(NO_DATA)
    val = part.get(key)
    if is_missing(val):
        return _("n/a")
    return fmt_int(val) + (_(" (interpolated)") if part.get("filled") else "")


def kpis(m: dict[str, Any], lang: str = DEFAULT) -> list[dict[str, str]]:
    """Nine KPI cards: label, value (text) and help (definition + source, markdown), in ``lang``.

    Outside a source's coverage a card reads "no data" and its help says what the source covers; inside it a
    zero is a zero. Interpolated values are marked.
    """
    _ = translator(lang)
    orders = m.get("orders") or {}
    zone = m.get("zone") or {}
    strikes = m.get("strikes") or {}
    series = m.get("series") or {}
    window = m.get("window")
    share = share_percent(orders)
    area = as_float(orders.get("area_km2"))
    na = _("n/a")

    def km2(value: float) -> str:
        return _("{value} km²").format(value=f"{value:,.1f}")

    def hlp(part: dict[str, Any], extra: str = "", definition: Any = None, source: Any = None) -> str:
        return _help(definition or part.get("definition"), source or part.get("sources"), extra, lang)

    cards = [
        {"label": _("Area under orders"), "value": na if area is None else km2(area), "help": hlp(orders)},
        {"label": _("Share of the Strip"), "value": na if share is None else f"{share:.1f}%",
         "help": hlp(orders, _("Strip area: {value} km².").format(value=orders.get("strip_area_km2") or na))},
        {"label": _("Pre-war pop. in ordered blocks"),
         "value": "~" + fmt_int(orders.get("population_prewar_est"), "0"),
         "help": hlp(orders, _("Population: sum of the blocks' pre-war estimates (dasymetric; see Method)."))},
        {"label": _("Blocks under orders"), "value": fmt_int(orders.get("blocks"), "0"), "help": hlp(orders)},
    ]
    if zone and not is_missing(zone.get("area_km2")):
        zval = km2(float(zone["area_km2"]))
        start = fmt_date(zone.get("valid_from"), lang)
        zextra = (_("Declared from {start} to {end}.").format(start=start, end=fmt_date(zone.get("valid_to"), lang))
                  if not is_missing(zone.get("valid_to")) else _("Declared from {start} (still declared).").format(
                      start=start))
    elif str(zone.get("status") or "").startswith("no outline"):
        zval, zextra = _("no outline in the data"), _("The zone's outline sources have no version for this date; "
                                                      "that does not mean no zone was declared.")
    elif _coverage(zone):
        zval, zextra = _(NO_DATA), _coverage(zone, lang)
    else:
        zval, zextra = _("none declared"), ""
    cards.append({"label": _("Humanitarian zone"), "value": zval,
                  "help": hlp(zone, zextra, zone.get("definition") or N_("Area of the humanitarian zone declared on "
                                                                          "the date."))})
    gap = _coverage(strikes, lang)
    cards.append({"label": _("Incidents, {n} days").format(n=window),
                  "value": _(NO_DATA) if gap else fmt_int(strikes.get("count"), "0"),
                  "help": hlp(strikes, gap or _("Inside a declared humanitarian zone: {n}.").format(
                      n=fmt_int(strikes.get("inside_zone"), "0")))})
    cards.append({"label": _("Reported deaths, {n} days").format(n=window),
                  "value": _(NO_DATA) if gap else fmt_int(strikes.get("fatalities"), "0"),
                  "help": hlp(strikes, gap or _("Sum of the fatalities the incident datasets report (where known)."))})
    for key, label in (("killed_cumulative", N_("Killed since 7 Oct (cum.)")), ("aid_trucks", N_("Aid trucks (day)"))):
        s = series.get(key) or {}
        as_of = fmt_date(s.get("as_of"), lang)
        extra = _coverage(s, lang) or " ".join(x for x in (
            _("As of {date}.").format(date=as_of) if as_of else "",
            _("Interpolated between two reports.") if s.get("filled") else "",
            _("Unit: {unit}.").format(unit=_(str(s.get("unit")))) if s.get("unit") else "") if x)
        cards.append({"label": _(label), "value": _value(s, lang=lang),
                      "help": _help(s.get("definition"), s.get("source"), extra, lang)})
    return cards


def quoted(value: Any, lang: str = DEFAULT, default: str = "") -> str:
    """Text from data (a claim, a party, a source, a unit) escaped; in a right-to-left page shown as written and
    marked English, direction-isolated (``<bdi lang="en">``)."""
    t = esc(value, default)
    return f'<bdi lang="en">{t}</bdi>' if is_rtl(lang) and t else t


_AREA = re.compile(r"^orders issued since (\d{4}-\d{2}-\d{2})(?:, (north|south) of Wadi Gaza)?$")
AREA_WORDS = {None: N_("orders issued since {date}"), "north": N_("orders issued since {date}, north of Wadi Gaza"),
              "south": N_("orders issued since {date}, south of Wadi Gaza")}


def area_text(refers_to: Any, lang: str = DEFAULT) -> str:
    """The area a reference figure covers (the project's own words, "orders issued since 2023-12-01, north of Wadi
    Gaza") in ``lang``, its date written the page's way; any other wording as written (:func:`quoted`)."""
    m = _AREA.match(str(refers_to or ""))
    if not is_rtl(lang) or m is None:
        return quoted(refers_to, lang)
    return esc(translator(lang)(AREA_WORDS[m[2]]).format(date=fmt_date(m[1], lang)))


def unit_text(unit: Any, lang: str = DEFAULT) -> str:
    """A series' unit (:data:`UNITS`) in ``lang`` (escaped HTML); a unit the catalogue does not know as written."""
    said = translator(lang)(str(unit))
    return esc(said) if said != str(unit) or not is_rtl(lang) else quoted(unit, lang)


def _num(text: str, lang: str) -> str:
    """A number with its unit (``5.6%``, ``17.7 km²``), one isolated run in a right-to-left line."""
    return num_unit(text) if is_rtl(lang) else esc(text)


def _according(party: Any, lang: str, default: str = "") -> str:
    """ "according to PARTY" (escaped HTML), the party as written."""
    return template(translator(lang)("according to {party}")).format(party=quoted(party, lang, default))


def population_comparison(m: dict[str, Any] | None, lang: str = DEFAULT) -> str:
    """Escaped HTML: our population share in the south beside the attributed claim, never merged (in ``lang``)."""
    _ = translator(lang)
    items: list[str] = []
    shares = (m or {}).get("population_shares") or {}
    if isinstance(shares, dict) and not is_missing(shares.get("south_share")):
        v = share_pct(shares["south_share"])
        if shares.get("basis") == "series":
            when = template(_("on {date}: our figure, advertising-audience estimate")).format(
                date=esc(fmt_date(shares.get("as_of"), lang)))
        else:
            cov = shares.get("coverage") or {}
            basis = shares.get("basis_date")
            when = template(_("before the war ({basis} baseline), not where people are now: the dated estimate has no "
                         "figure near this date")).format(basis=quoted(basis, lang) if basis else template(_("pre-war")))
            if cov:
                when += template(_(" (it covers {start} to {end})")).format(start=esc(fmt_date(cov.get("from"), lang)),
                                                                       end=esc(fmt_date(cov.get("to"), lang)))
        unit = template(_(", ")) + unit_text(shares.get("unit"), lang) if shares.get("unit") else ""
        most = template(_(", some governorates at most")) if shares.get("any_at_most") else ""
        source = template(_("(source: {sources})")).format(sources=quoted(sources_text(shares.get("sources")), lang))
        items.append('<li class="gdm-ours">' + template(_(
            "{pct} of the population in the three southern governorates (Deir al-Balah, Khan Younis, Rafah) {when}"
        )).format(pct=f"<b>{_num(f'{v:.1f}%', lang)}</b>", when=when) + f"{unit}{most} <i>{source}</i></li>")
        c = shares.get("claim")
        if isinstance(c, dict):
            cv = c.get("share_south")
            fig = _num(f"{share_pct(cv):.0f}%", lang) if not is_missing(cv) else quoted(figure_text(c.get("figure")),
                                                                                        lang)
            age = "" if c.get("current", True) else (" <span class='gdm-stale'>" + template(_(
                "(latest claim, {n} days old)")).format(n=esc(c.get("age_days"))) + "</span>")
            items.append('<li class="gdm-claim">' + template(_("{figure} in the south, {according} ({source}, {date})"))
                         .format(figure="<b>" + template(_("about {figure}")).format(figure=fig) + "</b>",
                                 according=f"<i>{_according(c.get('attributed_to'), lang)}</i>",
                                 source=quoted(c.get("source"), lang), date=esc(fmt_date(c.get("date"), lang)))
                         + f"{age}</li>")
    return html_list("gdm-claims", items, small=False, lang=lang)


def share_pct(v: Any) -> float:
    f = float(v)
    return f * 100 if f <= 1 else f


def figure_text(v: Any) -> str:
    if is_missing(v):
        return ""
    try:
        f = float(v)
        return f"{int(f):,}" if f.is_integer() else f"{f:,}"
    except (TypeError, ValueError):
        return str(v)


def claims_list(claims: pd.DataFrame | None, lang: str = DEFAULT) -> str:
    """Escaped HTML list of the reported events (attributed claims) of the window; in ``lang``, the claim, its unit
    and the party as written (marked English: they are the report's words, restated)."""
    items: list[str] = []
    comma = template(translator(lang)(", "))
    if claims is not None and len(claims):
        for r in claims.sort_values("date").itertuples():
            fig = figure_text(getattr(r, "figure", None))
            unit = getattr(r, "unit", None)
            has_unit = fig and not is_missing(unit) and unit
            if is_rtl(lang):
                # the figure and its unit (the report's words) one left-to-right run: "84 people", "1 air strikes"
                fig = (f'<bdi lang="en" dir="ltr">{esc(fig)} {esc(unit)}</bdi>' if has_unit
                       else f"<bdi>{esc(fig)}</bdi>") if fig else ""
            else:
                fig = esc(f"{fig} {unit}" if has_unit else fig)
            items.append(f"<li>{esc(fmt_date(r.date, lang))}: {quoted(r.claim, lang)}"
                         f"{': <b>' + fig + '</b>' if fig else ''}{comma}"
                         f"<i>{_according(getattr(r, 'attributed_to', None), lang, 'unknown')}</i></li>")
    return html_list("gdm-claims", list(dict.fromkeys(items)), lang=lang)


def reference_line(m: dict[str, Any], lang: str = DEFAULT) -> str:
    """Escaped HTML: OCHA's nearest statement on the same framing beside our figure, with the gap and the
    reported-but-unmapped orders that may explain it; a statement with another definition is said to be one.
    In ``lang``; the statement's own words (its definition, from the data) are isolated in a right-to-left line."""
    ref = m.get("reference")
    if not isinstance(ref, dict) or not ref:
        return ""
    _ = translator(lang)
    rtl = is_rtl(lang)

    def quoted(value: Any) -> str:  # the data's English words, marked as such inside an Arabic line
        return f'<span lang="en" dir="ltr">{esc(value)}</span>' if rtl and value else esc(value)

    ours = ref.get("ours") or {}
    fig = figure_text(ref.get("figure"))
    unit = "%" if str(ref.get("unit", "")).startswith("percent") else f" {ref.get('unit') or ''}"
    who = esc(ref.get("attributed_to") or "OCHA")
    head = (f"<b>{bidi(ref.get('attributed_to') or 'OCHA') if rtl else who}, "
            f"{esc(fmt_date(ref.get('stated_on'), lang))}:</b> "
            + (f"{num_unit(fig + unit)} {quoted(ref.get('definition') or '')}" if rtl else
               f"{esc(fig)}{esc(unit)} {esc(ref.get('definition') or '')}"))
    if not ref.get("comparable", True):
        why = esc(_("Not compared: {reason}.")).format(reason=quoted(ref.get("comparable_reason")))
        return f'<div class="gdm-reference">{head}. <i>{why}</i></div>'
    gap = as_float(ref.get("gap_points"))
    if rtl:
        gap_text = "" if gap is None else esc(_(", gap {points} points")).format(points=num_unit(f"{gap:+.1f}"))
        body = " · " + esc(_("ours on the same definition: {pct} ({km2}, {what})")).format(
            pct="<b>" + num_unit(f"{ours.get('share_pct')}%") + "</b>",
            km2=num_unit(_("{value} km²").format(value=ours.get("km2"))), what=quoted(ours.get("what") or "")) + gap_text
    else:
        body = (f" · ours on the same definition: <b>{esc(ours.get('share_pct'))}%</b> ({esc(ours.get('km2'))} km², "
                f"{esc(ours.get('what') or '')})" + (f", gap {gap:+.1f} points" if gap is not None else ""))
    ru = ref.get("reported_unmapped") or {}
    if ru.get("count"):
        body += ". " + esc(_("{n} order(s) of the period were reported but are mapped by no source; they are listed "
                             "below and may explain part of the gap")).format(n=esc(ru["count"]))
    return f'<div class="gdm-reference">{head}{body}.</div>'


def with_your_orders_line(m: dict[str, Any], lang: str = DEFAULT) -> str:
    """Escaped HTML: "Area under orders, with your orders: X% (your layer NAME, imported DATE)" beside the shipped
    figure, with its definition; "" when the user has no order layer. Never merged into the shipped cards."""
    w = m.get("with_your_orders")
    if not isinstance(w, dict) or not w:
        return ""
    _ = translator(lang)
    na = _("n/a")
    layers = template(_("; ")).join(
        template(_("your layer {name}, imported {date} from {origin}: {n} order(s) in the period")).format(
            name=quoted(x.get("name"), lang), date=esc(fmt_date(x.get("imported_at"), lang)),
            origin=quoted(x.get("origin"), lang), n=fmt_int(x.get("orders"), "0"))
        for x in w.get("layers") or [])
    shipped = w.get("shipped") or {}
    ours, base = share_percent(w), share_percent(shipped)

    def pct(v: float | None) -> str:
        return esc(na) if v is None else _num(f"{v:.1f}%", lang)

    def km2(v: Any) -> str:
        return _num(_("{value} km²").format(value="" if is_missing(v) else v), lang)

    head = template(_("Area under orders, with your orders: {pct}")).format(pct=pct(ours))
    definition = _(str(w.get("definition") or ""))
    rest = template(_("({km2}; {layers}) · shipped figure {pct} ({shipped_km2}), your orders add {added}.")).format(
        km2=km2(as_float(w.get("area_km2"))), layers=layers, pct=pct(base), shipped_km2=km2(shipped.get("area_km2")),
        added=km2(w.get("added_km2")))
    return (f'<div class="gdm-with-yours"><b>{head}</b> {rest}<br>'
            f"<small>{esc(definition)}</small></div>")


def _figure_name(key: str, lang: str) -> str:
    """A reported figure's name (``reported_area_km2`` -> "area km2"), in ``lang`` when the catalogue has it."""
    words = key.replace("reported_", "").replace("_", " ")
    return translator(lang)(REPORTED_FIGURES.get(words, words))


REPORTED_FIGURES = {"area km2": N_("area km2"), "people": N_("people")}  # the columns reported_* of the orders


def reported_unmapped_list(m: dict[str, Any], lang: str = DEFAULT) -> str:
    """Escaped HTML list of the orders reported (by OCHA, UNRWA) in the period that no source maps."""
    _ = translator(lang)
    ru = (m.get("orders") or {}).get("reported_unmapped") or {}
    comma = template(_(", "))
    items = []
    for it in ru.get("items") or []:
        figures = template(_("; ")).join(
            f"{esc(_figure_name(k, lang))}: {_num(figure_text(v), lang)}"
            for k, v in it.items() if k.startswith("reported_") and k != "reported_on"
            and not is_missing(v) and v not in ("", 0, 0.0))
        by = template(_("reported by {party}")).format(
            party=quoted(it.get("reported_by") or it.get("attributed_to") or _("n/a"), lang))
        items.append(f"<li>{esc(fmt_date(it.get('reported_on'), lang))}: "
                     f"{quoted(it.get('area_named') or it.get('order_id'), lang)}"
                     f"{' (' + figures + ')' if figures else ''}{comma}<i>{by}</i>"
                     + (template(_("; may be the same as mapped order {id}")).format(
                         id=quoted(it["possible_duplicate_of"], lang)) if it.get("possible_duplicate_of") else "")
                     + "</li>")
    return html_list("gdm-unmapped", items, lang=lang)


def disagreements_list(orders: list[dict[str, Any]], zone: list[dict[str, Any]],
                       people: list[dict[str, Any]] | None = None, lang: str = DEFAULT) -> str:
    """Escaped HTML: per source, the figures that disagree (blocks an order names; the zone's area; the pre-war
    population of an area OCHA states beside our estimate for it)."""
    _ = translator(lang)
    items = []
    for p in people or []:
        ours = (p.get("ours") or {}).get("people")
        items.append("<li>" + template(_(
            "Pre-war population of {area}: {people} {according} ({date}); our estimate for the same blocks: "
            "~{ours} (dasymetric, pre-war; why they differ: Method page).")).format(
                area=area_text(p.get("refers_to"), lang), people=fmt_int(p.get("people_prewar")),
                according=f"<i>{_according(p.get('attributed_to'), lang)}</i>",
                date=esc(fmt_date(p.get("stated_on"), lang)), ours=fmt_int(ours)) + "</li>")
    for o in orders:
        per = template(_("; ")).join(template(_("{source}: {n} blocks")).format(source=quoted(src, lang), n=esc(n))
                                for src, n in o["by_source"].items())
        items.append("<li>" + template(_(
            "Order {id} of {date}: {per}. The map and the figures count the union ({n} blocks); each block's "
            "history says which source named it.")).format(
                id=quoted(o["order_id"], lang), date=esc(fmt_date(o["issued_on"], lang)), per=per,
                n=esc(o["union_blocks"])) + "</li>")
    for z in zone:
        unit = quoted(z["unit"], lang)
        items.append("<li>" + template(_(
            "Humanitarian zone ({id}): {ours} in the outline shipped here; {figure} {according} ({source}, "
            "{date}).")).format(
                id=quoted(z["zone_id"], lang),
                ours=_num(_("{value} km²").format(value=z["ours_km2"]), lang),
                figure=(f"<bdi>{esc(figure_text(z['figure']))} {unit}</bdi>" if is_rtl(lang)
                        else f"{esc(figure_text(z['figure']))} {unit}"),
                according=f"<i>{_according(z['attributed_to'], lang)}</i>", source=quoted(z["source"], lang),
                date=esc(fmt_date(z["stated_on"], lang))) + "</li>")
    return html_list("gdm-disagree", items, lang=lang)
