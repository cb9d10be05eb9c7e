"""Making a model: the loop, the shipped recipes, the CLI (``python -m core.training``),
background jobs, devices and precision, and checkpoints on disk.
"""
