"""Command-line options shared by the commands that run the pipeline (run, serve); their
defaults are ``pledgeflow.defaults``'."""

from __future__ import annotations

from pathlib import Path

import click

from pledgeflow import defaults


def store_options(command):
    """--db, --raw-dir and --processed-dir: where a run keeps what it makes."""
    for option in reversed([
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=defaults.DB,
                     show_default=True,
                     help="SQLite database to load into (created if missing)."),
        click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=defaults.RAW_DIR, show_default=True,
                     help="Where fetched bytes are kept, by sha256."),
        click.option("--processed-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=defaults.PROCESSED_DIR, show_default=True,
                     help="Where parsed documents are saved as JSON."),
    ]):
        command = option(command)
    return command


def ocr_options(command):
    """--no-ocr, --ocr-pages and --ocr-seconds: OCR of scanned PDF pages and its bounds
    (defaults in ``pledgeflow.parse.ocr``). The flow takes them as ocr, ocr_pages and
    ocr_seconds."""
    from pledgeflow.parse.ocr import DEFAULT_MAX_PAGES, DEFAULT_SECONDS

    for option in reversed([
        click.option("--no-ocr", "ocr", flag_value=False, default=True,
                     help="Do not OCR scanned PDF pages (pictures, no text layer): a PDF of "
                          "such pages alone fails, and a document's other such pages are "
                          "recorded in failures as not read."),
        click.option("--ocr-pages", type=click.IntRange(min=0), default=DEFAULT_MAX_PAGES,
                     show_default=True, metavar="N",
                     help="Scanned pages OCR'd per document at most; the rest are recorded "
                          "in failures as not read."),
        click.option("--ocr-seconds", type=click.FloatRange(min=0), default=DEFAULT_SECONDS,
                     show_default=True, metavar="S",
                     help="Seconds of OCR per document, checked before each page (one page "
                          "is always read); pages after it are recorded as not read."),
    ]):
        command = option(command)
    return command
