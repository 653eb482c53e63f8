"""The defaults that the command line, the flow and the stages share, each given once.

Plain values and no imports beyond the standard library, so that any module may use
them without importing anything else. The CLI's help texts show them (``show_default``).
Relative paths are taken from the folder a command runs in.
"""

from __future__ import annotations

from pathlib import Path

CATALOG = Path("samples/catalog.toml")  # the catalog of sources a run reads
RAW_DIR = Path("raw")  # fetched bytes, one file per sha256
PROCESSED_DIR = Path("processed")  # saved parses, by sha256 and parser version
DB = PROCESSED_DIR / "pledgeflow.db"  # the SQLite database a run loads into
REPORT = PROCESSED_DIR / "report.html"  # `pledgeflow report`'s page
STATE_DIR = Path(".pledgeflow")  # a temporary Prefect server's state, when a run starts one

FETCH_TIMEOUT = 30.0  # seconds to connect, and between reads of a response
MAX_BYTES = 50 * 1024 * 1024  # a larger response fails without being read to the end
# Seconds one document may take to parse and extract in a worker process before the
# worker is killed and the document recorded as failed at the stage it had reached.
PARSE_TIMEOUT = 120.0

# Documents per task at most; a small catalog gets one per task, so every core still works.
# Each task run cost the temporary Prefect server ~40 ms of CPU: on 500 web pages, batches
# of 25 rather than 15 took its share from 2.0 to 0.8 s, and the flow from 10.1-10.3 to
# 9.1 s.
MAX_BATCH = 25
# A task also stops once its documents hold this many pages, and the documents it left go
# to the next task: a few plans share a task, a long one has it to itself, so a task never
# holds many plans' results at once. (One plan per task cost 10% more wall time than the
# plain loop on the 500 generated plans: 500 task runs.)
PAGES_PER_TASK = 200
