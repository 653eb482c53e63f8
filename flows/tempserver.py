"""The temporary Prefect server of a run, started by pledgeflow rather than by Prefect.

With no ``PREFECT_API_URL``, Prefect would start a temporary server for each run itself,
with its database in ``~/.prefect``, shared with every other Prefect process of the user:
another process migrating or locking that database broke a run's start-up (a 60-line
migration traceback), and the server outlived a killed run. ``pledgeflow run`` starts it
instead, the way Prefect does (uvicorn serving Prefect's API, no UI, the services of an
ephemeral server), with three differences:

- Its ``PREFECT_HOME``, and so its database, is ``<state-dir>/prefect-temporary/``
  (``.pledgeflow/prefect-temporary/`` by default), unless the user set ``PREFECT_HOME``:
  only pledgeflow runs from the same folder share it. It is not ``pledgeflow server``'s
  home (``<state-dir>/prefect/``), so a temporary server never migrates or locks the
  database of a long-running one.
- Start-ups in one home take turns (``start.lock``, an advisory lock): two first runs
  at once do not both create and migrate one new database.
- It runs under ``pledgeflow.lifeline``, so it ends with the run however the run ends.

Its output goes to ``server.log`` in its home; when it cannot start, the end of that log
is in the error.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pledgeflow import lifeline, stopping
from pledgeflow.flows.serving import QUIET_ENV, api_url, wait_for_server

HOME_NAME = "prefect-temporary"
LOG_NAME = "server.log"
START_TIMEOUT = 180.0  # seconds: a first start migrates a new database, slow on a busy machine
STOP_TIMEOUT = 10.0  # seconds for a clean shutdown before the server is killed
START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it


def temporary_home(state_dir: Path, environ: dict[str, str] | None = None) -> Path:
    """The server's ``PREFECT_HOME``: the user's own if set, else one under ``state_dir``."""
    env = os.environ if environ is None else environ
    return Path(env["PREFECT_HOME"]) if env.get("PREFECT_HOME") else (
        Path(state_dir).resolve() / HOME_NAME)


def needs_temporary_server() -> bool:
    """Whether a run needs a server started for it: no ``PREFECT_API_URL`` in the
    environment or the active profile, and Prefect's temporary servers not turned off
    (then Prefect says itself that it needs an API URL)."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    return not settings.api.url and bool(settings.server.ephemeral.enabled)


def server_environment(home: Path) -> dict[str, str]:
    """The server's environment: the user's Prefect settings (from the environment or the
    active profile), this ``PREFECT_HOME``, no UI, no analytics."""
    from prefect.settings import get_current_settings

    env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
    env.update(QUIET_ENV)
    env.update({"PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "0",
                # what Prefect sets for its own temporary server: its background services
                # only, and no second app in the process
                "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
    return env


def server_arguments(port: int) -> list[str]:
    """uvicorn's arguments: Prefect's API app on 127.0.0.1:``port``."""
    import prefect

    return ["--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "error", "--lifespan", "on"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def start_lock(home: Path) -> Iterator[None]:
    """Hold ``home``'s start lock: one server starts (and migrates) in a home at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as with Prefect's own temporary server
        yield
        return
    with (home / "start.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _log_since(log: Path, offset: int, lines: int = 30) -> str:
    try:
        with log.open("rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start_server(home: Path, timeout: float = START_TIMEOUT) -> tuple[subprocess.Popen, str]:
    """Start a server with ``PREFECT_HOME=home``, tied to this process; return it and its
    ``PREFECT_API_URL`` once it answers. Raise ``RuntimeError`` (with the end of its log)
    when it exits before, ``TimeoutError`` when it does not answer within ``timeout`` s."""
    home.mkdir(parents=True, exist_ok=True)
    log = home / LOG_NAME
    env = server_environment(home)
    with start_lock(home):
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            offset = log.stat().st_size if log.exists() else 0
            with log.open("ab") as out:
                # A session of its own: Ctrl-C in a terminal reaches the whole foreground
                # group, and the server must outlive the run's last report to it; the run
                # stops it when it is done.
                process = subprocess.Popen(
                    lifeline.command("uvicorn", server_arguments(port)), env=env,
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)
            url = api_url(port)
            try:
                wait_for_server(url, timeout, process)
                return process, url
            except RuntimeError:  # it exited
                said = _log_since(log, offset)
                if attempt < START_ATTEMPTS and "address already in use" in said.lower():
                    continue
                raise RuntimeError(f"the temporary Prefect server (home {home}) exited with "
                                   f"code {process.returncode}:\n{said}") from None
            except BaseException:  # no answer in time, or the run stopped meanwhile
                stop_server(process)
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def stop_server(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the server cleanly (SIGTERM), or kill it after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


@contextlib.contextmanager
def temporary_server(state_dir: Path) -> Iterator[str | None]:
    """A temporary server for the duration of the block, when the run needs one (see
    ``needs_temporary_server``); yield its ``PREFECT_API_URL``, or None when none was
    started. Prefect in this process and in the processes the run starts (Dask workers)
    uses it."""
    if not needs_temporary_server():
        yield None
        return
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_UI_URL,
        temporary_settings,
    )

    process, url = start_server(temporary_home(state_dir))
    stopping.on_stop(process.terminate)  # a stop that runs out of time ends it cleanly too
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        # No UI is served, and the server is gone once the run ends: no "View at" links.
        # No heartbeats: they let a lasting server mark a run whose process died as
        # crashed, and this one ends with the run. Prefect's heartbeat thread sleeps in
        # whole seconds and a flow run waits for it at its end: 0-1 s a run, for nothing.
        with temporary_settings({PREFECT_API_URL: url, PREFECT_UI_URL: "",
                                 PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield url
    finally:
        send_what_prefect_holds()
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        stop_server(process)


def send_what_prefect_holds(timeout: float = STOP_TIMEOUT) -> None:
    """Wait until Prefect has sent the run's last logs and events to the server.

    Prefect sends them from background queues, which it empties at interpreter exit:
    after a server stopped here, before exit, its last requests would meet a server
    shutting down (a CancelledError traceback from the server, or refused connections)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for queue_service in (APILogWorker, EventsWorker):
        queue_service.drain_all(timeout=timeout)

