"""Build the real-letter evaluation sets from the public dataset and our labels.

The letters are not in this repository (a public competition dataset; its terms are not ours to relicense). To
measure on them:

    git clone https://github.com/694035434/Natural-language-processing-and-text-mining /tmp/nlp-letters
    .venv/bin/pip install openpyxl   # (reads the .xlsx; not a dependency of the project)
    .venv/bin/python docs/real-letters/build.py /tmp/nlp-letters/附件2.xlsx /tmp/real-letters
    .venv/bin/python -m classifier.evaluate /tmp/real-letters/held.jsonl

A second, larger set (forty-seventh session) comes from the same board's 附件3 (letters with no label of the dataset's
own; ids disjoint from 附件2's), one helper's label per letter (`board3-labels.jsonl`, the brief in
`board3-labelling-brief.md`). Give its workbook as a third argument to write `board3.jsonl` too:

    git clone https://github.com/Rollbear-bot/HelloNLP-TopicC-in-TipDMCup2020 /tmp/board3
    .venv/bin/python docs/real-letters/build.py /tmp/nlp-letters/附件2.xlsx /tmp/real-letters \
        /tmp/board3/resources/full_dataset/full_dataset_sheet_3.xlsx

`labels.jsonl` (next to this file) gives, for each of the 494 letters, its half (tune: its misses were read; held:
never read) and the labels two blind labellers gave it by taxonomy.md (`fit`: clear, loose or none). A letter enters
the sets when both labellers give it the same category; its label is the first labeller's item, `urgent` if either
said so. Every letter is a request (a letter to a message board asks something of the authorities).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

LABELS = Path(__file__).with_name("labels.jsonl")
BOARD3_LABELS = Path(__file__).with_name("board3-labels.jsonl")


def letters_of(workbook: Path) -> dict[int, str]:
    """Letter id → its text (留言详情), whitespace runs as one space."""
    import openpyxl  # (only this script needs it: not a dependency of the project)

    sheet = openpyxl.load_workbook(workbook, read_only=True).active
    texts: dict[int, str] = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] is not None and row[4]:
            texts[int(row[0])] = re.sub(r"\s+", " ", str(row[4])).strip()
    return texts


def main(workbook: Path, out_dir: Path) -> None:
    texts = letters_of(workbook)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict]] = {"tune": [], "held": []}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        given = [entry[who] for who in ("a", "b") if who in entry]
        categories = {(g["label"] or "").split(".")[0] for g in given}
        if len(categories) != 1 or "" in categories or entry["id"] not in texts:
            continue
        rows[entry["half"]].append({
            "text": texts[entry["id"]],
            "label": given[0]["label"],
            "kind": "request",
            "urgent": any(g["urgent"] for g in given),
            "fit": "clear" if all(g["fit"] == "clear" for g in given) else "loose",
        })
    for half, records in rows.items():
        with (out_dir / f"{half}.jsonl").open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{out_dir / half}.jsonl: {len(records)} letters")


def board3(workbook: Path, out_dir: Path) -> None:
    """`board3.jsonl`: the 附件3 letters whose labeller found them a category (one label each: fit clear or loose)."""
    texts = letters_of(workbook)
    records = []
    for line in BOARD3_LABELS.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["label"] and entry["id"] in texts:
            records.append({
                "text": texts[entry["id"]],
                "label": entry["label"],
                "kind": "request",
                "urgent": entry["urgent"],
                "fit": entry["fit"],
            })
    with (out_dir / "board3.jsonl").open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{out_dir / 'board3'}.jsonl: {len(records)} letters")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
    if len(sys.argv) > 3:
        board3(Path(sys.argv[3]), Path(sys.argv[2]))
