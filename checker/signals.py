"""How a run stops early, and the exit code it gives (as shells report a signal: 128 + its number).

* Ctrl-C (SIGINT) and SIGTERM: a ``check`` stops after the batch under way with the
  report of the batches done (a second one stops at once); any other command stops
  at once. The loader's worker processes ignore both and are shut down by the run.
  Exit 130 for SIGINT, 143 for SIGTERM.
* A closed standard output (``rulecheck check … | head -1``): the run stops at the
  next write or, for a report written at the end, after the batch under way; no
  traceback, exit 141 (as a process killed by SIGPIPE): the report was not all
  delivered, so the run neither passed nor reported its findings.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import sys
from typing import IO, Any, Final

INTERRUPTED: Final = 128 + signal.SIGINT  # 130
TERMINATED: Final = 128 + signal.SIGTERM  # 143
PIPE_CLOSED: Final = 141  # 128 + SIGPIPE (13), also where the signal does not exist
STOPPING: Final = (signal.SIGINT, signal.SIGTERM)

_received: int | None = None


def note(signum: int) -> None:
    """Remember the signal that stops this run (its exit code)."""
    global _received
    _received = signum


def reset() -> None:
    global _received
    _received = None


def exit_code() -> int:
    """130 after Ctrl-C (or a KeyboardInterrupt no signal was noted for), 143 after SIGTERM."""
    return 128 + (_received if _received is not None else signal.SIGINT)


def terminate(signum: int, frame: Any) -> None:
    """SIGTERM's handler outside a batch: stop as Ctrl-C does."""
    note(signum)
    raise KeyboardInterrupt


def reader_gone(stream: IO[Any]) -> bool:
    """Whether ``stream`` is a pipe whose reading end has been closed (POSIX: poll
    reports an error on it), so that a run whose report goes there can stop."""
    poll = getattr(select, "poll", None)
    if poll is None:  # pragma: no cover - not POSIX
        return False
    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        poller = poll()
        poller.register(fd, 0)  # error conditions only: POLLERR, POLLHUP
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def drop_stdout() -> None:
    """Standard output's reader has gone: send what is still buffered (and anything
    written later) to the null device, so that no flush at exit complains."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
