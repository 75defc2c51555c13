"""Pages in Arabic in a real browser: Arabic title, laid out right to left, no English left in the page's text.

``english_left(page)`` is the check, written to be applied to every page: it reads the main container's text
as the browser renders it, leaves out what the page marks as data written in another language (elements with
``lang="en"`` or ``lang="he"``, text isolated with U+2066...U+2069, which the pages use for source names and
quoted text, and icons, ``aria-hidden`` elements whose text is the name of a font glyph), and returns the Latin words that remain and are not on the allowed list (source and dataset
names, licences, codes, ids, URLs, file and field names the definitions quote).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pipeline.core import i18n

from .conftest import IDLE, shot
from .test_journeys import click_block, open_map

pytestmark = pytest.mark.browser

ARABIC = re.compile(r"[\u0600-\u06FF]")
ISOLATED = re.compile("\u2066[^\u2069]*\u2069")
# Words that stay in Latin script in Arabic text: names of sources, datasets, organisations and formats,
# licences, codes and the code names the definitions quote (EPSG:32636, blocks.pop_prewar_est).
ALLOWED_WORDS = {
    "gazamaps", "bothness", "idf", "ocha", "unrwa", "cogat", "unosat", "pcbs", "hdx", "acled", "osm",
    "openstreetmap", "odbl", "cc", "by", "csv", "geojson", "geopackage", "epsg", "n", "km", "leaflet",
    "mohammadbalata", "gaza", "damage", "assessment", "frontend", "filled", "true", "basis", "python", "m",
    "pipeline", "build", "runtime", "metrics", "sha256", "gazanowpop", "gpl", "pdf", "un",
    "insecurity", "insight", "forensic", "architecture", "pcode",
}
CODE = re.compile(
    r"^(?:https?://\S+|[\w.-]+\.(?:csv|json|py|md)|[a-z]+(?:[._][a-z0-9]+)+|[a-z]+-[\w-]+|[A-Z]{2}\d{4})$")


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` outside isolates (U+2066...U+2069) that are neither allowed nor codes."""
    text = ISOLATED.sub(" ", text)
    words = re.findall(r"[A-Za-z][\w.:/-]*[A-Za-z0-9]|[A-Za-z]", text)
    return sorted({w for w in words if w.lower() not in ALLOWED_WORDS and not CODE.match(w)
                   and not all(p.lower() in ALLOWED_WORDS or p.isdigit() for p in re.split(r"[.:/_-]", w) if p)})


def english_left(page, selector: str = "[data-testid='stMain']", skip: str = "") -> list[str]:
    """Latin words in the rendered text of ``selector`` that are neither marked data nor allowed; ``skip`` (a CSS
    selector) leaves out parts translated elsewhere."""
    text = page.evaluate(
        """([sel, skip]) => {
            const root = document.querySelector(sel).cloneNode(true);
            // aria-hidden: icons, whose text is a font ligature name ("upload"), never read as words; code: a
            // command or field name the text quotes (`python -m pipeline orders`); an empty date field's
            // placeholders ("yyyy"), drawn at size 0 with the page's words in their place (checked apart:
            // placeholder_words)
            root.querySelectorAll('[lang]:not([lang="ar"]), [aria-hidden="true"], code, script, style, iframe, '
                                  + '[data-placeholder="true"]')
                .forEach(e => e.remove());
            if (skip) root.querySelectorAll(skip).forEach(e => e.remove());
            document.body.appendChild(root);  // innerText needs a rendered node
            root.style.position = 'absolute'; root.style.left = '-99999px';
            const t = root.innerText; root.remove(); return t;
        }""", [selector, skip])
    return latin_words(text)


def placeholder_words(page) -> list[str]:
    """What the page shows in place of its empty date fields' placeholders (the stylesheet's words)."""
    return page.locator("[data-testid='stMain'] [data-testid='stDateInputField'] [data-placeholder='true']") \
        .evaluate_all("els => els.map(e => getComputedStyle(e, '::after').content)")


