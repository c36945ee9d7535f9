import json
import subprocess
import sys


def run(*args: str, stdin: str = "") -> str:
    return subprocess.run(
        [sys.executable, "-m", "classifier", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_verdict_for_one_message() -> None:
    out = run("楼道灯坏了好几天了")
    assert "property.public_lighting" in out and "照明楼道" in out


def test_jsonl_keeps_order_and_fields() -> None:
    lines = [{"text": "楼道灯坏了好几天了"}, {"text": "你好"}, {"text": "闻到煤气味了"}, {"nope": 1}]
    out = run("--jsonl", stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 4
    assert set(rows[0]) == {"label", "confidence", "top3", "urgent", "kind"}
    assert rows[0]["label"] == "property.public_lighting"
    assert rows[1]["kind"] == "greeting" and rows[1]["label"] is None
    assert rows[2]["urgent"] is True
    assert rows[3]["kind"] != "request"


def test_a_reader_that_stops_early_ends_it_quietly() -> None:
    """`… --jsonl | head -1` gives its line, and the closed pipe no traceback."""
    lines = "".join(json.dumps({"text": f"楼道灯坏了{n}天了"}, ensure_ascii=False) + "\n" for n in range(5000))
    shell = f"{sys.executable} -m classifier --jsonl | head -1"
    done = subprocess.run(["sh", "-c", shell], input=lines, capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout)["label"] == "property.public_lighting"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
