"""Translations: every message in the code has an Arabic translation; fields and catalogue stay consistent."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pipeline.core import i18n

ROOT = Path(__file__).resolve().parent.parent
FIELD = re.compile(r"\{[a-z_][a-z0-9_]*(?:[:!][^{}]*)?\}")


def code_messages() -> dict[str, str]:
    """``{message: "file:line"}`` extracted from the code as ``bash scripts/i18n`` does (babel.cfg)."""
    method_map = [("app.py", "python"), ("dashboard/**.py", "python"), ("pipeline/**.py", "python")]
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "N_": None}):
        if isinstance(message, str) and message:
            found.setdefault(message, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def arabic() -> dict[str, str]:
    with i18n.catalogue_path("ar").open("rb") as fh:
        cat = read_po(fh, locale="ar")
    return {str(m.id): str(m.string) for m in cat if m.id and not m.fuzzy}


def test_every_message_in_the_code_has_an_arabic_translation(arabic: dict[str, str]) -> None:
    messages = code_messages()
    assert len(messages) > 5, "extraction found no messages: is babel.cfg right?"
    missing = {m: where for m, where in messages.items() if not arabic.get(m, "").strip()}
    assert not missing, ("messages without an Arabic translation (run `bash scripts/i18n`, then translate "
                         "the empty entries in pipeline/locale/ar/LC_MESSAGES/messages.po):\n"
                         + "\n".join(f"  {where}: {m!r}" for m, where in sorted(missing.items())[:50]))


def test_translations_keep_their_fields(arabic: dict[str, str]) -> None:
    wrong = {m: s for m, s in arabic.items() if s and sorted(FIELD.findall(m)) != sorted(FIELD.findall(s))}
    assert not wrong, f"a translation lost or renamed a {{field}}: {wrong}"


def test_translations_are_arabic_not_copies(arabic: dict[str, str]) -> None:
    letters = re.compile(r"[\u0600-\u06FF]")
    copies = [m for m, s in arabic.items() if s and not letters.search(FIELD.sub("", s))]
    assert not copies, f"these 'translations' hold no Arabic letter: {copies[:20]}"


def test_translate_falls_back_to_english_and_reads_the_catalogue() -> None:
    assert i18n.translate("Map", "ar") == "الخريطة"
    assert i18n.translate("Map", "en") == "Map"
    assert i18n.translate("a sentence nobody wrote", "ar") == "a sentence nobody wrote"
    assert i18n.normalise("AR") == "ar" and i18n.normalise("ar-PS") == "ar" and i18n.normalise("xx") == "en"


def test_arabic_dates_and_numbers_follow_the_stated_convention() -> None:
    assert i18n.date_text(date(2023, 12, 5), "ar") == "5 كانون الأول 2023"
    assert i18n.date_text(date(2023, 12, 5), "en") == "5 Dec 2023"
    assert i18n.number_text(1234567, "ar") == "1,234,567"
    assert i18n.number_text(12.345, "ar", digits=1) == "12.3"


# ---------------------------------------------------------------- the map's tooltips and the report's words

LATIN = re.compile(r"[A-Za-z]{2,}")
ISOLATED = re.compile("\u2066[^\u2069]*\u2069")
ARABIC = re.compile(r"[\u0600-\u06FF]")
CODES = {"ACLED", "km"}  # a dataset's name and the unit, left in Latin letters by the catalogue


def english_outside_isolates(tips: list[str]) -> set[str]:
    """Latin words of the tooltips' text lines (as the map shows them) outside the isolated data."""
    from dashboard.map_payload import lines

    words = {w for t in tips for line in lines(t) for w in LATIN.findall(ISOLATED.sub(" ", line))}
    return words - CODES


@pytest.fixture(scope="module")
def bundle_layers() -> dict[str, object]:
    from pipeline.runtime.bundle import load_geolayer, load_layer

    return {n: load_geolayer(n) for n in ("events", "zones", "places", "blocks", "governorates")} | {
        "claims": load_layer("claims"), "series": load_layer("series")}


