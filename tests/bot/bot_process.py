"""`python -m bot` and `jiedan` run as an operator runs them, each in a temporary data directory with the learned
models: the helpers of the operator's tests (test_config, test_console, test_operator)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.e2e.harness import BOT_SETTINGS, share_learned_models

CLEAN = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS}

OWN_GEOGRAPHY = """\
[[street]]
code = "JD01"
name = "建设街道"

[[street.community]]
code = "JD01-SQ01"
name = "阳光社区"

[[street.community.grid]]
code = "JD01-SQ01-WG01"
name = "阳光第一网格"

[[street.community.grid]]
code = "JD01-SQ01-WG02"
name = "阳光第二网格"
"""


def run_bot(tmp_path: Path, env: dict[str, str], stdin: bytes = b":quit\n",
            argv: tuple[str, ...] = ("-m", "bot"), timeout: float = 120) -> subprocess.CompletedProcess[str]:
    data = Path(env.get("DATA_DIR", tmp_path / "data"))
    if data.parent.is_dir():  # a usable data directory gets the learned models, as `make` fits them
        data.mkdir(parents=True, exist_ok=True)
        share_learned_models(data)
    full = {**CLEAN, "DATA_DIR": str(data), **env}
    result = subprocess.run([sys.executable, *argv], input=stdin, env=full, cwd=tmp_path,
                            capture_output=True, timeout=timeout)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def start_bot_until(tmp_path: Path, env: dict[str, str], marker: str, timeout: float = 30) -> tuple[bool, str]:
    """`python -m bot` until its log says `marker` (then it is stopped) or it exits: (marker seen, its output).
    The tests of a bot that starts wait for the line, not for a fixed time."""
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while reader.is_alive() and not seen.is_set() and time.monotonic() < deadline:
        seen.wait(0.05)  # the reader ends when the bot exits
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    reader.join(5)
    return seen.is_set(), "".join(lines)


def console(tmp_path: Path, env: dict[str, str], lines: str) -> subprocess.CompletedProcess[str]:
    """`make run` without a token (python -m bot), DATA_DIR kept in tmp_path/data between calls."""
    return run_bot(tmp_path, {"DATA_DIR": str(tmp_path / "data"), **env}, stdin=lines.encode(), timeout=60)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip().splitlines() or [result.stdout[-300:]])[-1]


def jiedan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`jiedan …` (routing/cli.py) on the SQLite database in tmp_path, as an operator runs it."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    share_learned_models(data)
    return subprocess.run([sys.executable, "-m", "routing.cli", *args], env={**CLEAN, "DATA_DIR": str(data)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def saved_in_gbk(tmp_path: Path, source: Path | str, name: str) -> Path:
    """The file (or text) as Notepad on a Chinese Windows saves it: GBK, not UTF-8."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    path = tmp_path / name
    path.write_bytes(text.encode("gb18030"))  # (GBK's superset: what a Chinese Windows saves as ANSI)
    return path
