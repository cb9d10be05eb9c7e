"""Latent Lab's library: data, models, training, checkpoints, projections, latent operations.

Never imports streamlit; the UI lives in ``app.py``, ``views/`` and ``ui/``.
"""
