"""Geodata pipeline for the Gaza displacement map.

Turns public source files (``geodata/raw``) into validated canonical layers
(``geodata/bundle``) and computes the figures the dashboard shows.  This
package never imports streamlit.
"""

__all__ = ["settings"]
