"""Working with codes: encode, decode, interpolate, mix; 2-D projections (PCA, t-SNE) of codes,
neighbours, their disk caches, and decoders exported to ONNX for the browser.
"""
