"""Gaza displacement map: the Streamlit entry point (router only).

    streamlit run app.py

``streamlit run`` first imports this file as a module and finds ``app``, an ``st.App``: its lifespan warms
the process-wide caches at server start (``dashboard.prewarm``) and it serves the map's date-free data over
HTTP (``/gdm-api/...``, cached by the browser), named for preloading in the Map page's HTML header. Each session
then runs this same file as its script
(``__name__ == "__main__"``): page set-up, the shared sidebar filters (kept in the URL), the selected page.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard import i18n, preload, prewarm, state, static_cache
from dashboard.i18n import _
from pipeline.core import settings
from pipeline.core.errors import BundleError, SettingError
from pipeline.runtime import bundle

if __name__ != "__main__":  # imported by `streamlit run`: the server (warm-up at start, the map's HTTP routes)
    app = st.App("app.py", lifespan=prewarm.lifespan, routes=prewarm.routes(), middleware=[Middleware(static_cache.StaticCache),
                                                                                 Middleware(preload.PreloadMap)])

ROOT = Path(__file__).resolve().parent
PAGES = ROOT / "dashboard" / "pages"


def main() -> None:
    """One session's run: page set-up, the shared sidebar, the selected page."""
    prewarm.start()  # no-op when the lifespan warmed this process (AppTest runs the script without it)

    st.set_page_config(page_title=_("Gaza displacement map"), page_icon="🗺️", layout="wide",
                       initial_sidebar_state="auto")
    i18n.language_switch()
    i18n.apply_direction()

    map_page = st.Page(PAGES / "map.py", title=_("Map"), icon=":material/map:", default=True, url_path="map")
    pages = [
        map_page,
        st.Page(PAGES / "orders.py", title=_("Orders"), icon=":material/assignment:", url_path="orders"),
        st.Page(PAGES / "timeline.py", title=_("Timeline"), icon=":material/timeline:", url_path="timeline"),
        st.Page(PAGES / "places.py", title=_("Places"), icon=":material/place:", url_path="places"),
        st.Page(PAGES / "data.py", title=_("Data"), icon=":material/database:", url_path="data"),
        st.Page(PAGES / "method.py", title=_("Method"), icon=":material/menu_book:", url_path="method"),
    ]

    page = st.navigation(pages)
    try:  # errors of set-up and data are caught here, once, and read as sentences
        settings.check_all()
        bundle.verify()
    except (SettingError, BundleError) as exc:
        st.error(_("The dashboard cannot start: {reason}").format(reason=exc))
        st.stop()
    state.sidebar(with_date=page is not map_page)  # the Map page draws the date in its fragment, above the map
    page.run()


if __name__ == "__main__":
    main()
