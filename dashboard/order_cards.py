"""Impact cards of the orders issued on or just before a date ("what changed"), as escaped HTML (no streamlit).

The figures come from ``pipeline.runtime.order_impact`` (the same function the Orders page and
``python -m pipeline orders`` use); every text from data is escaped, links only to http(s) URLs.
"""

from __future__ import annotations

from typing import Any

from dashboard.html import as_float, bidi, esc, fmt_date, fmt_int, is_missing, link, num_unit
from pipeline.core.i18n import DEFAULT, N_, is_rtl, translator

LABELS = {"new": N_("new area"), "partly new": N_("partly new"), "repeat": N_("repeat of earlier orders")}


NOUNS = {"school": ("school", "schools"), "hospital": ("hospital", "hospitals"), "clinic": ("clinic", "clinics"),
         "pharmacy": ("pharmacy", "pharmacies"), "water": ("water facility", "water facilities"),
         "bakery": ("bakery", "bakeries"), "mosque": ("mosque", "mosques"), "shelter": ("shelter", "shelters")}
# Arabic: "المدارس: 12" reads right for every count (no number-noun agreement to get wrong).
NOUNS_AR = {"school": N_("schools: {n}"), "hospital": N_("hospitals: {n}"), "clinic": N_("clinics: {n}"),
            "pharmacy": N_("pharmacies: {n}"), "water": N_("water facilities: {n}"), "bakery": N_("bakeries: {n}"),
            "mosque": N_("mosques: {n}"), "shelter": N_("shelters: {n}")}


def _facilities(by_kind: dict[str, int], lang: str = DEFAULT) -> str:
    _ = translator(lang)
    shown = [(k, n) for k, n in by_kind.items() if n and k != "other"]
    if lang == DEFAULT:
        words = [f"{n:,} {NOUNS.get(k, (k, k))[n != 1]}" for k, n in shown]
    else:
        words = [_(NOUNS_AR[k]).format(n=f"{n:,}") if k in NOUNS_AR else f"{k}: {n:,}" for k, n in shown]
    return (", " if lang == DEFAULT else "، ").join(words) or _("none named in the landmarks file")


def order_card(r: dict[str, Any], lang: str = DEFAULT) -> str:
    """One order's card: what it named, what it touched, what it added; or why it has no figures.

    ``lang``: the card's language; in a right-to-left one the card has ``dir``/``lang`` and the source's name,
    ids and figures with units are direction-isolated.
    """
    _ = translator(lang)
    rtl = is_rtl(lang)

    def t(text: str, **fields: str) -> str:  # a translated template, escaped, filled with already-escaped HTML
        return esc(text).format(**fields)

    def iso(value: Any) -> str:
        return bidi(value) if rtl else esc(value)

    def km2(value: Any) -> str:
        return num_unit(_("{value} km²").format(value=value)) if rtl else f"{esc(value)} km²"

    source = link(r.get("link") or r.get("source_url"), r.get("source_name") or _("source"))
    order = t(_("order {id}"), id=iso(r.get("order_id")))
    head = (f"<b>{esc(fmt_date(r.get('issued_on'), lang))} · {order}</b> · "
            + (f'<bdi dir="auto" lang="en">{source}</bdi>' if rtl else source))
    attrs = f' dir="rtl" lang="{esc(lang)}"' if rtl else ""
    if not r.get("mapped"):
        why = (_("reported, but no source maps its blocks") if r.get("kind") == "reported, not mapped"
               else _("names no block and no known area"))
        not_counted = t(_("Not counted: {why}."), why=esc(why))
        return f'<div class="gdm-order-card gdm-unmapped"{attrs}>{head}<br><i>{not_counted}</i></div>'
    new = r.get("new") or {}
    zone = r.get("zone") or {}
    fac = r.get("facilities") or {}
    share = as_float(r.get("share_of_strip"))
    parts = [
        km2(r["area_km2"]) + ("" if share is None else " " + t(_("({pct}% of the Strip)"), pct=f"{share * 100:.1f}")),
        t(_("~{n} people before the war (estimate)"), n=fmt_int(r.get("population_prewar_est"), "0")),
        t(_("{n} facilities inside: {kinds}"), n=fmt_int(fac.get("total"), "0"),
          kinds=esc(_facilities(fac.get("by_kind") or {}, lang))),
    ]
    if zone.get("zone_id") and not is_missing(zone.get("taken_km2")):
        parts.append(t(_("takes {area} of the declared zone ({zone})"), area=km2(zone["taken_km2"]),
                       zone=iso(zone["zone_id"])))
    label = LABELS.get(str(new.get("label")))
    added = t(_("{label}: adds {area} and ~{people} people not under earlier orders (issued {start} to {end})"),
              label=f"<b>{esc(_(label) if label else new.get('label'))}</b>", area=km2(new.get("area_km2")),
              people=fmt_int(new.get("population_prewar_est"), "0"), start=esc(fmt_date(new.get("earlier_from"), lang)),
              end=esc(fmt_date(new.get("earlier_to"), lang)))
    dest = (r.get("destination") or {}).get("text") or []
    told = "<br>" + t(_("Told to go to: {places}"), places=iso("; ".join(map(str, dest)))) if dest else ""
    return (f'<div class="gdm-order-card" data-order="{esc(r.get("order_id"))}"{attrs}>{head}<br>{" · ".join(parts)}'
            f"<br>{added}{told}</div>")


def order_cards(rows: list[dict[str, Any]], lang: str = DEFAULT) -> str:
    """The cards of ``rows`` (``order_impact.what_changed``), newest first; "" when there is none."""
    cards = [order_card(r, lang) for r in sorted(rows, key=lambda r: str(r.get("issued_on")), reverse=True)
             if r.get("scope") == "order"]
    if not cards:
        return ""
    if is_rtl(lang):  # the red rule on the side the text starts from
        style = "<style>.gdm-order-card{border-right:4px solid #d7301f;padding:2px 10px 4px 0;margin:4px 0;" \
                "font-size:0.9rem}.gdm-order-card.gdm-unmapped{border-right-color:#999}</style>"
    else:
        style = "<style>.gdm-order-card{border-left:4px solid #d7301f;padding:2px 0 4px 10px;margin:4px 0;" \
                "font-size:0.9rem}.gdm-order-card.gdm-unmapped{border-left-color:#999}</style>"
    return style + "".join(cards)
