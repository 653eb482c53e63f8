"""Command-line options shared by the commands that run the pipeline (run, serve)."""

from __future__ import annotations

from pathlib import Path

import click

from pledgeflow.stages import DEFAULT_DB


def store_options(command):
    """--db, --raw-dir and --processed-dir: where a run keeps what it makes."""
    for option in reversed([
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
                     show_default=True,
                     help="SQLite database to load into (created if missing)."),
        click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("raw"), show_default=True,
                     help="Where fetched bytes are kept, by sha256."),
        click.option("--processed-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("processed"), show_default=True,
                     help="Where parsed documents are saved as JSON."),
    ]):
        command = option(command)
    return command
