"""Settings an operator puts in `.env`, as README's "Configuration (environment or `.env`)" says.
Found by a review of a new user's first run in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import classifier

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "classifier"
LEARNED = Path(os.environ.get("DATA_DIR") or ROOT / "data")


def _deployment(tmp_path: Path) -> Path:
    """A deployment directory whose `.env` names its own taxonomy copy (one item renamed) and its DATA_DIR."""
    own = tmp_path / "taxonomy"
    own.mkdir()
    text = (SHIPPED / "taxonomy.toml").read_text(encoding="utf-8")
    assert text.count('name = "照明楼道"') == 1
    (own / "taxonomy.toml").write_text(text.replace('name = "照明楼道"', 'name = "楼道照明本社区"'), encoding="utf-8")
    for examples in SHIPPED.glob("*.jsonl"):
        (own / examples.name).symlink_to(examples)
    state = tmp_path / "state"
    classifier.share_learned(LEARNED, state)  # (what `make` would have learned: no fit in this test)
    classifier.share_learned(LEARNED, tmp_path / "data")
    (tmp_path / ".env").write_text(f"TAXONOMY_FILE={own / 'taxonomy.toml'}\nDATA_DIR={state}\n", encoding="utf-8")
    return tmp_path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TAXONOMY_FILE", "DATA_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_python_m_classifier_reads_the_taxonomy_file_named_in_dotenv(tmp_path: Path) -> None:
    """An operator keeps the deployment's own taxonomy (TAXONOMY_FILE) in `.env`, as the README's configuration
    table allows, and the bot reads it (the console shows 「物业设施 · 楼道照明本社区」 for 楼道灯坏了). To check how a
    resident's message will be read they run `python -m classifier 楼道灯坏了` in the same directory: it prints the
    shipped taxonomy's 「照明楼道」 instead — the classifier's command lines (and `make`'s set-up step, and
    `classifier.evaluate` / `classifier.bench`) take TAXONOMY_FILE and DATA_DIR from the process environment only
    (`classifier/__init__.py`, get_classifier: os.environ), never from `.env`, so they describe a different classifier
    from the one the bot runs."""
    cwd = _deployment(tmp_path)
    shown = _run(cwd, "-m", "classifier", "楼道灯坏了")
    assert shown.returncode == 0, shown.stderr
    assert "楼道照明本社区" in shown.stdout, shown.stdout


def test_make_setup_step_learns_into_the_data_dir_named_in_dotenv(tmp_path: Path) -> None:
    """`make`'s set-up fits the classifier's models "so that a first start reads them" (README; the Makefile: "a first
    start then takes < 1 s"). With DATA_DIR in `.env` (README: "environment or `.env`") the set-up step
    `python -c 'import classifier; classifier.get_classifier()'` learns into ./data instead, and the bot's first
    start in DATA_DIR learns everything again (measured: 38.7 s instead of under a second, ~650 MB at peak)."""
    cwd = _deployment(tmp_path)
    probe = "import classifier; print('learned in', classifier.get_classifier().tokenizer.tmp_dir)"
    shown = _run(cwd, "-c", probe)
    assert shown.returncode == 0, shown.stderr
    assert str(tmp_path / "state") in shown.stdout, shown.stdout
