"""Streamlit-only helpers: cached loaders, sidebar state, plot builders, image widgets."""