def test_map_tooltips_in_arabic_keep_english_only_for_the_data(bundle_layers: dict[str, object]) -> None:
    """Every incident, zone and claim of the bundle: its tooltip reads Arabic; the English left is the data's own
    (a place, a source, a note), isolated so it keeps its order in the right-to-left line."""
    from dashboard.map_layers import prepare_claims, prepare_events, prepare_zone

    b = bundle_layers
    tips = {"incidents": list(prepare_events(b["events"], "ar")["tip"]),
            "zones": list(prepare_zone(b["zones"], "ar")["tip"]),
            "claims": list(prepare_claims(b["claims"], b["places"], lang="ar")["tip"])}
    for kind, shown in tips.items():
        assert shown and all(ARABIC.search(t) for t in shown), kind
        assert not english_outside_isolates(shown), (kind, english_outside_isolates(shown))
    assert "الوفيات المبلّغ عنها" in tips["incidents"][0] and "هجوم على" in " ".join(tips["incidents"])
    assert "أُعلنت من" in " ".join(tips["zones"]) and "بحسب" in tips["claims"][0]
    # the English tooltips are the English words they were
    assert prepare_events(b["events"].head(1))["tip"].iloc[0].count("Reported fatalities:") == 1


def test_imported_layers_on_the_map_in_arabic(bundle_layers: dict[str, object]) -> None:
    """Imported events (as points and aggregated by block), zones and figures: tooltips and the legend's line in
    Arabic, the layer's own values as written."""
    import geopandas as gpd

    from dashboard.map_layers import prepare_workspace_layer

    b = bundle_layers
    on, blocks, govs = date(2023, 12, 10), b["blocks"], b["governorates"]
    events, zones = b["events"], b["zones"]
    series = b["series"]
    adults = series[series["metric"] == "population_adults_est"].merge(govs[["pcode", "geometry"]], on="pcode")
    figures = gpd.GeoDataFrame(adults, geometry="geometry", crs=govs.crs)
    shown = {
        "points": prepare_workspace_layer({"name": "my incidents", "kind": "events"}, events, on=on, window=30,
                                          blocks=blocks, governorates=govs, lang="ar"),
        "aggregated": prepare_workspace_layer({"name": "my incidents", "kind": "events"}, events, on=on, window=30,
                                              blocks=blocks, governorates=govs, max_points=1, lang="ar"),
        "zones": prepare_workspace_layer({"name": "my zones", "kind": "zones"}, zones, on=on, window=30,
                                         blocks=blocks, governorates=govs, lang="ar"),
        "figures": prepare_workspace_layer({"name": "my figures", "kind": "figures"}, figures, on=on, window=30,
                                           blocks=blocks, governorates=govs, lang="ar"),
    }
    for kind, layer in shown.items():
        assert layer.frame is not None and len(layer.frame), kind
        tips = list(layer.frame["tip"])
        assert all(ARABIC.search(t) for t in tips), kind
        assert not english_outside_isolates(tips), (kind, english_outside_isolates(tips))
        assert ARABIC.search(layer.detail) and not LATIN.findall(ISOLATED.sub(" ", layer.detail)), layer.detail
        assert "مستوردة: \u2066my" in " ".join(tips), kind  # the layer's own name, as written
    assert "البلوك" in shown["aggregated"].frame["tip"].iloc[0]
    assert "خان يونس" in " ".join(shown["figures"].frame["tip"])


