"""Robustness of the classifier's interfaces, found by a review (each test failed on the code before): a text that
runs on without a full stop, the --jsonl reader (a byte order mark, a line nested too deep, blank lines), the
taxonomy's errors (the line they name, duplicate urgent codes, wrong shapes, dotted codes) and evaluate's files."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classifier import Classifier, classify, patterns
from classifier.taxonomy import DEFAULT_TAXONOMY_FILE, TaxonomyError, load_taxonomy_file

SHIPPED = DEFAULT_TAXONOMY_FILE.read_text(encoding="utf-8")
# The shipped file with no companion example files, so that a copy loads from anywhere.
STANDALONE = re.sub(
    r"(?m)^(examples|self_harm_examples|kind_examples|danger_examples|letter_examples) = .*$", r'\1 = ""', SHIPPED
)


def run_cli(module: str, *args: str, stdin: str | bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=120,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- classify: a text that runs on ------------------------------------------------------------------


def test_a_text_without_full_stops_is_read_a_bounded_part_at_a_time() -> None:
    """Ten thousand characters of 晕倒 and no full stop: each of its 5,000 matches reads at most PART_LIMIT
    characters either side (the whole text each time took seconds)."""
    text = "晕倒" * 5000
    match = re.search("晕倒", text[5000:])
    assert match is not None
    assert len(patterns._around(text, 5000, patterns._SENTENCE_END)) <= 2 * patterns.PART_LIMIT
    assert 5000 - patterns._part_start(text, 5000, patterns._SENTENCE_END) <= patterns.PART_LIMIT
    assert len(patterns.next_sentences(text, re.search("晕倒", text))) <= 2 * patterns.PART_LIMIT + 2
    assert 0.0 <= classify(text).confidence <= 1.0  # (and a verdict comes)


# --- python -m classifier --jsonl -------------------------------------------------------------------


def test_jsonl_reads_a_first_line_after_a_utf8_bom() -> None:
    stdin = "\ufeff" + json.dumps({"text": "楼道灯坏了好几天了"}, ensure_ascii=False) + "\n"
    out = run_cli("classifier", "--jsonl", stdin=stdin)
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert rows[0]["label"] == "property.public_lighting"


def test_jsonl_survives_a_deeply_nested_line() -> None:
    good = json.dumps({"text": "楼道灯坏了好几天了"}, ensure_ascii=False)
    stdin = good + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" + good + "\n"
    out = run_cli("classifier", "--jsonl", stdin=stdin)
    assert out.returncode == 0, out.stderr.decode()[-300:]
    assert len(out.stdout.decode().splitlines()) == 3


def test_jsonl_writes_one_line_per_input_line_blank_included() -> None:
    good = json.dumps({"text": "楼道灯坏了好几天了"}, ensure_ascii=False)
    stdin = f"{good}\n\n{good}\nnot json\n"  # (an invalid line gets a line, and so does a blank one)
    out = run_cli("classifier", "--jsonl", stdin=stdin)
    assert len(out.stdout.decode().splitlines()) == 4


# --- taxonomy validation ----------------------------------------------------------------------------


def test_an_urgent_entry_error_points_at_the_urgent_entry_not_an_item_of_the_same_code(tmp_path: Path) -> None:
    # [[urgent]] code = "fire" with no patterns; an item safety.fire also has code = "fire"
    text = re.sub(r'(?s)(\[\[urgent\]\]\ncode = "fire".*?)patterns = \[.*?\n\]\n', r"\1patterns = []\n", STANDALONE, count=1)
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy_file(path)
    message = str(error.value)
    assert "urgent 'fire'" in message
    lines = path.read_text(encoding="utf-8").splitlines()
    number = int(re.search(r", line (\d+):", message)[1])
    assert lines[number - 2].strip() == "[[urgent]]", (number, lines[number - 3 : number])


def test_a_duplicate_item_error_points_into_its_own_category(tmp_path: Path) -> None:
    # health.chronic renamed health.consult: a duplicate in health; legal also has an item "consult", later
    path = write(tmp_path, STANDALONE.replace('code = "chronic"', 'code = "consult"', 1))
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy_file(path)
    message = str(error.value)
    assert "item 'health.consult': duplicate item code" in message
    number = int(re.search(r", line (\d+):", message)[1])
    lines = path.read_text(encoding="utf-8").splitlines()
    health, legal = lines.index('code = "health"') + 1, lines.index('code = "legal"') + 1
    assert health < number < legal, (number, lines[number - 1], "health", health, "legal", legal)


def test_duplicate_urgent_codes_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, STANDALONE.replace('[[urgent]]\ncode = "fire"', '[[urgent]]\ncode = "gas"', 1))
    with pytest.raises(TaxonomyError, match="gas"):
        load_taxonomy_file(path)


def test_urgent_written_as_a_list_of_strings_is_a_taxonomy_error(tmp_path: Path) -> None:
    text = STANDALONE.replace("version = 1", 'version = 1\nurgent = ["gas"]', 1).replace("[[urgent]]", "[[old_urgent]]")
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError, match=re.escape(str(path))):
        load_taxonomy_file(path)


def test_kinds_written_as_a_list_is_a_taxonomy_error(tmp_path: Path) -> None:
    text = STANDALONE.replace("[kinds]\n", "[old_kinds]\n", 1).replace("version = 1", 'version = 1\nkinds = ["greeting"]', 1)
    path = write(tmp_path, text)
    with pytest.raises(TaxonomyError, match=re.escape(str(path))):
        load_taxonomy_file(path)


# A taxonomy of one category and one item, its codes to fill in (with no companion files: it loads from anywhere).
ONE_ITEM = """
version = 1
examples = ""
[classes.normal]
name = "一般"
respond_minutes = 240
resolve_minutes = 4320

[[category]]
code = "{category}"
name = "物业"

[[category.item]]
code = "{item}"
name = "照明"
class = "normal"
keywords = ["灯坏了", "路灯"]
"""


def test_a_code_with_a_dot_is_rejected_or_category_matches_label(tmp_path: Path) -> None:
    path = write(tmp_path, ONE_ITEM.format(category="prop.erty", item="lighting"))
    try:
        taxonomy = load_taxonomy_file(path)
    except TaxonomyError:
        return  # (rejected: fine)
    result = Classifier(taxonomy, cache_dir=tmp_path / "data").classify("楼道灯坏了好几天了")
    assert result.label == "prop.erty.lighting"
    assert result.category == taxonomy.items[result.label].category, (result.category, result.item)


# --- python -m classifier.evaluate ------------------------------------------------------------------


def test_evaluate_reports_a_line_without_text_instead_of_crashing(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        '{"text": "楼道灯坏了好几天了", "label": "property.public_lighting"}\n{"label": "property.elevator"}\n',
        encoding="utf-8",
    )
    out = run_cli("classifier.evaluate", str(path))
    assert b"Traceback" not in out.stderr, out.stderr.decode()[-200:]


def test_evaluate_reads_a_file_with_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"text": "楼道灯坏了好几天了", "label": "property.public_lighting"}\n', encoding="utf-8-sig")
    out = run_cli("classifier.evaluate", str(path))
    assert out.returncode == 0, out.stderr.decode()[-200:]
    assert "item@1               100.0%" in out.stdout.decode()


def test_evaluate_does_not_print_zero_recall_for_a_set_without_urgent_messages(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"text": "楼道灯坏了好几天了", "label": "property.public_lighting"}\n', encoding="utf-8")
    out = run_cli("classifier.evaluate", str(path)).stdout.decode()
    assert "0 urgent" in out
    assert "urgent recall        0.0%" not in out, out
