"""Helpers that drive the real app (a Streamlit server, Chromium) for tests/ and bench/."""
