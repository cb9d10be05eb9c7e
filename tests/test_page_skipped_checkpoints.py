"""The sidebar names every file in checkpoints/ it skipped, and why, without running any."""

from __future__ import annotations

import pickle
import shutil

from streamlit.testing.v1 import AppTest

from ui.compute import resources

from .apptest import APP
from .conftest import ROOT
from .test_checkpoints import WritesAFile


def test_unreadable_checkpoints_get_one_collapsed_notice(tmp_path, monkeypatch):
    shutil.copy(ROOT / "checkpoints" / "ae_k2.pt", tmp_path / "ae_k2.pt")
    marker = tmp_path / "ran"
    (tmp_path / "cut.pt").write_bytes((tmp_path / "ae_k2.pt").read_bytes()[:1000])
    (tmp_path / "notes.pt").write_text("these are my notes, not a model\n")
    (tmp_path / "evil.pt").write_bytes(pickle.dumps(WritesAFile(marker)))
    monkeypatch.setattr(resources, "CHECKPOINT_DIR", tmp_path)

    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="app_model").value == "ae_k2"  # the good one still loads
    [notice] = at.sidebar.expander
    assert notice.label == "3 files in checkpoints/ skipped"
    text = notice.markdown[0].value
    assert "`cut.pt` is not a readable checkpoint" in text and "truncated" in text
    assert "`notes.pt`" in text and "`evil.pt`" in text and "carries code" in text
    assert not marker.exists()


def test_no_notice_when_every_checkpoint_loads(tmp_path, monkeypatch):
    shutil.copy(ROOT / "checkpoints" / "ae_k2.pt", tmp_path / "ae_k2.pt")
    monkeypatch.setattr(resources, "CHECKPOINT_DIR", tmp_path)
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception and not at.sidebar.expander


def test_the_cache_folders_follow_the_checkpoint_folder_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "CHECKPOINT_DIR", tmp_path)
    assert resources.projection_dir() == tmp_path / "projections"
    assert resources.few_labels_dir() == tmp_path / "few_labels"