def tables_english(page, data_columns: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Per column header of the page's visible tables (``st.dataframe``: its accessible table, as a screen reader
    reads it), the Latin words left in the header and the cells; columns whose header is in ``data_columns`` (the
    catalogue's words for source, title, file ...) hold data as written and are left out."""
    shown = "Array.from(document.querySelectorAll(\"[data-testid='stMain'] [data-testid='stDataFrame']\"))" \
            ".filter(t => t.offsetParent !== null)"
    # each grid fills its accessible table once it has drawn its rows
    page.wait_for_function(f"() => {shown}.every(t => t.querySelector('table tbody tr td'))")
    tables = page.evaluate(
        """() => Array.from(document.querySelectorAll("[data-testid='stMain'] [data-testid='stDataFrame']"))
            .filter(t => t.offsetParent !== null).map(t => {
                const heads = Array.from(t.querySelectorAll('table thead th')).map(c => c.textContent.trim());
                const rows = Array.from(t.querySelectorAll('table tbody tr'))
                    .map(r => Array.from(r.querySelectorAll('td')).map(c => c.textContent));
                return {heads, rows};
            })""")
    assert tables, "no table on the page"
    out: dict[str, list[str]] = {}
    for t in tables:
        assert t["rows"], f"a table shows no rows: {t['heads']}"
        for i, head in enumerate(t["heads"]):
            if head in data_columns:
                continue
            cells = " ".join(r[i] for r in t["rows"] if i < len(r))
            left = latin_words(f"{head} {cells}")
            if left:
                out[head] = left
    return out


def open_expanders(page) -> int:
    """Open every closed expander of the main area (their text is then rendered); how many there are."""
    closed = page.locator("[data-testid='stMain'] [data-testid='stExpander'] details:not([open]) > summary")
    for _ in range(closed.count()):  # the locator follows the page: the first closed one, each time
        closed.first.click()
    page.wait_for_selector(IDLE)
    return page.locator("[data-testid='stMain'] [data-testid='stExpander']").count()


def open_arabic(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain'] h1")
    page.wait_for_selector(IDLE)
    expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(ARABIC)


# Per page, the table columns that hold data as written (source names and titles, files, licences, ids, the
# source's own caveat): by their English header, translated as the page shows it.
TABLE_DATA = {
    "orders": ("Order",),
    "data": ("layer", "source", "licence", "metric", "file", "title", "origin", "caveat", "url", "sha256"),
}


@pytest.mark.parametrize("path,heading", [("orders", "الأوامر"), ("method", "المنهجية والتنبيهات"),
                                          ("timeline", "الخط الزمني"),
                                          ("data", "البيانات: المصادر والتراخيص والتنزيلات"),
                                          ("places", "الأماكن")])
def test_page_is_arabic_and_right_to_left(server, page, path, heading):
    open_arabic(page, f"{server.url}/{path}?lang=ar")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    assert ARABIC.search(page.title()), page.title()
    main = page.locator("[data-testid='stMain']")
    page.wait_for_function("() => getComputedStyle(document.querySelector(\"[data-testid='stMain']\")).direction"
                           " === 'rtl'")  # the page's style arrives with its first elements
    assert main.locator("h1").first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    open_expanders(page)
    left = english_left(page)
    shot(page, f"arabic-{path}")
    assert not left, f"English left on /{path}?lang=ar: {left}"
    if path in TABLE_DATA:  # the tables' headers and categorical values too (source names, ids: as written)
        left_in_tables = tables_english(page, frozenset(i18n.translate(c, "ar") for c in TABLE_DATA[path]))
        assert not left_in_tables, f"English left in the tables of /{path}?lang=ar: {left_in_tables}"


def test_orders_in_arabic_one_day_and_its_card(server, page):
    open_arabic(page, f"{server.url}/orders?lang=ar")
    page.get_by_label("الأوامر الصادرة في").click()
    page.keyboard.type("2 كانون الأول 2023")
    page.get_by_role("option", name="2 كانون الأول 2023 (الأوامر: 2)").click()
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="الأوامر الصادرة من 2 كانون الأول 2023 إلى 2 كانون الأول 2023: 2")
           ).to_be_visible()
    expect(page.locator("[data-testid='stMetric']").filter(has_text="المرافق داخلها")).to_contain_text("1,111")
    assert not english_left(page), english_left(page)


def test_english_check_sees_english(server, page):
    """The check itself: on the English page it finds English words (so an empty list above means something)."""
    page.goto(f"{server.url}/method")
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="Method and caveats")).to_be_visible()
    assert {"Definitions", "Caveats"} <= set(english_left(page))


def test_timeline_charts_in_arabic(server, page):
    """The Timeline's charts: Arabic axis titles and month names, the value axis on the right, Vega's own geometry
    kept left to right (its SVG anchors would flip otherwise)."""
    open_arabic(page, f"{server.url}/timeline?lang=ar")
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    expect(chart.locator("svg")).to_be_visible()
    assert chart.evaluate("e => getComputedStyle(e).direction") == "ltr"
    texts = chart.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")  # SVG has no innerText
    assert any("النسبة الخاضعة للأوامر" in t for t in texts), texts
    assert any("كانون الأول" in t or "آب" in t for t in texts), texts
    assert not [t for t in texts if re.search("[A-Za-z]", t)], texts
    box, title = chart.locator("svg").bounding_box(), chart.locator("svg text", has_text="النسبة").first.bounding_box()
    assert title["x"] > box["x"] + box["width"] / 2, "the value axis' title stands on the right"


