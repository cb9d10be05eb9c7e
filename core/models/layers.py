"""Building blocks that the networks of ``core.models.registry`` and ``core.models.gan`` share: the
28x28
geometry, the decoders' upsampling plan and the encoders' (and discriminator's) downsampling."""

from __future__ import annotations

from torch import nn

IMAGE_SIZE = 28

# Decoder upsampling plan shared by AE, VAE and GAN: 7 -> 14 -> 28 with k=4, s=2, p=1.
UPSAMPLE = (4, 2, 1)


def transposed_conv_output_size(i: int, k: int, s: int, p: int) -> int:
    """Output size of ``nn.ConvTranspose2d``: o = (i - 1) * s + k - 2p (no output padding)."""
    return (i - 1) * s + k - 2 * p


def check_upsampling(layers: nn.Module, size_in: int = 7, size_out: int = IMAGE_SIZE) -> None:
    """Walk the ConvTranspose2d layers with the formula; fail at build time if 28x28 is missed."""
    size = size_in
    for layer in layers.modules():
        if isinstance(layer, nn.ConvTranspose2d):
            size = (
                transposed_conv_output_size(
                    size, layer.kernel_size[0], layer.stride[0], layer.padding[0]
                )
                + layer.output_padding[0]
            )
    if size != size_out:
        raise ValueError(f"decoder produces {size}x{size} images, expected {size_out}x{size_out}")


def downsample(c: int) -> list[nn.Module]:
    """28x28 -> 7x7 in two strided convolutions: the encoder's and the discriminator's start."""
    return [
        nn.Conv2d(1, c, 4, 2, 1),  # state size. c x 14 x 14
        nn.LeakyReLU(0.2),
        nn.Conv2d(c, 2 * c, 4, 2, 1),  # state size. 2c x 7 x 7
        nn.BatchNorm2d(2 * c),
        nn.LeakyReLU(0.2),
    ]
