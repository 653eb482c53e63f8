"""Stopping a run: SIGTERM as Ctrl-C, and a stop that never waits long.

``pledgeflow run`` takes SIGINT (Ctrl-C) and SIGTERM (what ``timeout``, systemd and
container runtimes send) alike: the run stops, its parse workers are killed, its temporary
Prefect server is stopped, and it exits with 128 + the signal's number (130 for SIGINT,
143 for SIGTERM). Documents committed before the signal are kept, whole.

Prefect unwinds the flow run first (it marks the run crashed and waits for its task
threads), and a task thread can be waiting on the network for up to its fetch timeout.
So a stop has ``GRACE`` seconds: after that the process exits at once, and its children
end with it (``lifeline.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

GRACE = 10.0  # seconds a stop may take before the process exits at once
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_lock = threading.Lock()
_installed = False
_received: int | None = None  # the signal that asked for the stop
_said = False
_on_stop: list[Callable[[], object]] = []  # what to stop before exiting at once


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM stop this process (see the module's text);
    the handlers before it come back after. Only in the main thread: elsewhere Python
    cannot set signal handlers, and nothing changes."""
    global _installed, _received, _said
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # A signal the process was started ignoring (SIGINT for a background job of a
    # script) stays ignored.
    before = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS
              if signal.getsignal(signum) is not signal.SIG_IGN}
    _installed, _received, _said = True, None, False
    try:
        yield
    finally:
        _installed = False
        for signum, handler in before.items():
            signal.signal(signum, handler)
        _on_stop.clear()


def _on_signal(signum: int, frame) -> None:
    if begin(signum):
        raise KeyboardInterrupt
    # A stop is under way (or Prefect passes on a SIGTERM it turned into its own
    # TerminationSignal): let the cleanup go on; the grace period bounds it.


def begin(signum: int) -> bool:
    """Note that ``signum`` asked this process to stop and start the grace period;
    False when a stop had already begun. Outside ``handled`` (in a flow run served by
    Prefect, which handles its own signals), nothing happens."""
    global _received
    with _lock:
        if not _installed or _received is not None:
            return False
        _received = signum
    threading.Thread(target=_exit_after_grace, name="pledgeflow-stop", daemon=True).start()
    return True


def received() -> int | None:
    """The signal a stop began with, or None."""
    return _received


def on_stop(callback: Callable[[], object]) -> None:
    """Call ``callback`` before exiting at once after the grace period (to stop a child
    process cleanly rather than leave it to its lifeline)."""
    _on_stop.append(callback)


def exit_status(signum: int) -> int:
    return 128 + int(signum)


def _say_stopped(signum: int) -> None:
    global _said
    if not _said:
        _said = True
        print(f"pledgeflow: stopped by {signal.Signals(signum).name} (exit status "
              f"{exit_status(signum)}); documents loaded before it are kept, and the next "
              "run loads the rest.", file=sys.stderr, flush=True)


def exit_stopped() -> None:
    """Say the run stopped and exit with 128 + the signal (the run's cleanup is done)."""
    signum = _received or signal.SIGINT
    _say_stopped(signum)
    sys.exit(exit_status(signum))


def _exit_after_grace() -> None:
    time.sleep(GRACE)
    signum = _received or signal.SIGINT
    for callback in _on_stop:
        try:
            callback()
        except Exception:  # noqa: BLE001, S110 - exiting anyway; the lifeline ends the rest
            pass
    _say_stopped(signum)
    sys.stderr.flush()
    os._exit(exit_status(signum))