def test_the_report_words_come_from_the_catalogue() -> None:
    """The situation report's layer names, units and the data sentences it restates are catalogue messages."""
    from pipeline.runtime.sitrep_text import DATA_SENTENCES, LAYER_NAMES, UNITS, Words, layer_name

    arabic = i18n.catalogue("ar")
    assert all(m in arabic for m in [*LAYER_NAMES.values(), *UNITS.values(), *DATA_SENTENCES])
    w = Words("ar")
    assert layer_name("events", "ar") == "الحوادث" and w.unit("adults (18+)") == "البالغون (18 عاما فأكثر)"
    assert w.data_text("a sentence the catalogue has not") == i18n.isolate("a sentence the catalogue has not")
    assert layer_name("events", "en") == "incidents" and Words("en").unit("people") == "People"


ENGLISH_MARKED = re.compile(r'<(bdi|span) lang="en"[^>]*>.*?</\1>', re.S)
TAG = re.compile(r"<[^>]+>")
NAMES = {"OCHA", "UN", "IDF", "ACLED", "km"}  # organisations' names the catalogue writes in Latin letters


@pytest.mark.parametrize("on", ["2023-12-02", "2023-12-10", "2024-01-30"])
def test_map_page_lists_in_arabic_mark_the_data_they_quote(on: str) -> None:
    """The lists under the map (where people are, the claims, where sources disagree, the reported-but-unmapped
    orders), as the Arabic page draws them from the real figures: Arabic words, right to left, the data's English
    marked ``lang="en"``; in English the same lists read as before."""
    from dashboard import data
    from dashboard.kpis import claims_list, disagreements_list, population_comparison, reported_unmapped_list

    m = data.metrics(on, "2023-12-01", 7)
    lists = {
        "people": population_comparison(m, "ar"),
        "claims": claims_list(data.claims_in(on, 7), "ar"),
        "disagree": disagreements_list(data.order_block_disagreements("2023-12-01", on), data.zone_disagreements(m),
                                       data.population_statements(on), "ar"),
        "unmapped": reported_unmapped_list(m, "ar"),
    }
    assert lists["people"] and lists["disagree"], on
    for name, html in lists.items():
        if not html:
            continue
        assert html.startswith("<ul") and 'dir="rtl"' in html.split(">")[0], name
        text = TAG.sub(" ", ENGLISH_MARKED.sub(" ", html))
        assert ARABIC.search(text), name
        left = set(LATIN.findall(ISOLATED.sub(" ", text))) - NAMES
        assert not left, (name, left)
    assert "بحسب" in lists["people"] and "من السكان في المحافظات الجنوبية الثلاث" in lists["people"]
    english = population_comparison(m)
    assert "of the population in the three southern governorates" in english and 'lang="en"' not in english


@pytest.mark.parametrize("text,arabic", [("2023-02-30", "لا يوجد هذا اليوم في ذلك الشهر"),
                                         ("2023-13-01", "يجب أن يكون الشهر من 1 إلى 12")])
def test_a_date_that_does_not_exist_is_explained_in_the_pages_language(text, arabic):
    """The reason is the project's own words, not Python's ("day is out of range for month"), so Arabic has it."""
    from pipeline.core.dates import DateParseError, parse_date

    with pytest.raises(DateParseError) as info:
        parse_date(text)
    message = info.value.args[0]
    assert "out of range" not in message and "must be in" not in message
    assert arabic in message.render("ar") and not re.search(r"[A-Za-z]{3,}", message.render("ar"))


def test_the_area_of_a_reference_figure_reads_in_arabic_and_stays_as_written_in_english():
    """OCHA's figure for "orders issued since 2023-12-01, north of Wadi Gaza" (the project's words for the area it
    covers) is named in Arabic on the Arabic page, its date written the Arabic way; English keeps the words."""
    from dashboard.kpis import area_text

    said = "orders issued since 2023-12-01, north of Wadi Gaza"
    assert area_text(said, "ar") == "المنطقة المشمولة بالأوامر الصادرة منذ 1 كانون الأول 2023 شمال وادي غزة"
    assert area_text(said, "en") == said
    assert area_text("an area in other words", "ar") == '<bdi lang="en">an area in other words</bdi>'
