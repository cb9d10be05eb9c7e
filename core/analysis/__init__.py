"""What the pages measure: PCA against the autoencoders, reconstruction metrics, attributes,
few labels, the VAE's posterior, sample quality, convolution arithmetic, GAN inversion.
"""
