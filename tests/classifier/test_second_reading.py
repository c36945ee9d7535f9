"""A second reading of the thirty-second session's classifier changes (each test failed on them): a deployment's
taxonomy with capitals or hyphens in its codes still loads; a bad item code's error names the item's line; --jsonl reads
a line without a text string as an empty text, as it says."""

from pathlib import Path

import pytest

from classifier import Classifier
from classifier.taxonomy import load_taxonomy_file
from tests.classifier.test_robustness import ONE_ITEM


@pytest.mark.parametrize(("category", "item"), [("property", "public-lighting"), ("Property", "lighting")])
def test_a_deployments_taxonomy_that_loaded_yesterday_still_loads(tmp_path: Path, category: str, item: str) -> None:
    """TAXONOMY_FILE is 'the deployment's own copy of the taxonomy' (README); codes with a hyphen or a capital loaded and
    classified before today (labels are only joined by a dot), and their tickets' labels are in the database."""
    path = tmp_path / "taxonomy.toml"
    path.write_text(ONE_ITEM.format(category=category, item=item), encoding="utf-8")
    taxonomy = load_taxonomy_file(path)
    result = Classifier(taxonomy, cache_dir=tmp_path / "data").classify("楼道灯坏了好几天了")
    assert result.label == f"{category}.{item}"


SHIPPED = Path(__file__).resolve().parents[2].joinpath("classifier", "taxonomy.toml").read_text(encoding="utf-8")


def test_a_bad_item_code_error_names_the_items_line_not_its_categorys(tmp_path: Path) -> None:
    """load_taxonomy_file: 'an error names the file and the line' — the line of the entry's `code = …`. For an item code
    that breaks the new lower-case rule the line named is its category's `code = "elderly"`."""
    import re

    from classifier.taxonomy import TaxonomyError

    text = re.sub(r'(?m)^(examples|self_harm_examples|kind_examples|danger_examples|letter_examples) = .*$',
                  r'\1 = ""', SHIPPED).replace('code = "meals"', 'code = "me.als"', 1)
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy_file(path)
    message = str(error.value)
    number = int(re.search(r", line (\d+):", message)[1])
    assert path.read_text(encoding="utf-8").splitlines()[number - 1].strip() == 'code = "me.als"', message


def test_jsonl_reads_a_line_without_a_text_string_as_an_empty_text() -> None:
    """run_jsonl's docstring: 'a line that is blank or not such an object [with a `text` string] is reported on stderr
    and read as an empty text'. A `text` that is a list is reported, then classified as its repr (here: a fire)."""
    import json
    import subprocess
    import sys

    stdin = '\n{"text": ["家里着火了 快来人"]}\n'
    out = subprocess.run([sys.executable, "-m", "classifier", "--jsonl"], input=stdin.encode(), capture_output=True,
                         timeout=120)
    blank, listed = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert "line 2" in out.stderr.decode()
    assert listed == blank, listed
