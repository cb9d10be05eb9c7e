"""The one compute layer between the pages and ``core``: every number and picture a page shows
is computed by a function here, once per input, and cached here and nowhere else. Pages call
``compute.<function>``; each function lives in the module of its subject:

- ``cache``: the cache key of a checkpoint, ``version(info)``, and ``@per_checkpoint``.
- ``resources``: datasets, checkpoints, models, the classifier, the device, training jobs.
- ``maps``: latent maps, placing codes on them, decoding a place, the live explorer's arrays.
- ``codes``: one digit's code and reconstruction, walks, a class's mixed codes.
- ``errors``: pixel PCA, validation errors, PCA vs AE scores, denoising.
- ``studios``: the VAE and GAN studios, Style & content (CVAE), Concepts.
- ``uses``: attributes and latent arithmetic, classifiers with few labels.
- ``multimodal``: sentences and digits in one space (a multimodal VAE).

- Resources (``st.cache_resource``, one object shared by every session; never mutate them):
  datasets, models, latent maps (a ``Projection`` keeps t-SNE's affinities, so placing new codes
  on a map stays fast) and the registry of training jobs.
- Results (``st.cache_data``, a copy per caller): everything else.

The checkpoint folder is ``ui.compute.resources.CHECKPOINT_DIR`` (tests point it elsewhere);
it is not re-exported here, so that there is one name to change.
"""

from ui.compute.cache import version
from ui.compute.codes import (
    encode,
    held_out_distances,
    home_row,
    mix,
    mix_on_map,
    random_codes,
    reconstruction,
    walk,
)
from ui.compute.errors import (
    all_model_scores,
    axis_traversal,
    cleanup_scores,
    denoised,
    digit_report,
    model_map_scores,
    model_scores,
    noisy_validation,
    pca_map_scores,
    pca_scores,
    pca_validation_errors,
    pixel_pca,
    reconstruction_grid,
    unusual_digits,
    validation_errors,
    verdict,
)
from ui.compute.maps import (
    decode_place,
    decoder,
    explorer_inverse,
    explorer_map,
    latents_and_projection,
    manifold_background,
    map_codes,
    map_csv,
    map_methods,
    map_point_problem,
    neighbours,
    place,
)
from ui.compute.multimodal import (
    describe_digit,
    description_table,
    description_thirds,
    digit_sentence_markers,
    multimodal_vocabulary,
    read_sentence,
    sentence_on_map,
    sentence_samples,
    sentence_walk,
    slot_words,
)
from ui.compute.resources import (
    available_datasets,
    checkpoints,
    classifier,
    dataset,
    device_name,
    labels_of,
    map_dataset,
    model,
    start_training,
    training_jobs,
    unreadable_checkpoints,
)
from ui.compute.studios import (
    D_KEEPS,
    GAN_SAMPLES,
    PROBE_DRAWS,
    PROBE_PER_CLASS,
    class_in_code,
    decoder_shapes,
    discriminator_accuracy,
    discriminator_scores,
    gan_code,
    gan_draw,
    gan_quality,
    gan_samples,
    invert_digit,
    kl_report,
    manifold,
    manifold_extent,
    posterior_on_map,
    prior_grid,
    reparameterization,
    style_grid,
    style_row,
    style_swap,
    transposed_conv,
)
from ui.compute.uses import (
    BEST_KEEPING,
    DIRECTIONS,
    IDENTITY_MIN_DIM,
    analogy,
    attribute_direction,
    attribute_values,
    attribute_walk,
    direction_names,
    few_labels_reading,
    few_labels_sources,
    few_labels_table,
    group_vector,
    needs_label,
    training_codes,
    vector_walk,
)
