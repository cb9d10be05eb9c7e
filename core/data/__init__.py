"""Where digits come from: datasets as one uint8 tensor with a stratified split, and any
picture a person gives turned into an MNIST-style digit.
"""
