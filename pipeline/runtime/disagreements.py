"""Where sources disagree on a figure that matters, per source, so the page can show each side.

- the blocks each source names for the same order (2 Dec 2023: GazaMaps' list against the IDF map's block
  polygons), for the orders issued in a period;
- the declared humanitarian zone's area in the outline we ship against an attributed statement of it.
Nothing here merges two sources into one number.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from pipeline.core.dates import optional_date


def order_block_counts(orders: pd.DataFrame, order_blocks: pd.DataFrame, start: date,
                       end: date) -> list[dict[str, Any]]:
    """Orders issued in [start, end] whose sources name different numbers of blocks.

    One item per such order: ``{"order_id", "issued_on", "by_source": {source name: blocks named}}``; the
    order's own figure is the union of all of them (as the metrics count it).
    """
    issued = orders["issued_on"].map(optional_date)
    chosen = orders.loc[(issued >= start) & (issued <= end), ["order_id", "issued_on"]]
    ob = order_blocks[order_blocks["order_id"].isin(chosen["order_id"]) & order_blocks["block_id"].notna()]
    out: list[dict[str, Any]] = []
    for order_id, rows in ob.groupby("order_id", sort=True):
        counts = rows.groupby("source_name")["block_id"].nunique().sort_index()
        if len(counts) > 1 and counts.nunique() > 1:
            when = chosen.loc[chosen["order_id"] == order_id, "issued_on"].iloc[0]
            out.append({"order_id": str(order_id), "issued_on": optional_date(when),
                        "union_blocks": int(rows["block_id"].nunique()),
                        "by_source": {str(k): int(v) for k, v in counts.items()}})
    return out


def zone_area_statements(zone: dict[str, Any], statements: pd.DataFrame) -> list[dict[str, Any]]:
    """Attributed statements of the zone's area made while the zone version shown was declared."""
    if zone.get("area_km2") is None or statements.empty:
        return []
    start, end = optional_date(zone.get("valid_from")), optional_date(zone.get("valid_to"))
    rows = statements[statements["measure"].astype(str).str.contains("humanitarian zone", case=False)]
    out = []
    cols = ("stated_on", "figure", "unit", "attributed_to", "source", "url")
    for stated_on, figure, unit, attributed_to, source, url in zip(*(rows[c] for c in cols), strict=True):
        said = optional_date(stated_on)
        if said is None or start is None or said < start or (end is not None and said >= end):
            continue
        out.append({"stated_on": said, "figure": float(figure), "unit": str(unit),
                    "attributed_to": str(attributed_to), "source": str(source),
                    "url": None if pd.isna(url) else str(url),
                    "ours_km2": float(zone["area_km2"]), "zone_id": zone.get("zone_id")})
    return out
