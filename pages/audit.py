"""Launcher for Streamlit's legacy pages/ mode: hands over to the entry script (see README.md here)."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), run_name="__main__")
