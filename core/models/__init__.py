"""The networks and what each kind owns: AE, VAE, CVAE, GAN and the classifier, their layers,
their losses, their optimizers and validation metrics.
"""
