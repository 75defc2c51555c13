"""Import reports in Arabic (issue 16): the sentences carry their template, the Arabic Data page shows them."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from pipeline.core.errors import InputError, error_text
from pipeline.core.i18n import LRI, N_, PDI, Message, localise, msg, recognise
from pipeline.runtime import imports

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


def test_a_message_is_its_english_sentence_and_renders_in_arabic() -> None:
    m = msg(N_("the file holds more than {max_features:,} rows or features"), max_features=250000)
    assert m == "the file holds more than 250,000 rows or features"
    assert json.dumps({"reason": m}) == '{"reason": "the file holds more than 250,000 rows or features"}'
    assert m.render("ar") == "الملف يحوي أكثر من 250,000 صف أو عنصر"
    assert m.render("en") == m
    again = pickle.loads(pickle.dumps(m))  # Streamlit's caches pickle
    assert isinstance(again, Message) and again.render("ar") == m.render("ar")


def test_quoted_values_are_isolated_and_a_sentence_inside_a_sentence_is_translated() -> None:
    inner = msg(N_("unrecognised date format: {text!r}"), text="Sept 32")
    outer = msg(N_("column {date_c!r}: {w}"), date_c="Date", w=inner)
    assert outer == "column 'Date': unrecognised date format: 'Sept 32'"
    assert outer.render("ar") == f"العمود {LRI}'Date'{PDI}: صيغة تاريخ غير معروفة: {LRI}'Sept 32'{PDI}"


def test_a_sentence_read_back_without_its_template_is_recognised() -> None:
    """A report read back from JSON, or a warning prefixed with its layer's name, is plain English."""
    assert recognise("zones: the file is 61.2 MiB, over the limit of 50 MiB", "ar") == (
        f"{LRI}zones{PDI}: حجم الملف 61.2 ميبيبايت، فوق الحد البالغ 50 ميبيبايت")
    assert recognise("a sentence no template makes", "ar") is None
    assert localise("the file is empty", "ar") == "الملف فارغ"


def test_a_stored_error_is_written_in_arabic_with_its_row_and_field() -> None:
    err = InputError(msg(N_("not a number: {value!r}"), value="about 40"), file="trucks.csv", row=12,
                     field="trucks", fix=msg(N_("check the year")))
    stored = json.loads(json.dumps(err.as_dict()))
    assert err.message() == "trucks.csv, feature/row 12, field 'trucks': not a number: 'about 40' (fix: check the year)"
    assert error_text(stored, "en") == err.message()
    assert error_text(stored, "ar") == (f"{LRI}trucks.csv{PDI}، العنصر/الصف 12، الحقل {LRI}trucks{PDI}: "
                                        f"ليس رقمًا: {LRI}'about 40'{PDI} (الحل: تحقق من السنة)")


def test_the_report_keeps_english_sentences_that_carry_their_templates(ws) -> None:
    rep = imports.import_file(DATA / "hxl-governorates.csv", dry_run=True)
    (tulkarm,) = rep["rejections"]
    assert tulkarm["reason"] == "'Tulkarm' is not a Gaza governorate (pcode or name)"
    assert isinstance(tulkarm["reason"], Message)
    assert localise(tulkarm["reason"], "ar") == f"{LRI}'Tulkarm'{PDI} ليست محافظة في غزة (رمز pcode أو اسم)"
    back = json.loads(json.dumps(rep, default=str))["rejections"][0]
    assert localise(back["reason"], "ar") == localise(tulkarm["reason"], "ar")


def _arabic_data_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "ar"
    at.switch_page("dashboard/pages/data.py")
    return at.run()


def test_arabic_data_page_shows_the_rejected_row_with_its_arabic_reason(ws) -> None:
    at = _arabic_data_page()
    assert not at.exception
    at.get("file_uploader")[0].upload("hxl-governorates.csv", (DATA / "hxl-governorates.csv").read_bytes(),
                                      "text/csv")
    at.run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "reason" in d.value.columns]
    row = table[table["row"] == "7"]
    rle, pdf = "\u202b", "\u202c"  # embedded right to left for the table's canvas
    assert list(row["reason"]) == [f"{rle}{LRI}'Tulkarm'{PDI} ليست محافظة في غزة (رمز pcode أو اسم){pdf}"]
    # the English sentence stays on the page, folded away and marked as English
    assert [e.label for e in at.expander if "التقرير بالإنجليزية" in e.label]
    english = [h.proto.body for h in at.get("html")]
    assert any('lang="en"' in b and "'Tulkarm' is not a Gaza governorate" in b for b in english), english


