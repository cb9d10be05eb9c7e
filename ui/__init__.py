"""Streamlit-only helpers: the compute layer (caches), sidebar state and pickers, plots, images."""
