"""Scheduled runs: a local Prefect server and the ``pipeline`` flow served on a cron schedule.

Two commands, registered on the ``pledgeflow`` group in ``cli.py``:

``pledgeflow server``
    Replaces itself with ``prefect server start --host 127.0.0.1 --port N``, with
    ``PREFECT_HOME`` and the server's SQLite database under ``<state-dir>/prefect/``.

``pledgeflow serve``
    Creates one deployment of ``pipeline`` per catalog (named after the catalog file,
    e.g. ``pipeline/catalog``) with its own cron schedule on the server that
    ``PREFECT_API_URL`` points at, then runs its scheduled and triggered runs until
    stopped.

The plain functions below are what the commands are made of; ``tests/test_serve.py``
uses the same ones. ``python -m pledgeflow.flows.serving server|serve`` runs the commands
without the ``pledgeflow`` group. How to use them: ``docs/scheduling.md``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from pledgeflow import defaults
from pledgeflow.defaults import CATALOG as DEFAULT_CATALOG
from pledgeflow.options import store_options

HOST = "127.0.0.1"
DEFAULT_PORT = 4200
DEFAULT_STATE_DIR = defaults.STATE_DIR
DEFAULT_CRON = "0 6 * * *"  # daily at 06:00
FLOW_NAME = "pipeline"

# Runs stay on this machine: no analytics, no telemetry.
QUIET_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


# -- the server


def prefect_home(state_dir: Path) -> Path:
    """The server's ``PREFECT_HOME`` (settings, UI build) under the state folder."""
    return Path(state_dir).resolve() / "prefect"


def server_database(state_dir: Path) -> Path:
    """The SQLite file the server keeps its deployments, runs and logs in."""
    return prefect_home(state_dir) / "prefect.db"


def api_url(port: int, host: str = HOST) -> str:
    """The ``PREFECT_API_URL`` of a server on ``host:port``."""
    return f"http://{host}:{port}/api"


def server_environment(state_dir: Path, port: int, base: Mapping[str, str] | None = None,
                       ) -> dict[str, str]:
    """The environment ``prefect server start`` runs in: home and database under ``state_dir``.

    ``base`` defaults to ``os.environ``. ``PREFECT_API_URL`` is set to the server's own
    address so that the UI and anything the server starts talk to this server.
    """
    env = dict(os.environ if base is None else base)
    home = prefect_home(state_dir)
    env.update(QUIET_ENV)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL":
            f"sqlite+aiosqlite:///{server_database(state_dir)}",
        "PREFECT_API_URL": api_url(port),
    })
    return env


def server_command_line(port: int, *, ui: bool = True) -> list[str]:
    """The ``prefect server start`` command for a server on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "prefect", "server", "start", "--host", HOST,
            "--port", str(port), "--analytics-off", "--ui" if ui else "--no-ui"]


def server_is_healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether the Prefect API at ``url`` (a ``PREFECT_API_URL``) answers its health check."""
    # A proxy from the environment must not stand between us and a server on this machine.
    local = urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}
    opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if local else []))
    try:
        with opener.open(url.rstrip("/") + "/health", timeout=timeout) as reply:
            return reply.status == 200
    except (OSError, ValueError):  # refused, timed out, HTTP error, malformed URL
        return False


