import pytest
import torch
from torch import nn

from core.models.base import ModelConfig
from core.models.layers import check_upsampling, transposed_conv_output_size
from core.models.registry import build_model


@pytest.mark.parametrize(
    ("i", "k", "s", "p", "o"),
    [(7, 4, 2, 1, 14), (14, 4, 2, 1, 28), (1, 7, 1, 0, 7), (3, 3, 2, 1, 5), (4, 5, 3, 2, 10)],
)
def test_transposed_conv_formula_matches_pytorch(i, k, s, p, o):
    assert transposed_conv_output_size(i, k, s, p) == o
    out = nn.ConvTranspose2d(1, 1, k, s, p)(torch.zeros(1, 1, i, i))
    assert out.shape[-1] == o


def test_check_upsampling_rejects_a_decoder_that_misses_28():
    wrong = nn.Sequential(nn.ConvTranspose2d(4, 2, 4, 2, 1), nn.ConvTranspose2d(2, 1, 3, 2, 1))
    with pytest.raises(ValueError, match="27x27"):
        check_upsampling(wrong)


@pytest.mark.parametrize("kind", ["ae", "vae", "gan"])
@pytest.mark.parametrize("k", [2, 16, 128])
def test_shared_api_shapes_and_range(kind, k):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind, k, channels=8, hidden=32)).eval()
    assert model.kind == kind and model.latent_dim == k
    images = model.decode(torch.randn(5, k))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1
    x = torch.rand(5, 1, 28, 28)
    if kind == "gan":
        assert model.discriminate(x).shape == (5,)
    else:
        assert model.encode(x).shape == (5, k)


def test_vae_encode_is_the_posterior_mean():
    torch.manual_seed(0)
    vae = build_model(ModelConfig("vae", 4, channels=8, hidden=32)).eval()
    x = torch.rand(3, 1, 28, 28)
    mu, logvar = vae.encode_dist(x)
    assert torch.equal(vae.encode(x), mu) and logvar.shape == (3, 4)


def test_classifier_logits_and_features():
    clf = build_model(ModelConfig("classifier", 0, channels=8, hidden=16)).eval()
    x = torch.rand(4, 1, 28, 28)
    assert clf(x).shape == (4, 10) and clf.embed(x).shape == (4, 16)


@pytest.mark.parametrize("bad", [dict(kind="pca"), dict(latent_dim=1), dict(latent_dim=129)])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)


def test_a_grouped_decoder_call_is_the_separate_calls():
    """``groups=2`` stacks two batches in one call; BatchNorm still normalises each alone, so
    outputs, gradients and running statistics match two calls (float32)."""
    from core.models.autoencoders import ConvDecoder

    torch.manual_seed(0)
    one, two = ConvDecoder(4, 8, 32).train(), ConvDecoder(4, 8, 32).train()
    two.load_state_dict(one.state_dict())
    a, b = torch.randn(16, 4), torch.randn(16, 4) * 3 + 1  # different statistics
    apart = torch.cat([one(a, logits=True), one(b, logits=True)])
    stacked = two(torch.cat([a, b]), logits=True, groups=2)
    assert torch.allclose(apart, stacked, atol=1e-5)
    apart.square().sum().backward()
    stacked.square().sum().backward()
    for p, q in zip(one.parameters(), two.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-4)
    for name, buffer in one.state_dict().items():
        assert torch.allclose(buffer.float(), two.state_dict()[name].float()), name
    one_batch = ConvDecoder(4, 8, 32).train()
    one_batch.load_state_dict(two.state_dict())
    assert not torch.allclose(one_batch(torch.cat([a, b]), logits=True), stacked, atol=1e-3)