def test_places_in_arabic_finds_a_latin_transliteration(server, page):
    """The Places page in Arabic: a Latin spelling still finds the place, which reads by its Arabic name first."""
    open_arabic(page, f"{server.url}/places?lang=ar")
    box = page.get_by_label("اسم المكان (بالعربية أو الإنجليزية)")
    box.fill("Khan Yunis")
    box.press("Enter")
    page.wait_for_selector(IDLE)
    first = page.locator(".st-key-places_pick [role='radiogroup'] label").first
    expect(first).to_contain_text("خان يونس")
    label = first.inner_text()
    assert label.index("خان يونس") < label.index("Khan"), label  # the Arabic name leads
    expect(page.locator("[data-testid='stMain'] [lang='en']", has_text="Khan").first).to_be_attached()
    shot(page, "arabic-places-search")
    assert not english_left(page), english_left(page)


def test_upload_section_in_arabic_reports_a_check(server, page, tmp_path):
    """A file checked on the Arabic Data page: the report's heading and summary in Arabic, its own sentences as
    written and marked English."""
    open_arabic(page, f"{server.url}/data?lang=ar")
    csv = tmp_path / "points.csv"
    csv.write_text("latitude,longitude,date,note\n31.35,34.30,2023-12-01,a\n91,34.30,2023-12-01,b\n")
    page.locator(".st-key-gdm_upload input[type=file]").set_input_files(str(csv))
    heading = page.locator(".st-key-gdm_upload_section strong").filter(has_text="لم يُحفظ شيء بعد")
    expect(heading).to_contain_text("points.csv", timeout=30000)  # the file's name isolated in the Arabic line
    page.wait_for_selector(IDLE)
    expect(page.locator("[data-testid='stMetric']").filter(has_text="الصفوف المقروءة")).to_contain_text("2")
    alerts = page.locator(".st-key-gdm_upload_section [data-testid='stAlert']")
    expect(alerts.filter(has_text="قُبل 1 من 2 صف، ورُفض 1")).to_be_visible()  # the summary
    # the report's own sentence, in Arabic from its template, with its advice
    expect(alerts.filter(has_text="رُفض 1 من 2 صف: لم يُستورد شيء (صحّح الصفوف، أو اقبل الاستيراد الجزئي)")
           ).to_be_visible()
    assert page.locator(".st-key-gdm_upload_section [lang='en']").count() >= 1
    shot(page, "arabic-upload-report")
    # the page's own words around the report are Arabic (Streamlit's uploader chrome once a file is chosen, its
    # icons' ligature names and the file's size, still reads "B", "add", "icon": left out of this check)
    assert not english_left(page, skip=".st-key-gdm_upload"), english_left(page, skip=".st-key-gdm_upload")


# Points to hover for each kind of feature (page coordinates inside the map, Leaflet's own geometry): an incident's
# centre, points inside the zone, points on a claim's dotted outline (claims are drawn unfilled: only the line takes
# the mouse). Several candidates each: another feature may lie on top of the first.
CANDIDATES = """kind => {
    const out = [], size = gdmMap.getSize();
    const push = ll => { const c = gdmMap.latLngToContainerPoint(ll);
                         if (c.x > 10 && c.y > 10 && c.x < size.x - 10 && c.y < size.y - 10) out.push([c.x, c.y]); };
    gdmMap.eachLayer(l => {
        if (!l.feature || !l._map || !l.getTooltip || !l.getTooltip()) return;
        const p = l.feature.properties;
        if (kind === 'incident' && p.incident) push(l.getLatLng());
        else if (kind === 'zone' && p.zone_id !== undefined) {
            const b = l.getBounds();  // a grid over its bounds, the points inside the outline
            for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
                const ll = L.latLng(b.getSouth() + i / 10 * (b.getNorth() - b.getSouth()),
                                    b.getWest() + j / 10 * (b.getEast() - b.getWest()));
                if (l._containsPoint(gdmMap.latLngToLayerPoint(ll))) push(ll);
            }
        } else if (kind === 'claim' && l.options.color === '#6a51a3' && l.getLatLngs) {  // the claims' colour
            const ring = l.getLatLngs().flat(3);
            for (let i = 0; i < ring.length; i += Math.max(1, Math.floor(ring.length / 8))) push(ring[i]);
        }
    });
    return out;
}"""
TOOLTIP = "[data-testid='stMain'] .leaflet-tooltip.gdm-tooltip"


def hover_tooltip(page, kind: str, has_text: str) -> str:
    """Move the mouse over a feature of ``kind`` until its tooltip (holding ``has_text``) opens; its text."""
    from .test_journeys import map_box

    box = map_box(page)
    points = page.evaluate(CANDIDATES, kind)
    assert points, f"no {kind} drawn on the map"
    for x, y in points[:40]:
        page.mouse.move(box["x"] + x, box["y"] + y)
        tip = page.locator(TOOLTIP).filter(has_text=has_text)
        if tip.count():
            return tip.first.inner_text()
    raise AssertionError(f"no {kind} tooltip with {has_text!r} opened over {len(points)} points")


