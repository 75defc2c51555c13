"""Gaza displacement map: the Streamlit entry point (router only).

    streamlit run app.py

Sets up the page, draws the shared sidebar filters (kept in the URL) and runs the selected page.
"""

from pathlib import Path

import streamlit as st

from dashboard import prewarm
from pipeline.core import settings
from pipeline.core.errors import BundleError, SettingError
from pipeline.runtime import bundle

prewarm.start()  # once per server process: read the bundle and build the metrics index in the background

from dashboard import state  # noqa: E402  (imports geopandas and folium, while the warm-up reads the bundle)

ROOT = Path(__file__).resolve().parent
PAGES = ROOT / "dashboard" / "pages"

st.set_page_config(page_title="Gaza displacement map", page_icon="🗺️", layout="wide",
                   initial_sidebar_state="expanded")

pages = [
    st.Page(PAGES / "map.py", title="Map", icon=":material/map:", default=True, url_path="map"),
    st.Page(PAGES / "orders.py", title="Orders", icon=":material/assignment:", url_path="orders"),
    st.Page(PAGES / "timeline.py", title="Timeline", icon=":material/timeline:", url_path="timeline"),
    st.Page(PAGES / "places.py", title="Places", icon=":material/place:", url_path="places"),
    st.Page(PAGES / "data.py", title="Data", icon=":material/database:", url_path="data"),
    st.Page(PAGES / "method.py", title="Method", icon=":material/menu_book:", url_path="method"),
]

page = st.navigation(pages)
try:  # errors of set-up and data are caught here, once, and read as sentences
    settings.check_all()
    bundle.verify()
except (SettingError, BundleError) as exc:
    st.error(f"The dashboard cannot start: {exc}")
    st.stop()
state.sidebar()
page.run()
