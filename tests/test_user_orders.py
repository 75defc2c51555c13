"""A user's own orders (``--as orders``): imported as an order layer, and "with your orders" beside the shipped figure."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.kpis import kpis
from pipeline.__main__ import main
from pipeline.runtime import imports, metrics, workspace
from pipeline.runtime.metrics_index import index
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "imports"
BLOCKS = DATA / "orders-blocks.csv"
AREAS = DATA / "orders-areas.geojson"


def _layers() -> list[tuple[dict, object]]:
    return [(e, workspace.load(e["name"])) for e in workspace.list_layers()]


def test_a_block_id_file_imports_as_an_order_layer_with_sub_blocks_matched_as_the_shipped_orders(ws):
    rep = imports.import_file(BLOCKS, as_="orders")
    assert rep["status"] == "written", rep["rejections"]
    assert rep["layers"][0]["kind"] == "orders"
    layer = workspace.load(rep["layer"])
    how = dict(zip(layer["block_id"].astype(int), layer["matched_as"], strict=True))
    # "1, 2, 642.1" in one cell is three blocks; 642.1 is drawn by GazaMaps, 3.1 is not (its parent counts)
    assert how == {1: "exact", 2: "exact", 642: "sub-block-outline", 3: "parent-of-sub-block", 39: "exact",
                   5: "exact"}
    assert set(layer["order_id"]) == {"syn-order-1", "syn-order-2", "syn-order-3"}
    assert str(layer.loc[layer["block_id"] == 3, "issued_on"].iloc[0].date()) == "2023-12-02"  # "2 December 2023"


def test_unknown_block_ids_are_rejected_with_row_and_value(ws, tmp_path):
    f = tmp_path / "my-orders.csv"
    f.write_text("date,blocks\n2023-12-02,\"12, 99999\"\n2023-12-03,abc\n2023-12-04,642.9\n", encoding="utf-8")
    rep = imports.import_file(f, as_="orders")
    assert rep["status"] == "refused" and not rep["written"]
    found = {(r["row"], r["field"]): r["reason"] for r in rep["rejections"]}
    assert "unknown block id 99999" in found[(2, "blocks")]
    assert "not a block id: 'abc'" in found[(3, "blocks")]
    assert (4, "blocks") not in found  # 642.9: a sub-block with no outline joins its parent, as the shipped orders do
    assert workspace.list_layers() == []


def test_with_your_orders_adds_your_blocks_to_the_shipped_union_and_leaves_the_shipped_figure_alone(ws):
    ix = index()
    before = metrics.compute(ix, "2023-12-02", since="grid")
    assert before["with_your_orders"] is None
    imports.import_file(BLOCKS, as_="orders")
    after = metrics.compute(ix, "2023-12-02", since="grid", workspace_orders=_layers())
    assert after["orders"] == before["orders"]  # the shipped figure is unchanged
    yours = after["with_your_orders"]
    assert yours["shipped"]["area_km2"] == before["orders"]["area_km2"]
    assert yours["area_km2"] >= before["orders"]["area_km2"]
    # by hand: blocks 1, 2 and 3 (3.1 has no outline: its whole parent) and sub-block 642.1's outline are new;
    # block 39 is already under the shipped orders; order syn-order-3 (10 Jan 2024) is after the date
    assert 39 in before["orders"]["block_ids"] and not {1, 2, 3, 642} & set(before["orders"]["block_ids"])
    pos = {int(b): i for i, b in enumerate(ix.block_ids)}
    sub = ix.unit_label.index("642.1")
    hand = before["orders"]["area_km2"] + sum(ix.block_area[pos[b]] for b in (1, 2, 3)) + ix.unit_area[sub]
    assert yours["area_km2"] == pytest.approx(hand, abs=1e-3)
    assert yours["share_of_strip"] == pytest.approx(hand / ix.strip_area, abs=1e-4)
    assert yours["blocks"] == before["orders"]["blocks"] + 4
    assert yours["layers"][0]["name"] == "orders-blocks" and yours["layers"][0]["orders"] == 2


def test_a_polygon_order_counts_from_its_date(ws):
    ix = index()
    imports.import_file(AREAS, as_="orders")
    layer = workspace.load("orders-areas")
    early, late = layer["area_km2"].tolist()  # 1 Dec 2023 in block 1; 1 Mar 2024 in block 5
    on_dec = metrics.compute(ix, "2023-12-02", since="grid", workspace_orders=_layers())
    assert on_dec["with_your_orders"]["area_km2"] == pytest.approx(on_dec["orders"]["area_km2"] + early, abs=2e-3)
    before_it = metrics.compute(ix, "2023-11-30", since="war", workspace_orders=_layers())
    assert before_it["with_your_orders"]["added_km2"] == pytest.approx(0, abs=1e-6)


def test_the_metrics_command_prints_the_figure_with_your_orders_apart(ws, capsys):
    assert main(["import", str(BLOCKS), "--as", "orders"]) == 0
    capsys.readouterr()
    assert main(["metrics", "--on", "2023-12-02", "--since", "grid"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["with_your_orders"]["area_km2"] > out["orders"]["area_km2"]
    assert "never in it" in out["with_your_orders"]["definition"]


def test_the_map_page_shows_with_your_orders_beside_the_unchanged_shipped_cards(ws):
    imports.import_file(BLOCKS, as_="orders")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shipped = metrics.compute(index(), "2023-12-02")
    assert {m.label: m.value for m in at.metric} == {c["label"]: c["value"] for c in kpis(shipped)}
    yours = metrics.compute(index(), "2023-12-02", workspace_orders=_layers())["with_your_orders"]
    html = " ".join(h.proto.body for h in at.get("html"))
    assert f"Area under orders, with your orders: {100 * yours['share_of_strip']:.1f}%" in html
    assert "your layer orders-blocks, imported" in html and "from orders-blocks.csv" in html
    assert f"shipped figure {100 * shipped['orders']['share_of_strip']:.1f}%" in html
    assert "never in it" in html  # its definition is shown with it
