"""Which declared "humanitarian zone" holds on a date.

Validity is a half-open interval: a zone is declared on day D when ``valid_from <= D < valid_to``
(``valid_to`` null = still declared). :func:`zone_on` returns at most one zone: among the zones valid
on D, a dated declared version wins over a proposal; among several of the same kind, the one
declared latest wins, then the higher ``zone_id``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.core.layers import ZONE_KIND_DECLARED, ZONE_KIND_PROPOSED
from pipeline.runtime.on_date import days, valid_on

_PRIORITY = {ZONE_KIND_DECLARED: 0, ZONE_KIND_PROPOSED: 1}


def zones_valid_on(zones: pd.DataFrame, on: date | str) -> pd.DataFrame:
    """All zones valid on ``on`` (half-open validity, ``on_date.valid_on``), ordered by the resolution rule
    (winner first)."""
    cand = valid_on(zones, on)
    cand["_p"] = cand["kind"].map(_PRIORITY).fillna(9)
    cand["_s"] = days(cand, "valid_from")
    cand = cand.sort_values(["_p", "_s", "zone_id"], ascending=[True, False, False])
    return cand.drop(columns=["_p", "_s"])


def zone_on(zones: pd.DataFrame, on: date | str) -> pd.Series | None:
    """The one zone declared on ``on`` (see the module docstring), or None."""
    cand = zones_valid_on(zones, on)
    return None if cand.empty else cand.iloc[0]
