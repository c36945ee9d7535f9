"""Command line: `python -m classifier "text"`, `python -m classifier --jsonl`, or an interactive prompt."""

from __future__ import annotations

import argparse
import json
import sys

from classifier import Classification, get_classifier
from classifier.cli import run_command

KIND_NAMES = {
    "request": "服务请求",
    "greeting": "问候",
    "thanks": "致谢",
    "status": "查询进度",
    "other": "非服务请求",
}


def verdict(result: Classification) -> str:
    """A readable, multi-line verdict for people."""
    taxonomy = get_classifier().taxonomy
    lines = [f"文本 text:      {result.text}", f"类型 kind:      {result.kind} ({KIND_NAMES[result.kind]})"]
    if result.label:
        item = taxonomy.items[result.label]
        sure = "确定 confident" if result.confident else "不确定 unsure"
        lines += [
            f"事项 item:      {result.label}  {item.category_name} / {item.name}",
            f"置信度 conf.:   {result.confidence:.2f} ({sure})",
        ]
    elif result.kind == "request":
        lines.append("事项 item:      (无匹配 — 由协调员派单 / no item, a coordinator dispatches)")
    if result.top3:
        lines.append(
            "候选 top-3:     "
            + "   ".join(f"{label} {taxonomy.items[label].name} {score:.2f}" for label, score in result.top3)
        )
    urgent = "是 YES — 请拨打 " + "/".join(result.hotlines) if result.urgent else "否 no"
    lines.append(f"紧急 urgent:    {urgent}")
    return "\n".join(lines)


def as_json(result: Classification) -> dict:
    """The JSON line written by --jsonl."""
    return {
        "label": result.label,
        "confidence": result.confidence,
        "top3": [label for label, _ in result.top3],
        "urgent": result.urgent,
        "kind": result.kind,
    }


def run_jsonl() -> int:
    """Read JSON lines with a `text` field on stdin; write one verdict line for each line read, in order (a line
    that is blank or not such an object is reported on stderr and read as an empty text: output line N is always
    input line N's)."""
    classifier = get_classifier()
    out = sys.stdout
    for number, line in enumerate(sys.stdin, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")  # (a UTF-8 byte order mark, as Notepad saves one)
        try:
            value = json.loads(line).get("text")
        except (ValueError, RecursionError, AttributeError):  # (not JSON, nested too deep, not an object)
            value = None
        if not isinstance(value, str):
            print(f"line {number}: not a JSON object with a 'text' string", file=sys.stderr)
        text = value if isinstance(value, str) else ""
        out.write(json.dumps(as_json(classifier.classify(text)), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def run_prompt() -> int:
    """Interactive prompt: type a message, see the verdict; an empty line or Ctrl-D quits."""
    classifier = get_classifier()
    print("输入一条居民消息，回车查看分类结果（空行或 Ctrl-D 退出）。")
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text.strip():
            return 0
        print(verdict(classifier.classify(text)), end="\n\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m classifier", description=__doc__)
    parser.add_argument("text", nargs="*", help="a message to classify")
    parser.add_argument("--jsonl", action="store_true", help="read JSON lines from stdin")
    args = parser.parse_args(argv)
    if args.jsonl:
        return run_jsonl()
    if args.text:
        print(verdict(get_classifier().classify(" ".join(args.text))))
        return 0
    if sys.stdin.isatty():
        return run_prompt()
    for line in sys.stdin:  # piped plain text: one verdict per line
        if line.strip():
            print(verdict(get_classifier().classify(line)), end="\n\n")
    return 0


if __name__ == "__main__":
    run_command(main)
