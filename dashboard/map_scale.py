"""The scale bar of the folium maps (Orders, Places): metres and feet in English, metres only in Arabic.

The main map's component draws the same bar (``map_component/map.js``). folium's ``control_scale`` takes no
options, so in a right-to-left language the bar is this control instead of folium's.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

from pipeline.core.i18n import is_rtl


class MetricScale(MacroElement):
    """``L.control.scale`` without the imperial line."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
        self._name = "MetricScale"

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def add_scale(m: folium.Map, lang: str) -> None:
    """The scale bar for ``lang``; English keeps folium's own (``control_scale=True``) so its HTML is unchanged."""
    if is_rtl(lang):
        MetricScale().add_to(m)
    else:
        m.control_scale = True
