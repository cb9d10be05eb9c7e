"""core.analysis.scores_cache: the PCA vs AE page's scores, computed once per content hash and
read back from disk (the shipped ones from checkpoints/scores)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import compare, scores_cache
from core.models.registry import ENCODER_KINDS
from core.training.checkpoints import list_checkpoints, load_model, read_info

from .conftest import ROOT

SHIPPED = ROOT / "checkpoints"
SCORES = SHIPPED / "scores"
REFRESH = "python -m core.analysis.scores_cache --precompute checkpoints --prune"


def test_a_model_s_row_is_computed_once_read_back_and_redone_when_damaged(digits, tmp_path):
    info = read_info(SHIPPED / "ae_k2.pt")
    model = load_model(info.path)
    loaded = []  # when the model is asked for

    def given() -> object:
        loaded.append(True)
        return model

    first = scores_cache.cached_model_scores(info, given, digits, tmp_path)
    assert first == compare.score_checkpoint(info, model, digits)
    path = scores_cache.model_scores_path(info, digits, tmp_path)
    marked = json.loads(path.read_text())
    marked["value"]["mse"] = 7.0
    path.write_text(json.dumps(marked))
    hit = scores_cache.cached_model_scores(info, given, digits, tmp_path)
    assert hit.mse == 7.0 and len(loaded) == 1  # read from the file, without the model
    path.write_text(path.read_text()[:20])  # cut off: recomputed, not a JSONDecodeError
    assert scores_cache.cached_model_scores(info, given, digits, tmp_path) == first


def test_the_pixel_pca_and_its_scores_come_back_as_fitted(digits, tmp_path):
    fitted = scores_cache.cached_pixel_pca(digits, 8, tmp_path)
    again = scores_cache.cached_pixel_pca(digits, 8, tmp_path)  # read from the .npz
    np.testing.assert_array_equal(again.pca.components, fitted.pca.components)
    assert again.fit_seconds == fitted.fit_seconds
    rows = scores_cache.cached_pca_scores(digits, (2, 8), again, tmp_path)
    assert rows == compare.score_pca(digits, (2, 8), fitted)[0]
    plane = compare.pca_reconstruct(fitted.first(2), digits.images)[0]
    source = scores_cache.pca_plane(fitted)
    scores = scores_cache.cached_map_scores("pixels_pca", digits, plane, tmp_path, source)
    direct = compare.score_map(digits.images, plane, digits.labels)
    assert (scores.knn_accuracy, scores.trustworthiness) == pytest.approx(
        (direct.knn_accuracy, direct.trustworthiness)
    )
    assert len(list(tmp_path.iterdir())) == 3  # the fit, PCA's rows, the map's scores


def test_every_shipped_encoder_has_its_shipped_scores(digits):
    """The page's first open reads them: a missing file would make it score the model again."""
    infos = [i for i in list_checkpoints(SHIPPED) if i.kind in ENCODER_KINDS]
    embedded = [i for i in infos if i.dataset == "embedded"]
    for info in embedded:
        path = scores_cache.model_scores_path(info, digits, SCORES)
        assert path.exists(), f"{path.name} missing: {REFRESH}"
    n = max(compare.pca_sizes(embedded))
    assert scores_cache.pixel_pca_path(digits, n, SCORES).exists(), REFRESH
