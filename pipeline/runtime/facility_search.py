"""Find facilities (named landmarks) by name, kind and governorate.

Names are Arabic; the query is folded the same way as the gazetteer's (``pipeline.core.names``: hamza forms,
tashkeel, ى/ي, ة/ه), and also matches the English kind label ("hospital") or the block number.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.core.names import normalize

COLUMNS = ["facility_id", "name_ar", "kind_en", "block_id", "pcode", "neighbourhood_ar", "municipality_ar"]


def find_facilities(facilities: pd.DataFrame, query: str = "", *, kinds: Sequence[str] = (),
                    pcodes: Sequence[str] = (), limit: int = 500) -> tuple[pd.DataFrame, int]:
    """(the first ``limit`` matching facilities, how many match in all), sorted by kind then name.

    Every word of ``query`` must appear in the folded name, neighbourhood or municipality, or equal the kind
    label or the block number.
    """
    sel = pd.Series(True, index=facilities.index)
    if kinds:
        sel &= facilities["kind"].isin(list(kinds))
    if pcodes:
        sel &= facilities["pcode"].isin(list(pcodes))
    words = normalize(query).split()
    if words:
        text = (facilities["name_ar"].fillna("") + " " + facilities["neighbourhood_ar"].fillna("") + " "
                + facilities["municipality_ar"].fillna("")).map(normalize)
        kind = facilities["kind_en"].str.casefold()
        block = facilities["block_id"].map(lambda b: "" if pd.isna(b) else str(int(b)))
        for w in words:
            sel &= text.str.contains(w, regex=False) | kind.eq(w) | kind.str.startswith(w) | block.eq(w)
    found = facilities.loc[sel, COLUMNS].sort_values(["kind_en", "name_ar"])
    return found.head(limit).reset_index(drop=True), int(sel.sum())
