"""The one compute layer between the pages and ``core``: every number a page shows is computed
by a function here, once per input, and cached here and nowhere else. It imports only ``core``
(pictures are made from its arrays by ``ui.images``). Pages import the module of the subject
(``from ui.compute import maps`` then ``maps.place(...)``):

- ``cache``: the cache key of a checkpoint, ``version(info)``, and ``@per_checkpoint``.
- ``resources``: datasets, checkpoints, models, the classifier, the device, training jobs, and
  the checkpoint folder ``CHECKPOINT_DIR`` (tests point it elsewhere; the cache folders in it are
  found at call time).
- ``maps``: latent maps, placing codes on them, decoding a place, the decoded manifold.
- ``codes``: one digit's code and reconstruction, walks, a class's mixed codes, random pairs.
- ``reconstruction``: pixel PCA, validation errors, PCA vs AE scores, denoising.
- ``studios``: the VAE and GAN studios, Style & content (CVAE), Concepts.
- ``uses``: attributes and latent arithmetic, classifiers with few labels.

- Resources (``st.cache_resource``, one object shared by every session; never mutate them):
  datasets, models, latent maps (a ``Projection`` keeps t-SNE's affinities, so placing new codes
  on a map stays fast) and the registry of training jobs.
- Results (``st.cache_data``, a copy per caller): everything else.
"""
