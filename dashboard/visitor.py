"""Who is looking: the signed-in user (``st.user``), else an id of this browser (a hash of Streamlit's own
per-browser XSRF cookie, so a reload keeps the visitor's layers), else of this Streamlit session.

Also hands the workspace database URL from ``st.secrets`` (``[connections.workspace] url``, what Community
Cloud's *Secrets* box holds) to ``pipeline.runtime.workspace``, which may not import streamlit.
"""

from __future__ import annotations

import hashlib
import uuid

import streamlit as st

from pipeline.runtime import workspace
from pipeline.runtime.workspace_access import Viewer

SESSION_KEY = "gdm_visitor_id"


def configure_workspace() -> None:
    """Pass the secret's database URL on (``GDM_DATABASE_URL`` in the environment still wins)."""
    try:
        url = st.secrets.get("connections", {}).get("workspace", {}).get("url")
    except FileNotFoundError:  # no secrets.toml: the embedded workspace
        url = None
    workspace.use_database(url)


def viewer() -> Viewer:
    """``Viewer(e-mail, signed_in=True)`` when someone signed in, else ``Viewer("session:<id>")`` for this session."""
    user = st.user
    email = user.get("email")
    if email and (getattr(user, "is_logged_in", False) or user.get("is_logged_in") is None):
        return Viewer(str(email), signed_in=True)
    if SESSION_KEY not in st.session_state:
        token = _browser_token(st.context.cookies.get("_streamlit_xsrf"))
        st.session_state[SESSION_KEY] = (f"session:{hashlib.sha256(token).hexdigest()[:16]}" if token
                                         else f"session:{uuid.uuid4().hex[:12]}")
    return Viewer(str(st.session_state[SESSION_KEY]))


def _browser_token(cookie: str | None) -> bytes | None:
    """The token inside Tornado's XSRF cookie ``2|mask|masked-token|time`` (the mask changes at every page load,
    the token stays with the browser)."""
    parts = (cookie or "").split("|")
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except (IndexError, ValueError):
        return None
    return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)) if mask and masked else None
