"""What the command-line tools share: `python -m classifier`, `classifier.evaluate` and `classifier.bench` end by
`run_command`, and they and the routing and bot benchmarks name the machine with `machine_summary`.

Imports the standard library only (not `classifier.model`: a benchmark imports it before it times anything).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from typing import NoReturn


def run_command(main: Callable[[], int]) -> NoReturn:
    """Exit with a command's status; a reader that stops early (`… | head`) ends it quietly, not with a traceback."""
    try:
        status = main()
        sys.stdout.flush()  # (inside the try: a closed pipe raises here, not at the interpreter's exit)
    except BrokenPipeError:
        # Python's own recipe (the signal module's notes on SIGPIPE): the interpreter's last flush must not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)


def machine_summary() -> str:
    """One line naming the machine a figure was measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
