import pickle

import pytest
import torch

from core.models.base import ModelConfig
from core.models.registry import build_model
from core.training.checkpoints import (
    CheckpointError,
    list_checkpoints,
    load_model,
    read_info,
    save_checkpoint,
    unreadable_checkpoints,
)


@pytest.fixture
def vae():
    torch.manual_seed(0)
    return build_model(ModelConfig("vae", 3, channels=8, hidden=16)).eval()


def test_round_trip_restores_the_same_function(tmp_path, vae):
    path = save_checkpoint(tmp_path / "v.pt", vae, metrics={"val_neg_elbo": 123.0})
    loaded = load_model(path)
    assert loaded.kind == "vae" and not loaded.training
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(loaded.encode(x), vae.encode(x))
    info = read_info(path)
    assert info.latent_dim == 3 and info.metrics == {"val_neg_elbo": 123.0}
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_checkpoint_holds_only_plain_types(tmp_path, vae):
    path = save_checkpoint(tmp_path / "v.pt", vae, trained={"seconds": 1.5, "device": "cpu"})
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == 1 and payload["kind"] == "vae"
    assert payload["config"]["latent_dim"] == 3 and payload["trained"]["device"] == "cpu"


@pytest.mark.parametrize(
    "content",
    [b"", b"not a checkpoint", b"PK\x03\x04 truncated zip"],
    ids=["empty", "text", "truncated-zip"],
)
def test_corrupt_files_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_model(path)


def test_truncated_checkpoint(tmp_path, vae):
    good = save_checkpoint(tmp_path / "good.pt", vae).read_bytes()
    (tmp_path / "cut.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "cut.pt")


class Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('code ran')",))


def test_a_pickle_with_code_is_refused_not_run(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": Boom()}, path)
    with pytest.raises(CheckpointError):
        load_model(path)
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(CheckpointError):
        load_model(path)


def test_foreign_and_mismatched_checkpoints(tmp_path, vae):
    torch.save({"model": vae.state_dict()}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a Latent Lab checkpoint"):
        load_model(tmp_path / "foreign.pt")
    path = save_checkpoint(tmp_path / "v.pt", vae)
    payload = torch.load(path, weights_only=True)
    payload["config"]["latent_dim"] = 5
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(tmp_path / "mismatch.pt")


def test_list_skips_bad_files_and_sorts(tmp_path, vae):
    save_checkpoint(tmp_path / "b_vae.pt", vae)
    save_checkpoint(tmp_path / "a_ae.pt", build_model(ModelConfig("ae", 2, channels=8, hidden=16)))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    infos = list_checkpoints(tmp_path)
    assert [i.name for i in infos] == ["a_ae", "b_vae"]
    assert infos[0].label == "a_ae · AE, k=2"


class WritesAFile:
    """A pickle that, if it were ever unpickled without weights_only, would create ``ran``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_unreadable_files_are_skipped_and_each_is_reported_with_why(tmp_path, vae):
    good = save_checkpoint(tmp_path / "good.pt", vae)
    marker = tmp_path / "ran"
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "notes.pt").write_text("these are my notes, not a model\n")
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"format": 1, "payload": WritesAFile(marker)}, tmp_path / "evil.pt")
    (tmp_path / "evil_raw.pt").write_bytes(pickle.dumps(WritesAFile(marker)))
    torch.save({"model": vae.state_dict()}, tmp_path / "foreign.pt")

    assert [i.name for i in list_checkpoints(tmp_path)] == ["good"]
    reasons = {path.name: why for path, why in unreadable_checkpoints(tmp_path)}
    assert list(reasons) == sorted(reasons) and "good.pt" not in reasons
    assert "truncated or corrupt" in reasons["cut.pt"]
    assert "not a PyTorch file" in reasons["notes.pt"]
    assert "is empty" in reasons["empty.pt"]
    for name in ("evil.pt", "evil_raw.pt"):
        assert "carries code" in reasons[name] and "never run" in reasons[name]
    assert "not a Latent Lab checkpoint" in reasons["foreign.pt"]
    assert not marker.exists()  # listing twice ran nothing from the pickles


def test_a_folder_of_good_checkpoints_reports_nothing_unreadable(tmp_path, vae):
    save_checkpoint(tmp_path / "v.pt", vae)
    assert unreadable_checkpoints(tmp_path) == []
    assert unreadable_checkpoints(tmp_path / "missing") == []
