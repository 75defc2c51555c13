"""A one-section Streamlit page for the upload flow's AppTest (the Data page calls the same function)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.upload import render_upload_section  # noqa: E402

render_upload_section()
