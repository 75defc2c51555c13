"""Impact cards of the orders issued on or just before a date ("what changed"), as escaped HTML (no streamlit).

The figures come from ``pipeline.runtime.order_impact`` (the same function the Orders page and
``python -m pipeline orders`` use); every text from data is escaped, links only to http(s) URLs.
"""

from __future__ import annotations

from typing import Any

from dashboard.html import as_float, esc, fmt_date, fmt_int, is_missing, link

LABELS = {"new": "new area", "partly new": "partly new", "repeat": "repeat of earlier orders"}


NOUNS = {"school": ("school", "schools"), "hospital": ("hospital", "hospitals"), "clinic": ("clinic", "clinics"),
         "pharmacy": ("pharmacy", "pharmacies"), "water": ("water facility", "water facilities"),
         "bakery": ("bakery", "bakeries"), "mosque": ("mosque", "mosques"), "shelter": ("shelter", "shelters")}


def _facilities(by_kind: dict[str, int]) -> str:
    shown = [(k, n) for k, n in by_kind.items() if n and k != "other"]
    return ", ".join(f"{n:,} {NOUNS.get(k, (k, k))[n != 1]}" for k, n in shown) or "none named in the landmarks file"


def order_card(r: dict[str, Any]) -> str:
    """One order's card: what it named, what it touched, what it added; or why it has no figures."""
    head = (f"<b>{esc(fmt_date(r.get('issued_on')))} · order {esc(r.get('order_id'))}</b> · "
            f"{link(r.get('link') or r.get('source_url'), r.get('source_name') or 'source')}")
    if not r.get("mapped"):
        why = ("reported, but no source maps its blocks" if r.get("kind") == "reported, not mapped"
               else "names no block and no known area")
        return f'<div class="gdm-order-card gdm-unmapped">{head}<br><i>Not counted: {esc(why)}.</i></div>'
    new = r.get("new") or {}
    zone = r.get("zone") or {}
    fac = r.get("facilities") or {}
    share = as_float(r.get("share_of_strip"))
    parts = [
        f"{esc(r['area_km2'])} km²" + ("" if share is None else f" ({share * 100:.1f}% of the Strip)"),
        f"~{fmt_int(r.get('population_prewar_est'), '0')} people before the war (estimate)",
        f"{fmt_int(fac.get('total'), '0')} facilities inside: {esc(_facilities(fac.get('by_kind') or {}))}",
    ]
    if zone.get("zone_id") and not is_missing(zone.get("taken_km2")):
        parts.append(f"takes {esc(zone['taken_km2'])} km² of the declared zone ({esc(zone['zone_id'])})")
    added = (f"<b>{esc(LABELS.get(str(new.get('label')), new.get('label')))}</b>: adds {esc(new.get('area_km2'))} km² "
             f"and ~{fmt_int(new.get('population_prewar_est'), '0')} people not under earlier orders "
             f"(issued {esc(fmt_date(new.get('earlier_from')))} to {esc(fmt_date(new.get('earlier_to')))})")
    dest = (r.get("destination") or {}).get("text") or []
    told = f"<br>Told to go to: {esc('; '.join(map(str, dest)))}" if dest else ""
    return (f'<div class="gdm-order-card" data-order="{esc(r.get("order_id"))}">{head}<br>{" · ".join(parts)}'
            f"<br>{added}{told}</div>")


def order_cards(rows: list[dict[str, Any]]) -> str:
    """The cards of ``rows`` (``order_impact.what_changed``), newest first; "" when there is none."""
    cards = [order_card(r) for r in sorted(rows, key=lambda r: str(r.get("issued_on")), reverse=True)
             if r.get("scope") == "order"]
    if not cards:
        return ""
    style = "<style>.gdm-order-card{border-left:4px solid #d7301f;padding:2px 0 4px 10px;margin:4px 0;" \
            "font-size:0.9rem}.gdm-order-card.gdm-unmapped{border-left-color:#999}</style>"
    return style + "".join(cards)