def test_map_page_is_arabic_everywhere(server, page):
    """/?lang=ar: the Map page's title, KPI labels and legend in Arabic, right to left; the map itself left to
    right. No English left anywhere on the page: with every expander open, in each tooltip (an incident, the zone,
    a claim, hovered), after a date change, in a block's history and with the facilities' legend."""
    frame = open_map(page, f"{server.url}/?lang=ar")
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="أوامر الإخلاء والمناطق والغارات")).to_be_visible()
    expect(page.locator("[data-testid='stMetricLabel']").first).to_contain_text(ARABIC)
    legend = frame.locator(".gdm-legend")
    expect(legend).to_contain_text("مفتاح الخريطة")
    expect(legend).to_contain_text("2 كانون الأول 2023")
    assert legend.get_attribute("dir") == "rtl"
    assert frame.locator(".leaflet-container").evaluate("e => getComputedStyle(e).direction") == "ltr"
    expect(page.locator(".st-key-gdm_report_lang")).to_contain_text("الإنجليزية")
    assert open_expanders(page) >= 3  # what changed, where sources disagree, reported events
    lists = page.locator(".gdm-claims, .gdm-disagree")
    assert lists.count() >= 3
    for i in range(lists.count()):
        assert lists.nth(i).get_attribute("dir") == "rtl"
    expect(page.locator(".gdm-claim")).to_contain_text("بحسب")  # the attributed 80% claim, in Arabic words
    expect(page.locator(".gdm-claim [lang='en']").first).to_be_attached()  # the party, as written
    shot(page, "arabic-map-expanders")
    assert not english_left(page), f"English left on the Map page: {english_left(page)}"

    for kind, words in (("incident", "الوفيات المبلّغ عنها"), ("zone", "منطقة إنسانية"), ("claim", "بحسب")):
        tip = hover_tooltip(page, kind, words)
        assert ARABIC.search(tip), tip
        shot(page, f"arabic-map-tooltip-{kind}")
        left = english_left(page)
        assert not left, f"English left in the {kind} tooltip: {left}\n{tip}"

    page.get_by_role("button", name="يوم ◀").click()  # one day later
    expect(legend).to_contain_text("3 كانون الأول 2023")
    page.wait_for_selector(IDLE)
    open_expanders(page)
    assert not english_left(page), f"English left after the date change: {english_left(page)}"
    click_block(page, "recent")
    expect(page.locator("[data-testid='stMain'] h3", has_text="سجل البلوك")).to_be_visible()
    history = page.locator(".gdm-history")
    expect(history).to_contain_text("أمر إخلاء ذكر هذا البلوك")
    assert history.get_attribute("dir") == "rtl"
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("البلوك")
    shot(page, "arabic-map-block-history")
    left = english_left(page)
    assert not left, f"English left after the block's click: {left}"

    frame.locator(".leaflet-control-layers").hover()
    frame.get_by_label("المرافق (معالم مسمّاة)").check()
    expect(legend).to_contain_text("مستشفى")
    shot(page, "arabic-map-facilities")
    assert not english_left(page), f"English left with the facilities' legend: {english_left(page)}"


def test_report_to_map_in_arabic(server, page):
    """A report pasted on the Arabic Places page: its places, figures and unmatched names in Arabic words; the
    report's own words (a name as written, the sentence, a figure's qualifier) shown as written."""
    open_arabic(page, f"{server.url}/places?lang=ar")
    page.get_by_role("tab", name="من التقرير إلى الخريطة").click()
    box = page.get_by_label("الصق تقريرا")
    box.fill("More than 20 people were killed in Rafah on Friday. Families fled from the areas east of Khan Yunis "
             "towards Al-Mawasi. Talks continued in Doha and in Qizan an-Najjar.")
    box.press("Control+Enter")
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="الأماكن المذكورة")).to_be_visible()
    named = page.locator("[data-testid='stMain'] li", has_text="رفح").first
    assert named.evaluate("e => getComputedStyle(e).textAlign") == "right"  # the list reads from the right edge
    assert box.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"  # the English report, left to right
    shot(page, "arabic-places-report")
    left = english_left(page)
    assert not left, f"English left on the report's page: {left}"
    assert placeholder_words(page) == ['"سنة"', '"شهر"', '"يوم"']  # the empty report date: year, month, day
    data = ("name as written", "place", "place id", "sentence", "name", "closest gazetteer place (not applied)",
            "figure", "qualifier", "counts", "places in the sentence")
    left = tables_english(page, frozenset(i18n.translate(c, "ar") for c in data))
    assert not left, f"English left in the report's tables: {left}"