def wait_for_server(url: str, timeout: float = 60.0,
                    process: subprocess.Popen | None = None) -> None:
    """Wait until the API at ``url`` is healthy; raise ``TimeoutError`` after ``timeout`` s.

    If ``process`` (the server) exits first, raise ``RuntimeError`` at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        if server_is_healthy(url):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no healthy Prefect server at {url} after {timeout:.0f} s")
        time.sleep(0.5)


def process_group_alive(pgid: int) -> bool:
    """Whether a process still runs in group ``pgid``.

    Where ``/proc`` exists, killed processes that merely wait to be reaped (zombies) do
    not count; elsewhere they do.
    """
    proc = Path("/proc")
    if proc.is_dir():
        for stat in proc.glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            state, group = fields[0], int(fields[2])
            if group == pgid and state not in {"Z", "X"}:
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else
        return True
    return True


def stop_process_group(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started.

    Sends SIGTERM to the leader (Prefect shuts down cleanly: a serve process pauses its
    schedules first), waits up to ``timeout`` seconds, SIGKILLs whatever is left in the
    process group, and returns once the group is empty (at most 5 s more). SIGTERM
    rather than SIGINT: a process started in the background by a non-interactive shell
    ignores SIGINT.
    """
    pgid = process.pid  # a new session's leader: its pid is the group id
    try:
        os.kill(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(pgid, signal.SIGKILL)  # leftovers: flow-run subprocesses, helpers
    except ProcessLookupError:
        pass
    process.wait(timeout=5)
    deadline = time.monotonic() + 5
    while process_group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


# -- serving the pipeline


@dataclass(frozen=True)
class CatalogDeployment:
    """One deployment of ``pipeline``: a catalog, where its output goes, and its schedule."""

    name: str
    sources: Path
    db: Path
    raw_dir: Path
    processed_dir: Path
    cron: str = DEFAULT_CRON
    timezone: str | None = None  # None: UTC

    @property
    def full_name(self) -> str:
        """``flow/deployment``, as ``prefect deployment run`` and ``run_deployment`` take it."""
        return f"{FLOW_NAME}/{self.name}"

    def parameters(self) -> dict[str, str]:
        """The flow's parameters, as absolute paths (runs do not depend on a folder)."""
        return {"sources": str(self.sources.resolve()), "db": str(self.db.resolve()),
                "raw_dir": str(self.raw_dir.resolve()),
                "processed_dir": str(self.processed_dir.resolve())}


def plan_deployments(sources: Sequence[Path], crons: Sequence[str], *, db: Path,
                     raw_dir: Path, processed_dir: Path, name: str | None = None,
                     timezone: str | None = None) -> list[CatalogDeployment]:
    """One deployment per catalog, named after the catalog file's stem.

    ``crons`` is empty (every catalog daily), one expression (for every catalog) or one
    per catalog, in order. ``name`` overrides the deployment name of a single catalog.
    Raise ``ValueError`` when the options do not fit together.
    """
    if not sources:
        raise ValueError("no catalog given")
    if len(crons) > 1 and len(crons) != len(sources):
        raise ValueError(f"{len(crons)} --cron values for {len(sources)} catalogs: give one, "
                         "or one per --sources in the same order")
    if name is not None and len(sources) > 1:
        raise ValueError("--name names one deployment; leave it out with several catalogs")
    chosen = list(crons) if len(crons) > 1 else [crons[0] if crons else DEFAULT_CRON] * len(
        sources)
    plans = [CatalogDeployment(name=name or Path(s).stem, sources=Path(s), db=db,
                               raw_dir=raw_dir, processed_dir=processed_dir, cron=c,
                               timezone=timezone) for s, c in zip(sources, chosen, strict=True)]
    names = [p.name for p in plans]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two catalogs would both be deployment {duplicates[0]!r}: "
                         "rename a catalog file")
    return plans


def validate_schedule(cron: str, timezone: str | None = None) -> None:
    """Raise ``ValueError`` with a one-line reason for a cron or timezone Prefect refuses."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    kwargs: dict[str, Any] = {"cron": cron}
    if timezone:
        kwargs["timezone"] = timezone
    try:
        CronSchedule(**kwargs)
    except ValidationError as exc:
        reasons = [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]
        raise ValueError("; ".join(reasons)) from None


def configured_api_url() -> str | None:
    """``PREFECT_API_URL`` from the environment or the active Prefect profile."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def serve_deployments(plans: Sequence[CatalogDeployment], limit: int | None = 1) -> None:
    """Register every planned deployment on the server and run its flow runs until stopped.

    What ``pipeline.serve(name=..., cron=..., parameters=...)`` does, for several
    deployments in one process. Runs execute in subprocesses of this one, ``limit`` at a
    time (default one: a single SQLite writer). On Ctrl-C or SIGTERM the schedules are
    paused, so nothing piles up while nobody serves them.
    """
    import asyncio

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from pledgeflow.flows.pipeline import pipeline

    runner = Runner(name="pledgeflow-serve", pause_on_shutdown=True, limit=limit)
    for plan in plans:
        runner.add_flow(
            pipeline, name=plan.name, schedules=[Cron(plan.cron, timezone=plan.timezone)],
            parameters=plan.parameters(), tags=["pledgeflow"],
            description=f"pledgeflow pipeline over {plan.sources.resolve()}",
            # ``pledgeflow.flows.pipeline.pipeline`` loads from any folder.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal):
        pass


# -- the commands


@click.command("server")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_STATE_DIR, show_default=True,
              help="PREFECT_HOME and the server's database go in <state-dir>/prefect/.")
