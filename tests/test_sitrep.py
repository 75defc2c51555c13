"""The situation report: its figures are compute()'s, its Arabic page is Arabic and right to left, its layout
keeps every element apart and inside the page, and the command line refuses bad input with one error line.

The PDF's text is read back with poppler's ``pdftotext`` (as a reader's copy-paste would see it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from itertools import combinations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg

from pipeline.__main__ import main
from pipeline.core import i18n, palette
from pipeline.runtime.bundle import load_layer, load_manifest
from pipeline.runtime.metrics import block_status, compute
from pipeline.runtime.metrics_index import index
from pipeline.runtime.sitrep import dashboard_link, data_span, order_impacts, sitrep_figure, sitrep_pdf
from pipeline.runtime.sitrep_map import base_layers
from pipeline.runtime.sitrep_text import MESSAGES, Words, strings

assert shutil.which("pdftotext"), "install poppler-utils (bash scripts/test does) to read the PDFs back"

DATES = ("2023-12-02", "2024-01-30")
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# pdftotext writes a lam-alef ligature's two letters in reverse order, repeats some marks and moves spaces
# around numbers in right-to-left text. Labels are compared with lam, the alef forms, marks and spaces
# removed from both sides (the other letters keep their order); numbers as exact tokens.
_LOOSE = re.compile("[\u0644\u0627\u0623\u0625\u0622\u064b-\u065f\u0670\\s]")


def fold(text: str) -> str:
    return _LOOSE.sub("", BIDI_CONTROLS.sub("", text))


def numbers(text: str) -> set[str]:
    return set(re.findall(r"[0-9][0-9\u066b\u066c.,]*[0-9]|[0-9]", BIDI_CONTROLS.sub("", text)))


@pytest.fixture(scope="module")
def ix():
    return index()


@pytest.fixture(scope="module")
def pdfs(ix, tmp_path_factory):
    """{(date, lang): (pdf bytes, extracted text)} for both dates in both languages."""
    out = {}
    folder = tmp_path_factory.mktemp("sitrep")
    for d in DATES:
        for lang in ("en", "ar"):
            data = sitrep_pdf(ix, d, lang=lang, base_url="https://example.org/gdm")
            f = folder / f"{d}-{lang}.pdf"
            f.write_bytes(data)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(f), "-"], capture_output=True, text=True,
                                  check=True).stdout
            info = subprocess.run(["pdfinfo", str(f)], capture_output=True, text=True, check=True).stdout
            layout = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(f), "-"], capture_output=True,
                                    text=True, check=True).stdout
            out[(d, lang)] = (data, text, info, layout)
    return out


@pytest.mark.parametrize("on", DATES)
def test_english_figures_are_computes(pdfs, ix, on):
    data, raw, info, _ = pdfs[(on, "en")]
    text = " ".join(raw.split())
    m = compute(ix, on)
    o, r, z, s, ser = m["orders"], m["orders"]["recent"], m["zone"], m["strikes"], m["series"]
    expected = [
        f"{o['area_km2']:.1f} km² ({100 * o['share_of_strip']:.1f}% of the Strip)",
        f"{r['area_km2']:.1f} km² ({100 * r['share_of_strip']:.1f}%), {r['blocks']} blocks",
        f"about {round(o['population_prewar_est'], -2):,} (estimate)",
        f"{z['area_km2']:.1f} km²",
        f"{s['count']} incidents, {s['fatalities']} reported deaths",
        f"{int(ser['killed_cumulative']['value']):,}",
        f"{int(ser['aid_trucks']['value']):,} on the day",
        f"{int(ser['aid_trucks_month']['value']):,} in {date.fromisoformat(on):%b %Y}",
        f"South of Wadi Gaza: {100 * m['population_shares']['south_share']:.1f}%",
        "https://example.org/gdm/?date=" + on + "&since=" + m["since"] + "&window=7",
    ]
    for g in m["population_shares"]["by_governorate"].values():
        expected += [f"{g['name']}", f"{g['value']:,}", f"{100 * g['share']:.1f}%"]
    missing = [e for e in expected if e not in text]
    assert missing == [], missing
    assert re.search(r"^Pages: +1$", info, re.M) and "595.44 x 841.68 pts (A4)" in info
    assert len(data) < 1_000_000


@pytest.mark.parametrize("on", DATES)
def test_orders_in_the_window_with_what_each_touched(pdfs, ix, on):
    layout = pdfs[(on, "en")][3]
    m = compute(ix, on)
    rows = order_impacts(ix, date.fromisoformat(m["orders"]["recent"]["from"]), date.fromisoformat(on),
                         load_layer("facilities"), load_layer("blocks"))
    issued = dict(zip(ix.orders["order_id"], ix.orders["issued_on"].astype(str).str[:10], strict=True))
    in_window = {o for o in m["orders"]["order_ids"] if issued[o] >= m["orders"]["recent"]["from"]}
    assert {row["order_id"] for row in rows} == in_window and rows, "both dates have orders in their window"
    for row in rows:  # one table row each: date, order, source, blocks, km², pre-war people
        pattern = (rf"{row['issued_on'].day} {row['issued_on']:%b %Y}\s+{row['order_id']}\s.*?\s{row['blocks']}\s+"
                   rf"{row['area_km2']:.1f}\s+{row['people']:,}\b")
        assert re.search(pattern, layout), pattern
    # an order alone on its day touches what compute() counts for that day
    for row in rows:
        same_day = [x for x in rows if x["issued_on"] == row["issued_on"]]
        if len(same_day) == 1 and row["blocks"] is not None:
            d = row["issued_on"]
            c = compute(ix, d, since=d, window=1)["orders"]
            assert (row["blocks"], round(row["area_km2"], 3), row["people"]) == (
                c["blocks"], c["area_km2"], c["population_prewar_est"])


def test_a_window_without_orders_says_so(ix):
    assert order_impacts(ix, date(2023, 10, 20), date(2023, 10, 26), load_layer("facilities"), load_layer("blocks")) == []
    fig = sitrep_figure(ix, "2023-10-26")
    assert MESSAGES["orders_none"] in [t.get_text() for t in fig.texts]


def test_framing_statement_and_unmapped_orders_are_on_the_page(ix):
    """compute()'s framing, OCHA's nearest statement (with ours and the gap) and the reported-but-unmapped orders."""
    m = compute(ix, "2024-01-30")
    texts = " ".join(" ".join(t.get_text() for t in sitrep_figure(ix, "2024-01-30").texts).split())
    assert m["framing"]["label"] in texts
    ref = m["reference"]
    assert (f"OCHA said (30 Jan 2024): 41.0% (cumulative since 1 Dec 2023); ours on the same definition "
            f"{ref['ours']['share_pct']:.1f}%, a gap of {ref['gap_points']:+.1f} points") in texts
    assert "Reported but not mapped (not counted): 3 Dec 2023 about 20% of Khan Younis city" in texts


def _ar_num(n: float) -> str:
    return f"{round(n):,}"  # the dashboard's convention: Western digits grouped with commas


def _ar_dec(x: float) -> str:
    return f"{x:.1f}"


@pytest.mark.parametrize("on", DATES)
def test_arabic_page_figures_labels_and_places(pdfs, ix, on):
    raw = pdfs[(on, "ar")][1]
    text, found = fold(raw), numbers(raw)
    m = compute(ix, on)
    o, s = m["orders"], m["strikes"]
    expected = [_ar_dec(o["area_km2"]), _ar_dec(100 * o["share_of_strip"]), _ar_num(round(o["population_prewar_est"], -2)),
               _ar_dec(m["zone"]["area_km2"]), _ar_num(m["series"]["killed_cumulative"]["value"]),
               _ar_num(s["count"]), _ar_num(s["fatalities"])]
    expected += [_ar_num(g["value"]) for g in m["population_shares"]["by_governorate"].values()]
    assert [n for n in expected if n not in found] == []
    ar = strings("ar")
    labels = [ar[k] for k in ("figures", "area", "pop", "zone", "incidents", "trucks", "orders", "people",
                              "sources", "legend_none", "legend_gov", "legend_zone")]
    labels += ["خان يونس", "رفح", "المواصي", "جباليا", "دير البلح", "بيت حانون", "كانون الأول"
               if on.startswith("2023") else "كانون الثاني"]
    assert [x for x in labels if fold(x) not in text] == []
    english = [MESSAGES[k] for k in ("figures", "area", "orders", "people", "sources", "legend_gov")]
    english += ["Khan Younis", "Rafah", "Al-Mawasi", "Governorate"]
    assert [x for x in english if x in raw] == []
    assert re.search(r"[\u0660-\u0669]", raw) is None  # Western digits throughout


def test_english_page_names_places_in_both_scripts(pdfs):
    raw = pdfs[("2023-12-02", "en")][1]
    text = fold(raw)
    for en, ar in (("Khan Younis", "خان يونس"), ("Rafah", "رفح"), ("Al-Mawasi", "المواصي"), ("Gaza City", "مدينة غزة")):
        assert en in raw and fold(ar) in text


def test_sources_and_licences_of_the_page_come_from_the_manifest(pdfs):
    text = " ".join(pdfs[("2023-12-02", "en")][1].split())
    for origin in ("realgoodresearch/GazaNowPop (GPL-3.0)", "OCHA-DAP/hdx-scraper-insecurity-insight (CC BY 4.0 (HDX))",
                   "realgoodresearch/TentNetFA (MIT)", "© OpenStreetMap contributors (ODbL)"):
        assert origin in text
    built = pd.Timestamp(load_manifest()["built_at"]).strftime("%-d %b %Y")
    assert f"Data bundle built {built}" in text


def test_arabic_number_convention():
    w = Words("ar")
    # the dashboard's convention (pipeline/core/i18n.py, the Method page): 1,502,092 · 84.3 · 23.1% · كانون الأول
    assert w.num(1502092) == "1,502,092" and w.dec(84.338) == "84.3" and w.pct(0.2311) == "23.1%"
    assert w.date(date(2023, 12, 2)) == "2 كانون الأول 2023" == i18n.date_text(date(2023, 12, 2), "ar")
    assert w.short_date(date(2024, 1, 30)) == "30/1/2024" and w.month(date(2024, 1, 3)) == "كانون الثاني 2024"
    assert [w.days(n) for n in (1, 2, 7, 14)] == ["يوم واحد", "يومين", "7 أيام", "14 يوما"]
    assert w.num(None) == "لا بيانات"
    e = Words("en")
    assert (e.num(1502092), e.pct(0.2311), e.date(date(2024, 8, 19))) == ("1,502,092", "23.1%", "19 Aug 2024")


def test_every_message_of_the_page_is_in_the_arabic_catalogue():
    ar = strings("ar")
    assert set(ar) == set(MESSAGES)
    assert [k for k, v in MESSAGES.items() if ar[k] == v] == []  # each one translated (tests/test_i18n.py too)


def test_palette_is_the_web_maps():
    from dashboard import map_draw, map_layers

    assert map_draw.STATUS_COLOURS == palette.STATUS_COLOURS
    for name in ("STRIP_COLOUR", "GOV_COLOUR", "ZONE_COLOUR", "INCIDENT_COLOUR", "PLACE_COLOUR", "BACKGROUND"):
        assert getattr(map_draw, name) == getattr(palette, name), name
    assert set(map_layers.MAJOR_PLACES) == set(palette.MAJOR_PLACES)


def test_dashboard_link_carries_the_view():
    assert dashboard_link("http://h:8501/", "2023-12-02", "2023-12-01", 7, ["blocks", "zone", "incidents",
                                                                             "places", "boundaries"]) == \
        "http://h:8501/?date=2023-12-02&since=2023-12-01&window=7"
    assert dashboard_link("http://h", "2024-01-30", "2023-12-01", 3, ["blocks", "zone"]).endswith(
        "window=3&layers=Blocks&layers=Zone")


# ---------------------------------------------------------------- layout

def _boxes(fig):
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    return renderer


@pytest.mark.parametrize("on,lang", [("2023-12-02", "en"), ("2024-08-19", "ar"), ("2024-01-30", "ar")])
def test_layout_nothing_overlaps_and_the_map_is_largest(ix, on, lang):
    fig = sitrep_figure(ix, on, lang=lang)
    renderer = _boxes(fig)
    W, H = fig.bbox.width, fig.bbox.height
    ax = fig.axes[0]
    map_box = ax.get_window_extent(renderer)
    texts = [t for t in fig.texts if t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    margin = 0.4 * fig.dpi
    for t, b in zip(texts, boxes, strict=True):
        assert b.x0 >= margin - 1 and b.x1 <= W - margin + 1 and b.y0 >= margin - 1 and b.y1 <= H - margin + 1, \
            t.get_text()
        assert not b.overlaps(map_box), t.get_text()
    clashes = [(a.get_text(), b.get_text()) for (a, ba), (b, bb) in combinations(zip(texts, boxes, strict=True), 2)
               if ba.overlaps(bb)]
    assert clashes == []
    # the map is the largest element: larger than the whole column of figures beside it and than any section
    side = [b for b in boxes if (b.x0 > map_box.x1 or b.x1 < map_box.x0) and b.y0 >= map_box.y0 - 40]
    side_area = (max(b.x1 for b in side) - min(b.x0 for b in side)) * (max(b.y1 for b in side) - min(b.y0 for b in side))
    assert map_box.width * map_box.height > 1.5 * side_area
    assert map_box.width * map_box.height > 0.3 * W * H


@pytest.mark.parametrize("on,lang", [("2023-12-02", "en"), ("2024-08-19", "ar")])
def test_map_labels_and_legend_stay_clear(ix, on, lang):
    fig = sitrep_figure(ix, on, lang=lang)
    renderer = _boxes(fig)
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_gid() == "place-label"]
    assert len(labels) == len(palette.MAJOR_PLACES)
    boxes = [t.get_window_extent(renderer) for t in labels]
    legend = ax.get_legend().get_window_extent(renderer)
    for t, b in zip(labels, boxes, strict=True):
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1, t.get_text()
        assert not b.overlaps(legend), t.get_text()
    assert [(a.get_text(), b.get_text()) for (a, ba), (b, bb) in combinations(zip(labels, boxes, strict=True), 2)
            if ba.overlaps(bb)] == []
    # the legend sits off the Strip (in data coordinates, the map's metres)
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([[legend.x0, legend.y0], [legend.x1, legend.y1]])
    strip = base_layers().strip.geometry.iloc[0]
    assert not shapely.box(x0, y0, x1, y1).intersects(strip)
    # blocks drawn in the web map's colours
    colours = {tuple(np.round(c[:3], 3)) for coll in ax.collections for c in np.atleast_2d(coll.get_facecolor())}
    for status in set(block_status(ix, on)["status"]):
        assert tuple(np.round(mcolors.to_rgb(palette.STATUS_COLOURS[status]), 3)) in colours, status


# ---------------------------------------------------------------- command line

def test_cli_writes_one_pdf_page(tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert main(["sitrep", "--on", "2023-12-02", "--lang", "ar", "-o", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert str(out) in capsys.readouterr().err


@pytest.mark.parametrize("argv,needle", [
    (["--on", "2030-01-01"], "is outside the data, which spans {lo} to {hi}"),
    (["--on", "2019-05-01"], "is outside the data, which spans {lo} to {hi}"),
    (["--on", "2023-10-03"], "is outside the data, which spans {lo} to {hi}"),
    (["--on", "yesterday"], "on 'yesterday' is not a date"),
    (["--on", "2023-12-02", "--lang", "fr"], "unknown language 'fr' (fix: choose one of en, ar)"),
    (["--on", "2023-12-02", "--window", "0"], "window must be at least 1 day"),
    (["--on", "2023-12-02", "--since", "2023-12-05"], "since (2023-12-05) is after on (2023-12-02)"),
])
def test_cli_bad_input_one_error_line(argv, needle, ix, tmp_path, capsys):
    lo, hi = data_span(ix)
    assert main(["sitrep", *argv, "-o", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert needle.format(lo=lo.isoformat(), hi=hi.isoformat()) in err
    assert not (tmp_path / "r.pdf").exists()


def test_cli_unwritable_output(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    for target, needle in ((tmp_path / "missing" / "r.pdf", "does not exist"), (tmp_path, "it is a folder"),
                           (tmp_path / "a-file" / "r.pdf", "does not exist")):
        assert main(["sitrep", "--on", "2023-12-02", "-o", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and f"cannot write {target}" in err and needle in err, err
