"""What the live explorer (``ui.explorer``) fetches for a checkpoint, cached per checkpoint
version: the URL of its ONNX decoder, a map's arrays published as static files, and the map's
way back from a point to a code; and ``checkpoint_map``, the explorer mounted on them.
``ui.compute`` returns the arrays; this module turns them into what the browser loads, as
``ui.images`` turns arrays into pictures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.training.checkpoints import CheckpointInfo
from ui import explorer
from ui.compute.cache import per_checkpoint
from ui.compute.maps import latents_and_projection
from ui.compute.resources import map_dataset, model


@per_checkpoint(show_spinner=False, max_entries=64)
def decoder(info: CheckpointInfo) -> explorer.Decoder:
    """The URL of the checkpoint's ONNX decoder (exported on first use), or why there is none.
    Cached per version: finding the export hashes the checkpoint's bytes (~3 ms per MB)."""
    return explorer.decoder_for(info.path, model(info))


@per_checkpoint(show_spinner=False, max_entries=64)
def explorer_map(
    info: CheckpointInfo, dataset_name: str, method: str, points: bool = True
) -> dict[str, Any]:
    """A map's arrays published for the browser (``ui.explorer.publish_map``: coords, labels,
    codes, the originals' sprite atlas), hashed once per checkpoint version, not per rerun.
    ``points=False``: a map of no points (a background alone, as the VAE studio's manifold)."""
    latents, projection = latents_and_projection(info, dataset_name, method)
    digits = map_dataset(dataset_name)
    shown = slice(None) if points else slice(0)
    return explorer.publish_map(
        projection.coords[shown],
        digits.labels.numpy()[shown],
        latents[shown],
        digits.images.numpy()[shown] if points else None,
    )


def explorer_inverse(info: CheckpointInfo, dataset_name: str, method: str) -> dict[str, Any]:
    """The map's way back from a point to a code, for the browser (``ui.explorer.inverse_rule``)."""
    return explorer.inverse_rule(latents_and_projection(info, dataset_name, method)[1])


def checkpoint_map(
    info: CheckpointInfo,
    dataset_name: str,
    method: str,
    class_names: Sequence[str],
    *,
    key: str,
    points: bool = True,
    **options: Any,
) -> Any:
    """The live explorer on a checkpoint's map of a dataset: its decoder, arrays and inverse
    rule come from ``ui.map_explorer`` (cached per checkpoint version); ``points=False`` draws
    none of the dataset's points. ``options`` are ``ui.explorer.latent_explorer``'s (overlays,
    background, selected, height, callbacks)."""
    return explorer.latent_explorer(
        None,
        None,
        class_names if points else [],
        decoder(info),
        explorer_inverse(info, dataset_name, method),
        key=key,
        published=explorer_map(info, dataset_name, method, points),
        **options,
    )
