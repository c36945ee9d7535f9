"""The service taxonomy: categories, items, lexicon, urgent signals and time-limit classes.

Loaded from a TOML file (the shipped default or a deployment's own copy) and validated on load:
an error names the file and the entry so that whoever edits the file can fix it.
"""

from __future__ import annotations

import re
import re._parser as re_parser  # to check a pattern's syntax without compiling it
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from classifier.normalize import simplified_pattern

DEFAULT_TAXONOMY_FILE = Path(__file__).with_name("taxonomy.toml")
# What kind of message a text is (a request, or one of the NON_REQUEST_KINDS; see `Classification.kind`).
Kind = Literal["request", "greeting", "thanks", "status", "other"]
NON_REQUEST_KINDS: tuple[Kind, ...] = ("greeting", "thanks", "status", "other")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the file and the entry."""


# What an operator is told about a file that is not UTF-8 (GBK, as Windows Notepad on a Chinese system saves it).
NOT_UTF8 = "not UTF-8 text: save it as UTF-8 (in Notepad: 另存为 → 编码 UTF-8)"


# The methods of a compiled pattern a taxonomy Pattern offers (see `Pattern.__getattr__`).
_COMPILED_METHODS = ("finditer", "fullmatch", "match", "search", "sub")


class Pattern:
    """A pattern of the taxonomy: its syntax checked on load, compiled when first searched. A message wakes about two
    of the nine hundred (see `classifier.patterns.PatternIndex`), so a process compiles few of them: compiling them all
    took 0.24 s of every start, checking them takes 0.1 s. Equal, like `re.Pattern`, by its source and flags."""

    __slots__ = ("finditer", "flags", "fullmatch", "match", "pattern", "search", "sub")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.flags: int = re_parser.parse(pattern).state.flags  # (raises re.error as compiling would)

    def __getattr__(self, name: str) -> Any:
        """The first search compiles the pattern; its methods then fill the slots, so that later searches call the
        compiled pattern's own, with no call of ours in between."""
        if name not in _COMPILED_METHODS:
            raise AttributeError(name)
        compiled = re.compile(self.pattern)
        for method in _COMPILED_METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    @property
    def compiled(self) -> bool:
        """Whether it was searched (compiled) yet."""
        try:
            object.__getattribute__(self, "search")
        except AttributeError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pattern) and (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


@dataclass(frozen=True, slots=True)
class TimeClass:
    code: str
    name: str
    respond: timedelta
    resolve: timedelta


@dataclass(frozen=True, slots=True)
class Item:
    category: str
    code: str
    name: str
    category_name: str
    scope: str
    skills: tuple[str, ...]
    time_class: str
    keywords: tuple[str, ...]
    hints: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.category}.{self.code}"


@dataclass(frozen=True, slots=True)
class UrgentSignal:
    code: str
    hotline: str
    label: str | None
    default_label: str | None
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: Path
    classes: dict[str, TimeClass]
    categories: dict[str, str]  # code -> Chinese name
    items: dict[str, Item]  # label -> item
    urgent: tuple[UrgentSignal, ...]
    kinds: dict[str, tuple[Pattern, ...]]
    examples: Path | None  # labelled messages to learn term weights from
    # The next three teach the models named and the danger and non-request models (which learn from every file), not
    # the item model nor the term weights.
    self_harm_examples: Path | None = None  # the self-harm model's (the kind model does not read them)
    kind_examples: Path | None = None  # the kind model's, request or not (the self-harm model does not read them)
    danger_examples: Path | None = None  # the blind chat tuning sets: the self-harm model reads them too
    letter_examples: Path | None = None  # letters to a message board: only the letters' vocabulary learns them

    def item(self, label: str) -> Item:
        """Return the item for a `category.item` label, or raise KeyError naming it."""
        try:
            return self.items[label]
        except KeyError:
            raise KeyError(f"unknown service item {label!r}") from None

    def hotlines_of(self, label: str | None) -> tuple[str, ...]:
        """The emergency numbers of an item that is an urgent signal's own (119 for a gas leak or a fire); none for
        another item or no item."""
        return tuple(s.hotline for s in self.urgent if label and s.label == label)

    @property
    def skills(self) -> list[str]:
        """All skill tags, in taxonomy order, each once."""
        return list(dict.fromkeys(s for item in self.items.values() for s in item.skills))


