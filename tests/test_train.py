import subprocess
import sys
from dataclasses import replace

import pytest
import torch

from core.models import ModelConfig
from core.train import Progress, TrainConfig, fit, main, select_device

from .conftest import ROOT

TINY = dict(channels=8, hidden=32)


def test_cpu_is_selected_without_an_accelerator():
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("an accelerator is present")
    assert select_device("auto").type == "cpu"


def test_training_lowers_the_loss_and_reports_progress(small_digits):
    seen: list[Progress] = []
    cfg = TrainConfig(ModelConfig("ae", 8, **TINY), epochs=4, batch_size=64)
    result = fit(cfg, small_digits, device="cpu", callback=seen.append)
    assert [p.epoch for p in seen] == [1, 2, 3, 4] and seen[-1].fraction == 1
    first, last = result.history[0], result.history[-1]
    assert last["loss"] < 0.7 * first["loss"]
    assert result.metrics["val_mse"] < first["val_mse"]
    assert not result.model.training and result.device == "cpu"


def test_same_seed_same_model_on_cpu(small_digits):
    cfg = TrainConfig(ModelConfig("vae", 2, **TINY), epochs=1, max_batches=3)
    a = fit(cfg, small_digits, device="cpu").model.state_dict()
    b = fit(cfg, small_digits, device="cpu").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_callback_can_stop_training(small_digits):
    cfg = TrainConfig(ModelConfig("gan", 4, **TINY), epochs=10, max_batches=1, lr=2e-4)
    result = fit(cfg, small_digits, device="cpu", callback=lambda p: p.epoch == 2)
    assert len(result.history) == 2 and result.stopped_early
    assert {"d_loss", "g_loss", "val_d_real", "val_d_fake"} <= set(result.history[-1])


def test_classifier_and_vae_metrics(small_digits):
    for kind, key in [("classifier", "val_accuracy"), ("vae", "val_neg_elbo")]:
        cfg = replace(TrainConfig(ModelConfig(kind, 2, **TINY)), epochs=1, max_batches=2)
        assert key in fit(cfg, small_digits, device="cpu").metrics


def test_cli_writes_a_loadable_checkpoint(tmp_path, capsys):
    from core.checkpoints import load_model

    out = tmp_path / "cli.pt"
    main(
        [
            "--model",
            "ae",
            "--latent-dim",
            "3",
            "--epochs",
            "2",
            "--max-batches",
            "2",
            "--out",
            str(out),
        ]
    )
    assert load_model(out).latent_dim == 3
    assert "img/s" in capsys.readouterr().out


def test_importing_core_does_not_import_streamlit():
    code = (
        "import sys, core.data, core.models, core.losses, core.train, core.checkpoints\n"
        "import pkgutil, importlib, core\n"
        "for m in pkgutil.iter_modules(core.__path__): importlib.import_module('core.' + m.name)\n"
        "assert 'streamlit' not in sys.modules, 'core imported streamlit'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