@click.option("--ui/--no-ui", default=True, show_default=True, help="Serve the Prefect UI.")
def server_command(port: int, state_dir: Path, ui: bool) -> None:
    """Start a Prefect server on 127.0.0.1 for scheduled runs; Ctrl-C stops it.

    Its settings and SQLite database live in <state-dir>/prefect/, so deployments, runs
    and schedules survive a restart. In another shell, export the PREFECT_API_URL it
    prints, then run `pledgeflow serve`.

    \b
    Example:
      pledgeflow server --port 4200
    """
    home = prefect_home(state_dir)
    home.mkdir(parents=True, exist_ok=True)
    env = server_environment(state_dir, port)
    command = server_command_line(port, ui=ui)
    click.echo(f"pledgeflow: Prefect server on http://{HOST}:{port}, database "
               f"{server_database(state_dir)}\nIn another shell:\n"
               f"  export PREFECT_API_URL={api_url(port)}\n  pledgeflow serve", err=True)
    sys.stderr.flush()
    sys.stdout.flush()
    if os.name == "posix":
        # Become the server: Ctrl-C and SIGTERM reach it directly and nothing is orphaned.
        os.execve(command[0], command, env)
    sys.exit(subprocess.call(command, env=env))  # pragma: no cover - not POSIX


@click.command("serve")
@click.option("--sources", "sources", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=[DEFAULT_CATALOG], show_default=True,
              help="Catalog (TOML); repeat for one deployment per catalog.")
@store_options
@click.option("--cron", "crons", multiple=True, metavar="EXPR",
              help=f"Cron schedule [default: {DEFAULT_CRON!r}, daily at 06:00]; repeat to give "
                   "each --sources its own, in order.")
@click.option("--timezone", metavar="TZ", help="IANA timezone of the cron times "
              "(e.g. Europe/London) [default: UTC].")
@click.option("--name", help="Deployment name [default: the catalog file's stem].")
def serve_command(sources: tuple[Path, ...], db: Path, raw_dir: Path, processed_dir: Path,
                  crons: tuple[str, ...], timezone: str | None, name: str | None) -> None:
    """Serve the pipeline on a cron schedule, one deployment per catalog, until Ctrl-C.

    Needs a Prefect server: PREFECT_API_URL must point at one (start it with
    `pledgeflow server`). Creates or updates deployment `pipeline/<catalog stem>`,
    then runs its scheduled runs and any started with
    `prefect deployment run pipeline/<catalog stem>`. Paths are stored absolute.
    On exit the schedules are paused.

    \b
    Example:
      pledgeflow serve --sources samples/catalog.toml --cron "0 6 * * *"
    """
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    from pledgeflow.catalog import CatalogError, load_catalog
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        plans = plan_deployments(sources, crons, db=db, raw_dir=raw_dir,
                                 processed_dir=processed_dir, name=name, timezone=timezone)
        for plan in plans:
            validate_schedule(plan.cron, plan.timezone)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        for plan in plans:
            load_catalog(plan.sources)
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None

    url = configured_api_url()
    if not url:
        raise click.ClickException(
            "PREFECT_API_URL is not set: scheduled runs need a running Prefect server. "
            "Start one with `pledgeflow server` and export the PREFECT_API_URL it prints.")
    if not server_is_healthy(url, timeout=5):
        raise click.ClickException(
            f"no Prefect server answers at PREFECT_API_URL={url}. Start one with "
            "`pledgeflow server` (or `prefect server start`), or fix PREFECT_API_URL.")
    try:
        open_db(db).close()  # refuse a foreign database before registering anything
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None

    for plan in plans:
        tz = plan.timezone or "UTC"
        click.echo(f"pledgeflow: serving {plan.full_name} ({plan.sources} into {db}) on "
                   f"cron {plan.cron!r} {tz}; run it now with: "
                   f"prefect deployment run {plan.full_name!r}", err=True)
    click.echo(f"pledgeflow: server {url}; Ctrl-C stops serving and pauses the schedule(s)",
               err=True)
    serve_deployments(plans)

