"""The ``rulecheck`` console script (and ``python -m checker``).

Cyclic garbage collection is paused while the command line's modules are imported:
typer and click make tens of thousands of long-lived objects and no garbage, and
~30 collections only traversed them (6–10 ms of every command). `check` then pauses
it again until its first batch is checked (see :func:`checker.cli.check_command`).
"""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command line."""
    gc.disable()
    try:
        from checker.cli import main as run
    finally:
        gc.freeze()  # the modules live as long as the process: never traversed again
        gc.enable()
    run()


if __name__ == "__main__":
    main()