def _words(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise TaxonomyError(f"{where}: expected a list of non-empty strings")
    return tuple(dict.fromkeys(w.strip() for w in raw))


def _patterns(raw: object, where: str) -> tuple[Pattern, ...]:
    checked = []
    for pattern in _words(raw, where):
        try:
            checked.append(Pattern(simplified_pattern(pattern)))  # (messages are read Simplified: see normalize)
        except re.error as exc:
            raise TaxonomyError(f"{where}: bad pattern {pattern!r}: {exc}") from None
    return tuple(checked)


def _require(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where}: missing or empty {key!r}")
    return value.strip()


MAX_CODE = 24  # two codes and a dot must fit in a button's 64 bytes with the bot's own parts
_CODE = re.compile(f"[A-Za-z0-9_-]{{1,{MAX_CODE}}}")


def _code(table: dict, where: str) -> str:
    """A code: ASCII letters, digits, _ or -, at most MAX_CODE of them (codes are joined by a dot into labels such
    as property.elevator, and a label travels in a button's data, 64 bytes with ':' between its parts)."""
    code = _require(table, "code", where)
    if not _CODE.fullmatch(code):
        raise TaxonomyError(
            f"{where}: code {code!r} must be 1–{MAX_CODE} ASCII letters, digits, _ or - (no dot, space or colon: "
            "a label joins two codes by a dot, and travels in a button)"
        )
    return code


def _tables(value: object, where: str) -> list[dict]:
    """A TOML array of tables ([[category]], [[category.item]], [[urgent]]); missing: none."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(table, dict) for table in value):
        raise TaxonomyError(f"{where}: expected an array of tables ([[…]] entries)")
    return value


def _table(value: object, where: str) -> dict:
    """A TOML table ([classes.…], [kinds]); missing: empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: expected a table ([…] section)")
    return value


def parse_taxonomy(data: dict, source: Path, *, require_lexicon: bool = True) -> Taxonomy:
    """Build and validate a Taxonomy from parsed TOML."""
    classes: dict[str, TimeClass] = {}
    for code, table in _table(data.get("classes"), f"{source}: classes").items():
        where = f"{source}: [classes.{code}]"
        table = _table(table, where)
        try:
            respond, resolve = int(table["respond_minutes"]), int(table["resolve_minutes"])
        except (KeyError, TypeError, ValueError):
            raise TaxonomyError(f"{where}: respond_minutes and resolve_minutes must be integers") from None
        if not 0 < respond <= resolve:
            raise TaxonomyError(f"{where}: need 0 < respond_minutes <= resolve_minutes")
        classes[code] = TimeClass(
            code, table.get("name", code), timedelta(minutes=respond), timedelta(minutes=resolve)
        )
    if not classes:
        raise TaxonomyError(f"{source}: no [classes] defined")

    categories: dict[str, str] = {}
    items: dict[str, Item] = {}
    for c_index, cat in enumerate(_tables(data.get("category"), f"{source}: category"), start=1):
        where = f"{source}: category #{c_index}"
        cat_code = _code(cat, where)
        where = f"{source}: category {cat_code!r}"
        if cat_code in categories:
            raise TaxonomyError(f"{where}: duplicate category code")
        categories[cat_code] = _require(cat, "name", where)
        for i_index, raw in enumerate(_tables(cat.get("item"), f"{where} item"), start=1):
            code = _code(raw, f"{where}, item #{i_index}")
            label = f"{cat_code}.{code}"
            iwhere = f"{source}: item {label!r}"
            if label in items:
                raise TaxonomyError(f"{iwhere}: duplicate item code")
            time_class = _require(raw, "class", iwhere)
            if time_class not in classes:
                raise TaxonomyError(f"{iwhere}: unknown class {time_class!r} (known: {', '.join(classes)})")
            keywords = _words(raw.get("keywords", []), f"{iwhere} keywords")
            hints = _words(raw.get("hints", []), f"{iwhere} hints")
            if require_lexicon and not keywords:
                raise TaxonomyError(f"{iwhere}: empty lexicon (keywords)")
            items[label] = Item(
                category=cat_code,
                code=code,
                name=_require(raw, "name", iwhere),
                category_name=categories[cat_code],
                scope=raw.get("scope", ""),
                skills=_words(raw.get("skills", []), f"{iwhere} skills") or (),
                time_class=time_class,
                keywords=keywords,
                hints=hints,
            )
        if not any(label.startswith(cat_code + ".") for label in items):
            raise TaxonomyError(f"{where}: has no items")
    if not items:
        raise TaxonomyError(f"{source}: no categories/items defined")

    urgent: list[UrgentSignal] = []
    for u_index, raw in enumerate(_tables(data.get("urgent"), f"{source}: urgent"), start=1):
        uwhere = f"{source}: urgent #{u_index}"
        code = _code(raw, uwhere)
        uwhere = f"{source}: urgent {code!r}"
        if any(signal.code == code for signal in urgent):
            raise TaxonomyError(f"{uwhere}: duplicate urgent code")
        label = raw.get("label") or None
        default_label = raw.get("default_label") or None
        for target in (label, default_label):
            if target and target not in items:
                raise TaxonomyError(f"{uwhere}: unknown item {target!r}")
        patterns = _patterns(raw.get("patterns", []), f"{uwhere} patterns")
        if require_lexicon and not patterns:
            raise TaxonomyError(f"{uwhere}: empty patterns")
        urgent.append(
            UrgentSignal(code, _require(raw, "hotline", uwhere), label, default_label, tuple(patterns))
        )

    kinds_raw = _table(data.get("kinds"), f"{source}: kinds")
    unknown = set(kinds_raw) - set(NON_REQUEST_KINDS)
    if unknown:
        raise TaxonomyError(f"{source}: [kinds] unknown kind(s) {sorted(unknown)}")
    kinds = {k: _patterns(kinds_raw.get(k, []), f"{source}: [kinds] {k}") for k in NON_REQUEST_KINDS}
    examples = _companion_file(source, data, "examples")
    self_harm_examples = _companion_file(source, data, "self_harm_examples")
    kind_examples = _companion_file(source, data, "kind_examples")
    danger_examples = _companion_file(source, data, "danger_examples")
    letter_examples = _companion_file(source, data, "letter_examples")
    return Taxonomy(
        source, classes, categories, items, tuple(urgent), kinds, examples, self_harm_examples, kind_examples,
        danger_examples, letter_examples,
    )


def _companion_file(source: Path, data: dict, key: str) -> Path | None:
    """The file that `key` names next to the taxonomy file; None when the key is missing or empty."""
    name = data.get(key) or ""
    if not name:
        return None
    path = source.parent / name
    if not path.is_file():
        raise TaxonomyError(f"{source}: {key} file {name!r} not found next to it")
    return path


_QUOTED = re.compile(r"'([^']+)'")
_HEADER = re.compile(r"(\[[\w.]+\])")
_TABLE_LINE = re.compile(r"^\s*\[\[?\s*([\w.]+)\s*\]\]?\s*(#.*)?$")
_CODE_LINE = re.compile(r"""^\s*code\s*=\s*["']([^"']*)["']""")


def _entries(lines: list[str]) -> list[tuple[str, str, int]]:
    """Each table of the file with a code: (its table name: category, category.item or urgent; its code; the line
    of its `code = "…"`), in file order."""
    entries, table = [], ""
    for number, line in enumerate(lines):
        if header := _TABLE_LINE.match(line):
            table = header[1]
        elif code := _CODE_LINE.match(line):
            entries.append((table, code[1], number))
    return entries


def with_line(message: str, source: Path) -> str:
    """`message` ("FILE: entry 'code': problem") with the entry's line in the file added: the line of its
    `code = "…"` among the tables of its kind (an item's within its category's; for a duplicate, the later one)
    or of its `[table]` header. Unchanged when it cannot be found."""
    prefix = f"{source}: "
    if not message.startswith(prefix):
        return message
    entry = message[len(prefix):].split(":", 1)[0]
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError:
        return message
    quoted, header = _QUOTED.search(entry), _HEADER.search(entry)
    found: int | None = None
    numbered = re.search(r"item #(\d+)", entry)
    if quoted:
        pick = -1 if "duplicate" in message else 0
        entries = _entries(lines)
        if entry.startswith("category ") and numbered:  # (an item known by its place in its category)
            starts = [n for table, code, n in entries if table == "category" and code == quoted[1]]
            after = [(table, n) for table, _, n in entries if starts and n > starts[0]]
            end = next((n for table, n in after if table == "category"), len(lines))
            items = [n for table, n in after if table == "category.item" and n < end]
            found = items[int(numbered[1]) - 1] if len(items) >= int(numbered[1]) else None
        elif entry.startswith("item ") and "." in quoted[1]:
            category, item = quoted[1].split(".", 1)
            starts = [n for table, code, n in entries if table == "category" and code == category]
            if starts:
                after = [(table, code, n) for table, code, n in entries if n > starts[0]]
                end = next((n for table, _, n in after if table == "category"), len(lines))
                found = ([n for table, code, n in after if table == "category.item" and code == item and n < end]
                         or [None])[pick]
        else:  # (an urgent entry among the urgent ones, a category among the categories, anything else anywhere)
            table_of = {"urgent": "urgent", "category": "category"}.get(entry.split(" ", 1)[0])
            found = ([n for table, code, n in entries if table_of in (None, table) and code == quoted[1]]
                     or [None])[pick]
    elif header:
        found = next((n for n, line in enumerate(lines) if line.strip() == header[1]), None)
    if found is None:
        return message
    return f"{source}, line {found + 1}: {message[len(prefix):]}"


def load_taxonomy_file(path: str | Path, *, require_lexicon: bool = True) -> Taxonomy:
    """Read and validate a taxonomy TOML file; an error names the file and the line."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_bytes().decode("utf-8-sig"))  # (Notepad's 「UTF-8 with BOM」 too)
    except FileNotFoundError:
        raise TaxonomyError(f"{source}: file not found") from None
    except OSError as exc:  # (a directory, a file the bot may not read)
        raise TaxonomyError(f"{source}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TaxonomyError(f"{source}: {NOT_UTF8}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{source}: {exc}") from None
    try:
        return parse_taxonomy(data, source, require_lexicon=require_lexicon)
    except TaxonomyError as exc:
        raise TaxonomyError(with_line(str(exc), source)) from None


@cache
def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy at `path` (default: the shipped file), loaded once per path."""
    return load_taxonomy_file(path or DEFAULT_TAXONOMY_FILE)
