"""The job `make run` starts on the embedded default."""

from __future__ import annotations


def run_main_job() -> None:
    """Placeholder until the foundation builds the database and prints the census summary."""
    print("kelisim: the main job is being built.")
