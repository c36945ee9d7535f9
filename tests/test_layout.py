"""The layout is the architecture: classifier imports neither routing, bot, a database nor Telegram;
routing never imports Telegram or the bot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "classifier": ("routing", "bot", "telegram", "sqlmodel", "sqlalchemy"),
    "routing": ("bot", "telegram"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_it_may(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, "\n".join(offenders)


# Inside the classifier: model.py uses patterns.py and learning.py, learning.py may use patterns.py; never upwards.
# cli.py (what the commands and the benchmarks share) uses none of them.
CLASSIFIER_PARTS = {
    "patterns": ("model", "learning"),
    "learning": ("model",),
    "cli": ("model", "learning", "patterns"),
}


@pytest.mark.parametrize("part", sorted(CLASSIFIER_PARTS))
def test_a_part_of_the_classifier_never_imports_the_parts_above_it(part: str) -> None:
    tree = ast.parse((ROOT / "classifier" / f"{part}.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)  # (from classifier import model)
    assert not imported & {f"classifier.{above}" for above in CLASSIFIER_PARTS[part]}