def test_arabic_data_page_writes_a_refused_file_in_arabic(ws) -> None:
    at = _arabic_data_page()
    at.get("file_uploader")[0].upload("junk.csv", bytes(range(256)) * 40, "text/csv")
    at.run()
    assert not at.exception
    # one alert: what happened ("the file cannot be imported") and why, together
    (said,) = [e.value for e in at.error]
    assert "لا يمكن استيراد الملف" in said and "الملف ثنائي، ليس نصًا" in said, said


def test_an_acled_import_with_a_coastal_row_a_row_outside_and_a_bad_date_reads_in_arabic(ws, tmp_path) -> None:
    """ACLED layout (tests/data/imports/acled-edges.csv): row 3 naval fire at sea, row 5 a point in Cairo; row 6's
    date made unreadable here."""
    lines = (DATA / "acled-edges.csv").read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "31 Febuary 2024", 1)
    path = tmp_path / "acled-edges-bad-date.csv"
    path.write_text("\n".join(lines) + "\n")
    rep = imports.import_file(path, dry_run=True)
    reasons = {r["row"]: localise(r["reason"], "ar") for r in rep["rejections"]}
    assert set(reasons) == {5, 6}, rep["rejections"]
    assert reasons[5].startswith("(30") and "تقع خارج قطاع غزة" in reasons[5] and "كم من حدوده" in reasons[5]
    assert "GDM_STRIP_TOLERANCE_M" in reasons[5]
    assert reasons[6].startswith("ليس تاريخًا في التقويم: ") and "31 Febuary 2024" in reasons[6], reasons[6]
    (coast,) = [w for w in rep["warnings"] if "offshore" in w]
    arabic = localise(coast, "ar")
    assert arabic is not None and "حدث خارج حدود القطاع أُبقي ووُسم" in arabic
    assert "قبالة الساحل" in arabic and "الصف 3" in arabic, arabic


def test_a_refusal_from_the_workspace_is_written_in_arabic(ws, monkeypatch) -> None:
    monkeypatch.setenv("GDM_MAX_LAYERS", "1")
    assert imports.import_file(DATA / "acled-clean.csv")["status"] == "written"
    rep = imports.import_file(DATA / "acled-clean.xlsx")  # another file: a second layer, over the cap
    assert rep["status"] == "refused"
    assert error_text(rep["error"], "ar").startswith(f"{LRI}acled-clean.xlsx{PDI}: ")
    assert "تحوي مساحة العمل 1 طبقة وسيضيف هذا الاستيراد 1، فوق الحد البالغ 1" in error_text(rep["error"], "ar")
    assert f"(الحل: احذف الطبقات التي لم تعد تحتاجها، أو ارفع {LRI}GDM_MAX_LAYERS{PDI})" in error_text(rep["error"], "ar")


def test_arabic_data_page_shows_an_acled_files_faults_in_arabic_by_row(ws, tmp_path) -> None:
    """acled-edges.csv (real ACLED layout): row 3 kept at sea off Gaza City, row 5 in Cairo; row 6's date made
    unreadable here."""
    lines = (DATA / "acled-edges.csv").read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "31 Febuary 2024", 1)
    at = _arabic_data_page()
    at.get("file_uploader")[0].upload("acled-edges.csv", ("\n".join(lines) + "\n").encode(), "text/csv")
    at.run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "reason" in d.value.columns]
    reasons = dict(zip(table["row"], table["reason"], strict=True))
    assert set(reasons) == {"5", "6"}, reasons
    assert "تقع خارج قطاع غزة (318.4 كم من حدوده)" in reasons["5"]
    assert "ليس تاريخًا في التقويم" in reasons["6"] and f"{LRI}'31 Febuary 2024'{PDI}" in reasons["6"]
    shown = [c.value for c in at.caption] + [w.value for w in at.warning]
    assert any("قبالة الساحل" in s and "الصف 3" in s for s in shown), [s for s in shown if "الساحل" in s]


def test_arabic_data_page_writes_the_layer_caps_refusal_in_arabic(ws, monkeypatch) -> None:
    monkeypatch.setenv("GDM_MAX_LAYERS", "1")
    # the layer already there is a series (an ACLED layer would bring the ACLED view's layer choice, whose
    # isolated labels AppTest cannot match back to their values)
    assert imports.import_file(DATA / "trucks-yearly.csv", as_="series", unit="trucks")["status"] == "written"
    at = _arabic_data_page()
    at.get("file_uploader")[0].upload("acled-clean.csv", (DATA / "acled-clean.csv").read_bytes(), "text/csv")
    at.run()
    at.button(key="gdm_import").click()
    at.run()
    assert not at.exception
    shown = [e.value for e in at.error] + [c.value for c in at.caption]
    assert any("تحوي مساحة العمل 1 طبقة وسيضيف هذا الاستيراد 1، فوق الحد البالغ 1" in s for s in shown), shown
