"""The ``facilities`` layer: named landmarks classified by kind from their Arabic names.

Source: ``places/landmarks-ar.geojson`` (4,320 named Arabic landmark points; the name is in
``اسم_المعلم`` or, for the other half of the file, in ``name``). Each point becomes one facility;
its kind comes from the rules in ``reference/facility-kinds.csv`` (data, not code):

* a name and a rule's words are compared in folded form (``pipeline.core.names.normalize``: hamza
  forms, ى/ي and ة/ه folded, tashkeel removed) with a leading ``ال`` or ``لل`` dropped from each word;
  a rule word ending in ``*`` matches any word starting with it (``صحي*`` matches الصحية);
* ``match`` is ``first`` (the name starts with the words: the head noun decides, so مسجد المحطة is
  a mosque and محطة تحلية مياه مسجد ... is water), ``any`` (the words appear in a row anywhere) or
  ``all`` (each word appears somewhere);
* rules are tried in file order and the first that matches wins; ``other`` rules are guards that
  stop later rules (حاوية ... المستشفى is a rubbish container near a hospital, not a hospital);
* a name no rule matches is kind ``other`` (rule 0): kept and counted, never dropped.

Block: the block containing the point (the lowest block id where blocks overlap, as the metrics
index's disjoint pieces do); governorate: the governorate polygon containing it, else the nearest
one within the build's Strip tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.layers import AREA_CRS
from pipeline.core.names import normalize

LANDMARKS_FILE = "places/landmarks-ar.geojson"
RULES_FILE = "reference/facility-kinds.csv"
SOURCE = ("Mohammadbalata/Gaza-Damage-Assessment-Frontend, named landmarks (Arabic); kind from this "
          "project's rules (reference/facility-kinds.csv)")
MATCHES = ("first", "any", "all")


@dataclass(frozen=True)
class Rule:
    rule: int
    kind: str
    match: str
    words: tuple[str, ...]   # folded; a trailing '*' means "starts with"
    example: str


def _drop_article(w: str) -> str:
    if len(w) > 3 and w.startswith(("ال", "لل")):
        return w[2:]
    return w


def fold_words(text: Any) -> list[str]:
    """The folded words of a name: normalised, with a leading ال or لل dropped from words longer than 3."""
    return [_drop_article(w) for w in normalize(str(text)).split()]


def _fold_rule_words(text: str) -> tuple[str, ...]:
    out = []
    for raw in text.split():
        star = raw.endswith("*")
        f = fold_words(raw.rstrip("*"))
        if len(f) != 1:
            raise ValueError(raw)
        out.append(f[0] + ("*" if star else ""))
    return tuple(out)


def read_rules(path: Any, *, label: str = RULES_FILE) -> list[Rule]:
    """The classification rules, checked: known kinds and match types, unique rule numbers, words present."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    need = ["rule", "kind", "match", "words", "example"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=label, fix=f"the header is {','.join(need)}")
    rules: list[Rule] = []
    for row, (_, r) in enumerate(df.iterrows(), start=2):  # file row: the header is row 1
        if r["kind"] not in FACILITY_KINDS:
            raise InputError(f"unknown kind {r['kind']!r}", file=label, row=row, field="kind",
                             fix=f"use one of {list(FACILITY_KINDS)}")
        if r["match"] not in MATCHES:
            raise InputError(f"unknown match {r['match']!r}", file=label, row=row, field="match",
                             fix=f"use one of {list(MATCHES)}")
        try:
            words = _fold_rule_words(r["words"])
        except ValueError:
            raise InputError("a rule word must be one Arabic word (optionally ending in *)", file=label,
                             row=row, field="words") from None
        if not words:
            raise InputError("empty words", file=label, row=row, field="words")
        if not str(r["rule"]).isdigit():
            raise InputError("rule must be a number", file=label, row=row, field="rule")
        rules.append(Rule(int(r["rule"]), r["kind"], r["match"], words, r["example"]))
    nums = [r.rule for r in rules]
    if len(set(nums)) != len(nums):
        raise InputError("duplicate rule number", file=label, field="rule")
    return rules


