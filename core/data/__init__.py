"""Where digits come from: datasets as one uint8 tensor with a stratified split, and any
picture a person gives turned into an MNIST-style digit, and a sentence describing each digit
(``descriptions``: the multimodal VAE's second kind of input).
"""
