import json
import re
from pathlib import Path

import pytest

from classifier import classify
from classifier.normalize import normalize
from classifier.taxonomy import (
    DEFAULT_TAXONOMY_FILE,
    NON_REQUEST_KINDS,
    Pattern,
    TaxonomyError,
    load_taxonomy,
    load_taxonomy_file,
)

SPEC_CODES = {
    "elderly": {"home_care", "meals", "escort", "lonely_visit", "disability", "aging_retrofit"},
    "health": {"consult", "chronic", "family_doctor", "vaccine", "mental", "medical_access"},
    "legal": {"consult", "aid", "contract", "family_law", "documents", "consumer"},
    "dispute": {"neighbor", "family", "property_dispute", "noise_dispute", "land", "petition"},
    "repair": {"appliance", "plumbing", "electrical", "lock", "gas_appliance", "furniture"},
    "property": {"elevator", "parking", "public_lighting", "utilities", "roads", "building"},
    "environment": {"garbage", "pollution", "noise", "greening", "sanitation", "odor"},
    "employment": {"jobs", "training", "wages", "insurance", "assistance", "retirement"},
    "education": {"after_school", "tutoring", "enrollment", "student_aid", "youth", "adult_learning"},
    "safety": {"fire", "gas_leak", "public_order", "fraud", "hazard", "traffic"},
}


def test_shipped_taxonomy_has_the_contract_codes() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.categories) == set(SPEC_CODES)
    for category, items in SPEC_CODES.items():
        assert {i.code for i in taxonomy.items.values() if i.category == category} == items
    assert taxonomy.item("safety.gas_leak").time_class == "urgent"
    assert taxonomy.item("repair.plumbing").skills == ("水暖",)
    assert taxonomy.classes["fast"].respond.total_seconds() == 3600
    assert all(item.keywords for item in taxonomy.items.values())


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    source = DEFAULT_TAXONOMY_FILE.read_text(encoding="utf-8")
    assert old in source
    return _write(tmp_path, source.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('code = "meals"', 'code = "home_care"', "item 'elderly.home_care': duplicate item code"),
        ('class = "slow"', 'class = "glacial"', "unknown class 'glacial'"),
        ('code = "elderly"', 'code = "health"', "category 'health': duplicate category code"),
        ("respond_minutes = 15", 'respond_minutes = "soon"', "[classes.urgent]"),
        ('label = "safety.gas_leak"', 'label = "safety.gas"', "unknown item 'safety.gas'"),
    ],
)
def test_errors_name_the_file_and_the_entry(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy_file(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)
    # The line named is the entry's own: its `code = …` (the later one of a duplicate) or its header.
    number = int(re.search(r", line (\d+): ", str(error.value))[1])
    line = path.read_text(encoding="utf-8").splitlines()[number - 1]
    entry = re.search(r"'([^']+)'", str(error.value).split(": ", 2)[1]) if "'" in message else None
    if entry and "[" not in message:
        assert line.strip() == f'code = "{entry[1].split(".")[-1]}"', line
        if "duplicate" in message:
            assert line.strip() == new
    else:
        assert line.strip() == "[classes.urgent]", line


def test_a_bad_pattern_is_an_error_on_load(tmp_path: Path) -> None:
    path = _broken(tmp_path, "patterns = [\n", "patterns = [\n    '(煤气|燃气',\n")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy_file(path)
    assert str(path) in str(error.value) and "bad pattern '(煤气|燃气'" in str(error.value)


def test_patterns_are_checked_on_load_and_compiled_when_first_searched() -> None:
    taxonomy = load_taxonomy_file(DEFAULT_TAXONOMY_FILE)
    patterns = [p for signal in taxonomy.urgent for p in signal.patterns]
    patterns += [p for kind in taxonomy.kinds.values() for p in kind]
    assert patterns and not any(p.compiled for p in patterns)
    gas = next(p for p in taxonomy.urgent if p.code == "gas").patterns[1]
    assert gas.search("我闻到一股煤气味") and gas.compiled
    compiled = re.compile(gas.pattern)
    assert (gas.pattern, gas.flags) == (compiled.pattern, compiled.flags) and gas == Pattern(gas.pattern)


def test_empty_lexicon_is_an_error(tmp_path: Path) -> None:
    source = DEFAULT_TAXONOMY_FILE.read_text(encoding="utf-8")
    start = source.index("keywords = [", source.index('code = "meals"'))
    end = source.index("]", start)
    path = _write(tmp_path, source[:start] + "keywords = [" + source[end:])
    with pytest.raises(TaxonomyError, match=r"item 'elderly.meals': empty lexicon"):
        load_taxonomy_file(path)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'version = 1\n[classes.fast\nname = "x"\n')
    with pytest.raises(TaxonomyError, match=r"line 2"):
        load_taxonomy_file(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="file not found"):
        load_taxonomy_file(tmp_path / "nope.toml")


