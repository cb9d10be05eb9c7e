"""``python -m core.training``: train one model, the shipped set (``--all``) or a smoke test."""

from core.training.cli import main

if __name__ == "__main__":  # spawned training workers import this module too: run only once
    main()
