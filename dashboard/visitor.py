"""Who is looking: the signed-in user (``st.user``), else an id of this browser session.

Also hands the workspace database URL from ``st.secrets`` (``[connections.workspace] url``, what Community
Cloud's *Secrets* box holds) to ``pipeline.runtime.workspace``, which may not import streamlit.
"""

from __future__ import annotations

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
        st.session_state[SESSION_KEY] = f"session:{uuid.uuid4().hex[:12]}"
    return Viewer(str(st.session_state[SESSION_KEY]))
