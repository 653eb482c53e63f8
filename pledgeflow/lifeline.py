"""Child processes that end with their parent, however the parent ends.

A process pledgeflow starts (a parse worker, the temporary Prefect server, Datasette) must
not outlive it. A scheduler that kills a stuck run with SIGKILL gives the run no chance to
stop anything: its children are reparented to init and run on, holding memory and ports.
So each child ties itself to its parent as it starts:

- On Linux the kernel sends the child SIGKILL when its parent dies (``prctl`` with
  ``PR_SET_PDEATHSIG``). It works even while the child is busy in C code, but it fires
  when the *thread* that started the child ends, not the process: pledgeflow starts its
  children only from threads that live as long as the process (the main thread, and
  ``isolate.py``'s spawner thread).
- Where ``prctl`` is missing, a daemon thread in the child checks twice a second that
  its parent is still the process that started it, and ends the child when it is not.

Either way the child checks its parent once after arming, for a parent that died while
the child was starting.

``python -m pledgeflow.lifeline PARENT_PID MODULE [ARG...]`` ties itself to
``PARENT_PID``, then runs ``MODULE`` in the same process, as ``python -m MODULE ARG...``
would: this is how the servers pledgeflow starts as commands (uvicorn, Datasette) are tied.
``PLEDGEFLOW_LIFELINE=watch`` in the environment skips ``prctl`` and uses the thread, to
try the fallback where ``prctl`` exists.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

EXIT_ORPHANED = 1  # status of a child that ends because its parent is gone
WATCH_INTERVAL = 0.5  # seconds between the fallback thread's checks
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _kill_on_parent_death() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux") or os.environ.get("PLEDGEFLOW_LIFELINE") == "watch":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc prctl after all
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(EXIT_ORPHANED)  # the parent is gone: reparented to init or a subreaper


def tie_to_parent(parent_pid: int, interval: float = WATCH_INTERVAL) -> None:
    """End this process when the process ``parent_pid`` (its parent) ends; at once if it
    has already ended."""
    kernel = _kill_on_parent_death()
    if os.getppid() != parent_pid:  # it died before the signal was armed
        os._exit(EXIT_ORPHANED)
    if not kernel:
        threading.Thread(target=_watch_parent, args=(parent_pid, interval),
                         name="pledgeflow-lifeline", daemon=True).start()


def command(module: str, args: list[str]) -> list[str]:
    """The command that runs ``python -m module args`` tied to this process.

    Start it from the main thread (or another thread that lives as long as the process):
    on Linux the child is killed when the thread that started it ends."""
    return [sys.executable, "-m", "pledgeflow.lifeline", str(os.getpid()), module, *args]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].isdigit():
        sys.exit("usage: python -m pledgeflow.lifeline PARENT_PID MODULE [ARG...]")
    tie_to_parent(int(argv[0]))
    module = argv[1]
    sys.argv = [module, *argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
