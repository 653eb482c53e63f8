"""Unchanged re-run cost: wall time of a second run over an unchanged corpus, as a
ratio of the first run's (target: <= 0.10).

The sample corpus is copied N times with distinct bytes (a trailing comment per copy)
and served from a local HTTP server that sends ETag and Last-Modified and answers
conditional requests with 304, as real sites do. Both runs go through the Prefect flow
in one process, after a warm-up run, so the temporary Prefect server's start-up is not
counted in either.

    .venv/bin/python benchmarks/rerun_ratio.py [--copies 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def corpus(copies: int) -> dict[str, tuple[bytes, str]]:
    """URL path -> (bytes, content type) for every copy of every sample file."""
    files = {}
    for path in sorted((ROOT / "samples").glob("*/*")):
        content_type = "application/pdf" if path.suffix == ".pdf" else "text/html"
        data = path.read_bytes()
        for n in range(copies):
            mark = (f"\n% copy {n}\n" if content_type == "application/pdf"
                    else f"\n<!-- copy {n} -->\n")
            files[f"/c{n}/{path.name}"] = (data + mark.encode(), content_type)
    return files


def serve(files: dict[str, tuple[bytes, str]]) -> ThreadingHTTPServer:
    modified = formatdate(usegmt=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            data, content_type = files[self.path]
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            for name, value in (("Content-Type", content_type), ("ETag", etag),
                                ("Last-Modified", modified), ("Content-Length", str(len(data)))):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def catalog(path: Path, base: str, files: dict) -> None:
    entries = []
    for n, url_path in enumerate(files):
        entries.append(f'[[sources]]\nid = "doc-{n}"\nurl = "{base}{url_path}"\n'
                       f'organisation = "Sample"\ncouncil = "Sample"\nkind = "manifesto"\n'
                       f'title = "{url_path}"\nperiod = "2024-2028"\n')
    path.write_text("\n".join(entries), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of the 5 samples")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    from pledgeflow.flows.pipeline import pipeline

    files = corpus(args.copies)
    server = serve(files)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = tmp / "warm.toml"
        catalog(warm, base, dict(list(files.items())[:1]))
        pipeline(sources=str(warm), db=str(tmp / "warm.db"), raw_dir=str(tmp / "raw"),
                 processed_dir=str(tmp / "warm"))  # starts the temporary Prefect server
        cat = tmp / "catalog.toml"
        catalog(cat, base, files)
        times, summaries = [], []
        for _ in range(2):
            start = time.perf_counter()
            summaries.append(pipeline(sources=str(cat), db=str(tmp / "pf.db"),
                                      raw_dir=str(tmp / "raw"),
                                      processed_dir=str(tmp / "processed")))
            times.append(time.perf_counter() - start)
    server.shutdown()
    first, second = summaries
    result = {
        "documents": len(files), "first_run_s": round(times[0], 2),
        "unchanged_rerun_s": round(times[1], 2), "ratio": round(times[1] / times[0], 3),
        "first": {k: first[k] for k in ("fetched", "parsed", "documents")},
        "rerun": {k: second[k] for k in ("not_modified", "parsed", "documents", "unchanged")},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
    }
    print(f"unchanged re-run: {times[1]:.1f} s vs first run {times[0]:.1f} s on "
          f"{len(files)} documents: ratio {result['ratio']:.3f} "
          f"(re-run: {second['not_modified']} not modified, {second['parsed']} parsed)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
