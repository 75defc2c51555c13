"""The gazetteer at run time: place search (bounded cache), text -> mentions and figures, the evaluation set,
report files and text decoding, the CLI, the Places page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.__main__ import main
from pipeline.core.errors import InputError
from pipeline.core.names import ARABIC_LETTER, normalize
from pipeline.core.text import LEGACY_ENCODING, decode_text
from pipeline.runtime import detect, workspace
from pipeline.runtime.mentions import find_mentions, place_geometries, save_annotations
from pipeline.runtime.place_search import SEARCH_CACHE_SIZE, GazetteerIndex, build_index, get_index, search
from pipeline.runtime.report_files import text_from_file

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "data" / "eval" / "places_eval.json"

# (spelling as typed, expected place) - 45 spellings across 20 places, Arabic included.
SPELLINGS = [
    ("Khan Younis", "khan-younis"), ("Khan Yunis", "khan-younis"), ("khan yunes", "khan-younis"),
    ("KHAN YOUNES", "khan-younis"), ("خان يونس", "khan-younis"), ("خانيونس", "khan-younis"),
    ("Khan Younnis", "khan-younis"),  # typo
    ("Al-Mawasi", "al-mawasi"), ("al Mawasi", "al-mawasi"), ("Mawasi", "al-mawasi"), ("el-Mawasi", "al-mawasi"),
    ("المواصي", "al-mawasi"), ("المَوَاصِي", "al-mawasi"),  # tashkeel
    ("Rafah", "rafah"), ("رفح", "rafah"), ("Rafah crossing", "rafah-crossing"), ("معبر رفح", "rafah-crossing"),
    ("Kerem Shalom", "kerem-shalom-crossing"), ("Karem Abu Salem", "kerem-shalom-crossing"),
    ("كرم ابو سالم", "kerem-shalom-crossing"),  # hamza dropped (أبو -> ابو)
    ("Deir al-Balah", "deir-al-balah"), ("Deir el Balah", "deir-al-balah"), ("Dair al Balah", "deir-al-balah"),
    ("Jabalia", "jabalia"), ("Jabalya", "jabalia"), ("Jabaliya", "jabalia"), ("جباليا", "jabalia"),
    ("Beit Hanoun", "beit-hanoun"), ("Beit Hanun", "beit-hanoun"), ("Beit Lahiya", "beit-lahia"),
    ("Beit Lahia", "beit-lahia"), ("Nuseirat", "nuseirat"), ("Nusseirat", "nuseirat"), ("النصيرات", "nuseirat"),
    ("Bureij", "bureij"), ("al-Bureij", "bureij"), ("Maghazi", "maghazi"), ("Bani Suhaila", "bani-suheila"),
    ("Khuza'a", "khuzaa"), ("Khuzaa", "khuzaa"), ("Khuzāʿa", "khuzaa"),  # diacritics and ayn
    ("خزاعة", "khuzaa"), ("خزاعه", "khuzaa"),  # ة/ه
    ("Abasan al-Kabira", "abasan-al-kabira"), ("Qarara", "al-qarara"), ("Shati camp", "shati-camp"),
    ("Beach camp", "shati-camp"), ("مخيم الشاطىء", "shati-camp"),  # ى + hamza form
    ("Shujaiyya", "shujaiya"), ("Shejaiya", "shujaiya"), ("Gaza City", "gaza-city"), ("مدينة غزة", "gaza-city"),
    ("مستشفى الشفاء", "al-shifa-hospital"), ("Shifa hospital", "al-shifa-hospital"),
    ("Tel al-Sultan", "tal-as-sultan"), ("Tal as Sultan", "tal-as-sultan"),
]


@pytest.fixture(scope="module")
def idx() -> GazetteerIndex:
    return get_index()


@pytest.mark.parametrize("query,expected", SPELLINGS)
def test_search_finds_each_spelling_first(idx, query, expected):
    hits = search(idx, query)
    assert hits, query
    assert hits[0]["place_id"] == expected, (query, hits[:3])
    assert {"place_id", "name_en", "name_ar", "kind", "score", "lon", "lat"} <= set(hits[0])


def test_search_covers_at_least_30_spellings_over_15_places():
    assert len(SPELLINGS) >= 30 and len({p for _, p in SPELLINGS}) >= 15
    assert sum(1 for q, _ in SPELLINGS if ARABIC_LETTER.search(q)) >= 10


def test_search_ranks_and_rejects(idx):
    hits = search(idx, "Khan Yunis")
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert search(idx, "zzqx") == []
    assert search(idx, "") == []
    assert search(idx, "Doha")[0]["inside_gaza"] is False


def test_search_cache_is_bounded_and_keeps_the_recent_queries(idx):
    small = build_index(idx.places, cache_size=50)
    first = search(small, "Khan Yunis")
    queries = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefgh"]  # 208 distinct queries
    for i, q in enumerate(queries):
        search(small, q)
        if i % 10 == 0:
            search(small, "Khan Yunis")  # used again and again: stays
    assert len(small.search_cache) == 50
    assert ("khan yunis", 10) in small.search_cache
    assert (queries[0], 10) not in small.search_cache  # the oldest went first
    assert search(small, "Khan Yunis") == first == search(build_index(idx.places), "Khan Yunis")


def test_search_cache_of_the_shared_index_has_a_bound(idx):
    assert idx.search_cache.maxsize == SEARCH_CACHE_SIZE <= 10_000
    hits = search(idx, "Rafah")
    hits[0]["name_en"] = "changed by a caller"
    assert search(idx, "Rafah")[0]["name_en"] == "Rafah"  # a cached answer is a copy


def test_normalize_arabic_and_english():
    assert normalize("مُخَيَّم الشَاطِىء") == normalize("مخيم الشاطئ")
    assert normalize("أم النصر") == normalize("ام النصر") == normalize("إم النصر")
    assert normalize("Khuzāʿa") == normalize("Khuza'a") == "khuzaa"
    assert normalize("al-Qarara") == normalize("El Qarara") == "qarara"
    assert normalize("Gaza's") == "gaza"


def _ids(res, key="mentions"):
    return [m["place_id"] for m in res[key]]


def test_mentions_carry_sentence_and_offsets(idx):
    text = "Strikes hit Rafah overnight. Families fled from Khan Yunis to al-Mawasi."
    res = find_mentions(idx, text)
    assert _ids(res) == ["rafah", "khan-younis", "al-mawasi"]
    for m in res["mentions"]:
        assert text[m["start"]:m["end"]] == m["name"]
        assert m["name"] in m["sentence"]
    assert res["mentions"][1]["sentence"] == "Families fled from Khan Yunis to al-Mawasi."
    assert res["mentions"][2]["name"] == "al-Mawasi"


def test_regions_are_areas(idx):
    text = ("Leaflets told people in areas east of Khan Younis to leave. Most people are now in the south of the "
            "strip, while shelling continued in northern Gaza and along the coast.")
    res = find_mentions(idx, text)
    assert _ids(res) == ["east-of-khan-younis", "southern-gaza", "northern-gaza", "coastal-strip"]
    assert "khan-younis" not in _ids(res)  # "east of Khan Younis" is the region, not the city
    geoms = place_geometries(idx, _ids(res))
    assert set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}


def test_outside_places_listed_not_dropped(idx):
    text = "Talks in Doha and Cairo continued; Egypt, Qatar and the US mediated. COP28 opened in Dubai; Israel and Jordan commented."
    res = find_mentions(idx, text)
    assert res["mentions"] == []
    assert set(_ids(res, "outside")) == {"doha", "cairo", "egypt", "qatar", "united-states", "dubai", "israel", "jordan"}
    assert all(m["inside_gaza"] is False for m in res["outside"])


def test_negative_cases(idx):
    # A person's name holding a place word; "us" the pronoun; "Rafah crossing" is not the city.
    res = find_mentions(idx, "Spokesman Younis al-Khatib told us that Dr. Ahmed Nasr was safe.")
    assert res["mentions"] == [] and res["outside"] == []
    res = find_mentions(idx, "Trucks waited at the Rafah crossing. Later, Rafah was hit.")
    assert _ids(res) == ["rafah-crossing", "rafah"]
    res = find_mentions(idx, "The Israel Defense Forces said troops were in Gaza City.")
    assert _ids(res) == ["gaza-city"] and res["outside"] == []
    res = find_mentions(idx, "Nasser hospital was hit; the minister, Mr Nasser, visited.")
    assert _ids(res) == ["nasser-hospital"]


def test_unmatched_names_are_listed_not_invented(idx):
    res = find_mentions(idx, "Families arrived in Khan Younnis and in Hay al-Manara late at night.")
    assert res["mentions"] == []
    names = {u["name"]: u["suggestion"] for u in res["unmatched"]}
    assert names.get("Khan Younnis") == "khan-younis"  # a suggestion only; not drawn
    assert "Hay al-Manara" in names and names["Hay al-Manara"] is None


def test_arabic_text_and_proclitics(idx):
    res = find_mentions(idx, "نزح السكان من بيت حانون إلى مخيم النصيرات وبخان يونس.")
    assert _ids(res) == ["beit-hanoun", "nuseirat", "khan-younis"]


def test_figures_with_units_and_what_they_count(idx):
    text = ("Health officials said 193 people killed since the truce ended. The Red Crescent received 50 trucks "
            "of aid. Jets struck over 50 targets. About 80 per cent of the 2.3mn population is in the south. "
            "The zone covers 6.7 km².")
    figs = find_mentions(idx, text)["figures"]
    by = {(f["value"], f["kind"]): f for f in figs}
    assert by[(193.0, "count")]["counts"].startswith("people killed")
    trucks = [f for f in figs if f["value"] == 50 and f["qualifier"] is None][0]
    assert trucks["counts"] == "trucks of aid" and trucks["unit"] == "trucks"
    over = [f for f in figs if f["qualifier"] == "over"][0]
    assert over["value"] == 50 and over["counts"] == "targets"
    pct = by[(80.0, "percent")]
    assert pct["qualifier"] == "about" and "population" in pct["counts"] and pct["unit"] == "per cent"
    assert by[(2_300_000.0, "population")]["counts"] == "population"
    assert by[(6.7, "area")]["unit"] == "km²"
    assert all(f["sentence"] and text[f["start"]:f["end"]] in f["sentence"] for f in figs)


def test_figures_name_the_places_in_their_sentence(idx):
    figs = find_mentions(idx, "50 trucks entered through the Rafah crossing.")["figures"]
    assert figs[0]["places"] == ["rafah-crossing"]


def test_dates_resolved_against_the_report_date(idx):
    text = "On Friday the truce collapsed. Since 7 October more than 15,200 were killed. Yesterday 4 died."
    figs = find_mentions(idx, text, report_date="2023-12-02")["figures"]
    dates = [f["value"] for f in figs if f["kind"] == "date"]
    assert dates == ["2023-12-01", "2023-10-07", "2023-12-01"]
    nodate = find_mentions(idx, "On Friday the truce collapsed.")["figures"]
    assert nodate[0]["kind"] == "date" and nodate[0]["value"] is None
    assert not [f for f in find_mentions(idx, "In 2023 the war began.")["figures"] if f["kind"] != "date"]


def _score(idx):
    ev = json.loads(EVAL.read_text(encoding="utf-8"))["texts"]
    ptp = pfp = pfn = ftp = ffp = ffn = 0
    for t in ev:
        res = find_mentions(idx, t["text"], report_date=t["date"])
        got = set(_ids(res)) | set(_ids(res, "outside"))
        gold = set(t["places"])
        ptp += len(got & gold)
        pfp += len(got - gold)
        pfn += len(gold - got)
        assert set(_ids(res, "outside")) <= set(t["outside"]) | (got - gold), t["id"]
        preds = list(res["figures"])
        used = set()
        for fgold in t["figures"]:
            for i, f in enumerate(preds):
                if i in used:
                    continue
                if "date" in fgold:
                    ok = f["kind"] == "date" and f["value"] == fgold["date"]
                else:
                    ok = f["kind"] != "date" and isinstance(f["value"], float) and \
                        abs(f["value"] - fgold["value"]) <= 0.005 * abs(fgold["value"]) and \
                        fgold["counts"].lower() in (f["counts"] or "").lower()
                if ok:
                    used.add(i)
                    break
        ftp += len(used)
        ffp += len(preds) - len(used)
        ffn += len(t["figures"]) - len(used)
    return (len(ev), ptp / (ptp + pfp), ptp / (ptp + pfn), ftp / max(1, ftp + ffp), ftp / max(1, ftp + ffn))


def test_precision_and_recall_on_the_evaluation_set(idx):
    n, pp, pr, fp, fr = _score(idx)
    print(f"\nevaluation set: {n} texts; places precision {pp:.3f} recall {pr:.3f}; "
          f"figures precision {fp:.3f} recall {fr:.3f}")
    assert n >= 15
    assert pp >= 0.9 and pr >= 0.9


def test_text_from_html_upload():
    html_doc = b"<html><head><script>var Rafah=1;</script></head><body><h1>Update</h1><p>Strikes in Khan Yunis &amp; Rafah.</p></body></html>"
    text = text_from_file("report.html", html_doc)
    assert "var Rafah" not in text and "Strikes in Khan Yunis & Rafah." in text
    with pytest.raises(InputError, match=r"report\.pdf: unsupported file type '\.pdf' \(fix: upload \.txt, \.md or \.html\)"):
        text_from_file("report.pdf", b"%PDF-1.4")


def test_text_from_file_refuses_binary_and_oversized_uploads():
    with pytest.raises(InputError, match=r"^notes\.txt: the file is binary, not text"):
        text_from_file("notes.txt", b"Rafah\x00\x01\x02" * 50)
    with pytest.raises(InputError, match=r"^big\.txt: text file is larger than 1 MB"):
        text_from_file("big.txt", b"Rafah. " * 200_000, max_bytes=1_000_000)


# ----------------------------------------------------------------------------- text decoding (one policy)

ARABIC = "نزح السكان من خان يونس إلى رفح"


@pytest.mark.parametrize("data", [ARABIC.encode("utf-8"), b"\xef\xbb\xbf" + ARABIC.encode("utf-8"),
                                  ARABIC.encode("utf-16"), b"\xfe\xff" + ARABIC.encode("utf-16-be"),
                                  ARABIC.encode("cp1256")],
                         ids=["utf-8", "utf-8 with BOM", "utf-16 LE with BOM", "utf-16 BE with BOM", "cp1256"])
def test_decode_text_reads_each_encoding_an_arabic_report_comes_in(data):
    assert decode_text(data) == ARABIC


def test_decode_text_decides_utf8_on_the_whole_input():
    # A multi-byte letter straddles the 64 KiB mark: still UTF-8.
    straddle = ("x" * 65535 + "غزة").encode("utf-8")
    assert decode_text(straddle) == "x" * 65535 + "غزة"
    # Plain ASCII for 70 KB, then a legacy Arabic name: the whole text is cp1256, not UTF-8 with junk.
    late = b"a" * 70_000 + " خان يونس".encode(LEGACY_ENCODING)
    assert decode_text(late) == "a" * 70_000 + " خان يونس"
    with pytest.raises(InputError, match=r"^x\.csv: the file is binary, not text \(fix: try this\)$"):
        decode_text(bytes(range(256)) * 4, file="x.csv", fix="try this")


def test_uploaded_table_in_the_legacy_arabic_code_page_keeps_its_arabic_names(tmp_path):
    rows = "".join(f"{i},خان يونس,31.34,34.30\n" for i in range(3000))  # about 80 KB: past the 64 KiB sniff
    f = tmp_path / "legacy.csv"
    f.write_bytes(("id,name_ar,latitude,longitude\n" + rows).encode("cp1256"))
    det = detect.detect(f)
    assert (det.fmt, det.container) == ("csv", "csv")
    frame = detect.read_table(f, det.container, f.name)
    assert set(frame["name_ar"]) == {"خان يونس"} and len(frame) == 3000


def test_cli_prints_mentions_and_figures(tmp_path, capsys):
    f = tmp_path / "report.txt"
    f.write_text("On Friday 50 trucks of aid entered through the Rafah crossing. Talks went on in Doha.",
                 encoding="utf-8")
    assert main(["places", str(f), "--date", "2023-12-02"]) == 0
    data = json.loads(capsys.readouterr().out)
    m = data["mentions"][0]
    assert (m["name"], m["place_id"], m["inside_gaza"]) == ("Rafah crossing", "rafah-crossing", True)
    assert f.read_text()[m["start"]:m["end"]] == "Rafah crossing" and m["sentence"].startswith("On Friday")
    assert data["outside"][0]["place_id"] == "doha"
    kinds = {(x["kind"], x["value"]) for x in data["figures"]}
    assert ("date", "2023-12-01") in kinds and ("count", 50.0) in kinds


def test_cli_names_a_missing_file(tmp_path, capsys):
    assert main(["places", str(tmp_path / "nowhere.txt")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nowhere.txt'}: file not found"


def test_save_annotations_writes_a_workspace_layer(tmp_path, idx):
    res = find_mentions(idx, "Families fled east of Khan Younis to Rafah.")
    entry = save_annotations(idx, res["mentions"], title="Flash update 1", date="2023-12-02",
                             link="https://example.org/update", root=tmp_path)
    assert entry["kind"] == "annotations" and entry["rows"] == 2 and entry["title"] == "Flash update 1"
    layer = workspace.load(entry["name"], root=tmp_path)
    assert list(layer["place_id"]) == ["east-of-khan-younis", "rafah"]
    assert layer.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert set(layer["link"]) == {"https://example.org/update"}
    with pytest.raises(InputError, match=r"^field 'title': an annotation layer needs a title"):
        save_annotations(idx, res["mentions"], title="  ", root=tmp_path)
    with pytest.raises(InputError, match=r"^no mention selected: nothing to keep"):
        save_annotations(idx, [], title="Flash update 2", root=tmp_path)
    assert [e["name"] for e in workspace.list_layers(tmp_path)] == [entry["name"]]


def test_places_map_escapes_and_draws_regions_as_areas(idx):
    from dashboard.places_map import build_places_map

    places = idx.places.copy()
    places.loc[places["place_id"] == "rafah", "name_en"] = "Rafah <script>alert(1)</script>"
    res = find_mentions(idx, "People in northern Gaza and in Rafah; talks in Doha.")
    html_out = build_places_map(places, named=res["places"], localize=False).get_root().render()
    assert "<script>alert(1)</script>" not in html_out and "&lt;script&gt;" in html_out
    assert 'dir="rtl"' in html_out and "رفح" in html_out
    assert "Doha" not in html_out  # outside: listed by the page, never drawn
    assert "dashArray" in html_out  # the region drawn as an area


# ----------------------------------------------------------------------------- the Places page

def _page_app():
    return AppTest.from_file(str(ROOT / "dashboard" / "pages" / "places.py"), default_timeout=90)


def test_places_page_search_and_report(tmp_path, monkeypatch):
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path))
    at = _page_app().run()
    assert not at.exception
    at.text_input(key="places_query").input("Khan Yunis").run()
    assert not at.exception
    assert at.radio(key="places_pick").value == "khan-younis"
    assert any("خان يونس" in md.value and 'dir="rtl"' in md.value for md in at.markdown)
    at.text_area(key="places_text").input(
        "On Friday leaflets told people in areas east of Khan Younis to go to Rafah. 50 trucks of aid "
        "entered. Talks continued in Doha. Families reached Khan Younnis.").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Places in Gaza"] == "2" and metrics["Outside Gaza"] == "1"
    assert metrics["Unmatched names"] == "1"
    assert any("Doha" in md.value and "outside Gaza" in md.value for md in at.markdown)
    tables = [d.value for d in at.dataframe]
    assert any("east of Khan Younis" in t.to_string() for t in tables)
    assert any("trucks of aid" in t.to_string() for t in tables)
    at.text_input(key="places_title").input("Scenario update")
    at.text_input(key="places_link").input("https://example.org/a")
    at.button(key="places_save").click().run()
    assert not at.exception
    assert any("Saved workspace layer" in s.value for s in at.success)
    assert [e["kind"] for e in workspace.list_layers(tmp_path)] == ["annotations"]


def test_places_page_through_the_app_router():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("dashboard/pages/places.py").run()
    assert not at.exception
    assert any(t.value == "Places" for t in at.title)
    at.text_input(key="places_query").input("المواصي").run()
    assert not at.exception
    assert at.radio(key="places_pick").value == "al-mawasi"


# Markdown that Streamlit would render: backslash-escaped ASCII punctuation is shown as the character itself.
_MARKUP = set("[]()!<>*_`#|~$:")


def _as_commonmark_shows_it(source: str) -> tuple[str, list[str]]:
    """(the text CommonMark displays for ``source``, the markup characters left unescaped in it)."""
    shown, unescaped, i = [], [], 0
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source) and source[i + 1].isascii() and not source[i + 1].isalnum() \
                and not source[i + 1].isspace():
            shown.append(source[i + 1])
            i += 2
            continue
        if c in _MARKUP:
            unescaped.append(c)
        shown.append(c)
        i += 1
    return "".join(shown), unescaped


def test_no_match_warning_shows_a_crafted_query_as_literal_text():
    crafted = "[x](https://evil.example) ![i](https://evil.example/i.png) **zzqx** www.evil.example a@evil.example"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("dashboard/pages/places.py").run()
    at.text_input(key="places_query").input(crafted).run()
    assert not at.exception
    assert len(at.warning) == 1 and "places_pick" not in [r.key for r in at.radio]  # no place matched
    shown, unescaped = _as_commonmark_shows_it(at.warning[0].value)
    assert shown.replace("\u2060", "") == f"No place matches “{crafted}”."  # as typed (word joiners are invisible)
    assert unescaped == []  # no link, no image, no bold: nothing of the query is markup
    assert not re.search(r"https?://|www\.|\w@\w", shown)  # nor a bare URL that GFM would link


def test_facilities_are_searchable_on_the_places_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("dashboard/pages/places.py")
    at.run()
    at.text_input(key="facilities_query").set_value("مستشفي الشفاء").run()  # ي for ى, as typed on many keyboards
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["name_ar"].tolist() == ["مستشفى الشفاء"] and table["kind_en"].tolist() == ["Hospital"]
    at.text_input(key="facilities_query").set_value("").run()
    at.multiselect(key="facilities_kinds").set_value(["school"]).run()
    at.multiselect(key="facilities_gov").set_value(["PS0275"]).run()
    assert any("**38** facilities match" in m.value for m in at.markdown)