COMPANIONS = ("examples", "self_harm_examples", "kind_examples", "danger_examples")


@pytest.mark.parametrize("key", COMPANIONS)
def test_a_missing_companion_file_names_its_key(tmp_path: Path, key: str) -> None:
    path = _broken(tmp_path, f'\n{key} = "', f'\n{key} = "gone-')  # (not next to the copy)
    text = path.read_text(encoding="utf-8")
    for other in set(COMPANIONS) - {key}:  # the others: none
        text = re.sub(rf'\n{other} = "[^"]*"', f'\n{other} = ""', text)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=rf"{key} file 'gone-[a-z_]+\.jsonl' not found next to it"):
        load_taxonomy_file(path)


def test_the_shipped_self_harm_examples_mark_their_signs() -> None:
    """Every urgent line of the self-harm model's own training file says "signal": "self_harm" (its labels
    are the needs the messages describe, so neither the default item nor a pattern tells it)."""
    lines = load_taxonomy().self_harm_examples.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert len(records) >= 900
    assert all(r.get("signal") == "self_harm" for r in records if r["urgent"])
    assert sum(1 for r in records if not r["urgent"]) >= 400  # look-alikes



def test_the_shipped_kind_examples_are_requests_and_non_requests() -> None:
    """The kind model's own training file: every line a known kind; requests name one of the 60 items (or none: a
    need that fits no item, for a coordinator), non-requests none; both kinds well represented (it teaches where
    the line between them runs)."""
    taxonomy = load_taxonomy()
    lines = taxonomy.kind_examples.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert all(r["kind"] in {"request", *NON_REQUEST_KINDS} for r in records)
    assert all(r["label"] in taxonomy.items or r["label"] is None for r in records if r["kind"] == "request")
    assert sum(1 for r in records if r["kind"] == "request" and r["label"] is None) < 100
    assert all(r["label"] is None for r in records if r["kind"] != "request")
    assert sum(1 for r in records if r["kind"] == "request") >= 1400
    assert sum(1 for r in records if r["kind"] != "request") >= 2600


def test_no_shipped_pattern_escapes_its_backslash_twice() -> None:
    """Patterns are TOML literal strings ('…'), where a backslash is itself: `\\1` there is a literal backslash
    and a 1, not a back-reference (到底装不装了 was never matched that way)."""
    taxonomy = load_taxonomy()
    patterns = [p for signal in taxonomy.urgent for p in signal.patterns]
    patterns += [p for kind_patterns in taxonomy.kinds.values() for p in kind_patterns]
    assert patterns
    assert [p.pattern for p in patterns if "\\\\" in p.pattern] == []


def test_every_pattern_is_read_as_messages_are_after_normalizing() -> None:
    """Messages are read in Simplified characters (normalize): a pattern written with Traditional ones (佢話要搵人斬我)
    would never match, so the taxonomy's patterns are read the same way."""
    taxonomy = load_taxonomy()
    patterns = [p for signal in taxonomy.urgent for p in signal.patterns] + [
        p for group in taxonomy.kinds.values() for p in group
    ]
    traditional = {ch for p in patterns for ch in p.pattern if "\u4e00" <= ch <= "\u9fff" and normalize(ch) != ch}
    assert not traditional
    assert classify("佢話要搵人斬我 而家佢啲人喺樓下等緊").urgent