def _eq(word: str, pat: str) -> bool:
    return word.startswith(pat[:-1]) if pat.endswith("*") else word == pat


def _matches(words: list[str], rule: Rule) -> bool:
    p = rule.words
    if rule.match == "first":
        return len(words) >= len(p) and all(_eq(w, q) for w, q in zip(words[:len(p)], p, strict=True))
    if rule.match == "any":
        n = len(p)
        return any(all(_eq(w, q) for w, q in zip(words[i:i + n], p, strict=True))
                   for i in range(len(words) - n + 1))
    return all(any(_eq(w, q) for w in words) for q in p)


def classify(name: Any, rules: list[Rule]) -> tuple[str, int]:
    """(kind, rule number) for one name; ('other', 0) when no rule matches."""
    words = fold_words(name)
    for r in rules:
        if _matches(words, r):
            return r.kind, r.rule
    return "other", 0


def landmark_names(landmarks: pd.DataFrame) -> pd.Series:
    """The Arabic name of each landmark: ``اسم_المعلم`` where given, else ``name``; trimmed, spaces collapsed."""
    n = landmarks["اسم_المعلم"].where(landmarks["اسم_المعلم"].notna(), landmarks["name"])
    return n.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()


def facilities_from_landmarks(landmarks: gpd.GeoDataFrame, rules: list[Rule], blocks: gpd.GeoDataFrame,
                              governorates: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """One facility per landmark point, classified, joined to a block and a governorate (EPSG:4326)."""
    names = landmark_names(landmarks)
    if names.isna().any() or (names == "").any():
        i = int(np.flatnonzero((names.isna() | (names == "")).to_numpy())[0])
        raise InputError("landmark without a name", file=LANDMARKS_FILE, row=i + 1)
    kinds = [classify(n, rules) for n in names]
    pts = gpd.GeoDataFrame({"_i": np.arange(len(landmarks))}, geometry=landmarks.geometry.to_numpy(),
                           crs=landmarks.crs).to_crs(4326)
    bj = gpd.sjoin(pts, blocks[["block_id", "geometry"]], how="left", predicate="within")
    block_id = bj.groupby("_i")["block_id"].min().reindex(np.arange(len(pts)))
    gj = gpd.sjoin(pts, governorates[["pcode", "geometry"]], how="left", predicate="within")
    pcode = gj.groupby("_i")["pcode"].min().reindex(np.arange(len(pts)))
    if pcode.isna().any():
        miss = pts[pcode.isna().to_numpy()].to_crs(AREA_CRS)
        near = gpd.sjoin_nearest(miss, governorates[["pcode", "geometry"]].to_crs(AREA_CRS), how="left",
                                 max_distance=tolerance_m)
        pcode.loc[near["_i"].to_numpy()] = near.groupby("_i")["pcode"].min().reindex(near["_i"]).to_numpy()
    out = gpd.GeoDataFrame({
        "facility_id": [f"lm-{i + 1:04d}" for i in range(len(pts))],
        "name_ar": names.to_numpy(dtype=object),
        "kind": [k for k, _ in kinds],
        "kind_en": [KIND_EN[k] for k, _ in kinds],
        "rule": np.array([r for _, r in kinds], dtype=np.int64),
        "neighbourhood_ar": landmarks["الحي"].astype(object).where(landmarks["الحي"].notna(), None).to_numpy(),
        "municipality_ar": landmarks["البلدية"].astype(object).where(landmarks["البلدية"].notna(), None).to_numpy(),
        "block_id": block_id.astype("Int64").to_numpy(),
        "pcode": pcode.astype(object).where(pcode.notna(), None).to_numpy(),
        "source": SOURCE,
    }, geometry=pts.geometry.to_numpy(), crs=4326)
    return out
