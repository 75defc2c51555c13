"""The Streamlit front end of the Gaza displacement map (reads only the bundle and ``pipeline``)."""
