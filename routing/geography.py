"""The geography tree (street → community → grid): loaded from TOML, validated, synced to the DB."""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL
from sqlmodel import Session, select

from classifier.taxonomy import NOT_UTF8, with_line
from routing.errors import InvalidInput, NotFound
from routing.models import GeoLevel, GeoNode

DEFAULT_GEOGRAPHY_FILE = Path(__file__).with_name("geography.toml")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_LEVELS = (GeoLevel.street, GeoLevel.community, GeoLevel.grid)
_CHILD_KEY = {GeoLevel.street: "community", GeoLevel.community: "grid"}
_NAME_LENGTH = 100  # (GeoNode.name's column; only PostgreSQL enforces it, SQLite would take any name)


class GeographyError(ValueError):
    """The geography file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Node:
    code: str
    name: str
    level: str
    parent: str | None
    street: str
    community: str | None
    position: int


@dataclass(slots=True)
class Geography:
    source: Path
    nodes: dict[str, Node] = field(default_factory=dict)  # in file order

    @property
    def grids(self) -> list[Node]:
        """All grids, in file order."""
        return [n for n in self.nodes.values() if n.level == GeoLevel.grid]

    @property
    def streets(self) -> list[Node]:
        """All streets, in file order."""
        return [n for n in self.nodes.values() if n.level == GeoLevel.street]

    def children(self, code: str) -> list[Node]:
        """The direct children of a node."""
        return [n for n in self.nodes.values() if n.parent == code]


def _node_from(raw: object, level: str, parent: Node | None, position: int, where: str,
               geo: Geography) -> Node:
    if not isinstance(raw, dict):
        raise GeographyError(f"{where}: expected a table")
    code, name = raw.get("code"), raw.get("name")
    if not isinstance(code, str) or not _CODE.match(code):
        raise GeographyError(f"{where}: missing or malformed code {code!r} (letters, digits, -)")
    where = f"{geo.source}: {level} {code!r}"
    if not isinstance(name, str) or not name.strip():
        raise GeographyError(f"{where}: missing or empty name")
    if len(name.strip()) > _NAME_LENGTH:
        raise GeographyError(f"{where}: name longer than {_NAME_LENGTH} characters ({len(name.strip())})")
    if code in geo.nodes:
        raise GeographyError(f"{where}: duplicate code")
    if parent is not None and not code.startswith(parent.code + "-"):
        raise GeographyError(f"{where}: code must start with its parent's code {parent.code + '-'!r}")
    unknown = set(raw) - {"code", "name", _CHILD_KEY.get(level, "")}
    if unknown:
        raise GeographyError(f"{where}: unknown key(s) {sorted(unknown)}")
    street = parent.street if parent else code
    community = code if level == GeoLevel.community else (parent.community if parent else None)
    node = Node(code, name.strip(), level, parent.code if parent else None, street, community,
                position)
    geo.nodes[code] = node
    return node


def parse_geography(data: dict, source: Path) -> Geography:
    """Build and validate a Geography from parsed TOML."""
    geo = Geography(source)
    streets = data.get("street")
    if not isinstance(streets, list) or not streets:
        raise GeographyError(f"{source}: no [[street]] defined")
    unknown = set(data) - {"street"}
    if unknown:
        raise GeographyError(f"{source}: unknown top-level key(s) {sorted(unknown)}")

    def walk(raws: object, level_index: int, parent: Node | None) -> None:
        level = _LEVELS[level_index]
        parent_where = f"{source}: {parent.level} {parent.code!r}" if parent else str(source)
        if not isinstance(raws, list) or not raws:
            raise GeographyError(f"{parent_where}: has no {level}")
        for index, raw in enumerate(raws, start=1):
            where = f"{parent_where}{', ' if parent else ': '}{level} #{index}"
            node = _node_from(raw, level, parent, len(geo.nodes), where, geo)
            if level in _CHILD_KEY:
                walk(raw.get(_CHILD_KEY[level]), level_index + 1, node)

    walk(streets, 0, None)
    return geo


def load_geography(path: str | Path | None = None) -> Geography:
    """Read and validate a geography TOML file (default: the shipped demo)."""
    source = Path(path) if path else DEFAULT_GEOGRAPHY_FILE
    try:
        data = tomllib.loads(source.read_bytes().decode("utf-8-sig"))  # (Notepad's 「UTF-8 with BOM」 too)
    except FileNotFoundError:
        raise GeographyError(f"{source}: file not found") from None
    except OSError as exc:  # (a directory, no permission)
        raise GeographyError(f"{source}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise GeographyError(f"{source}: {NOT_UTF8}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GeographyError(f"{source}: {exc}") from None
    try:
        return parse_geography(data, source)
    except GeographyError as exc:
        raise GeographyError(with_line(str(exc), source)) from None


def sync_geography(session: Session, geo: Geography) -> int:
    """Upsert the tree into the DB (idempotent); nodes gone from the file become inactive.

    Returns how many rows were inserted or changed.
    """
    existing = {n.code: n for n in session.exec(select(GeoNode))}
    changed = 0
    # Parents first, so that foreign keys hold on every flush.
    for node in geo.nodes.values():
        row = existing.get(node.code)
        values = dict(name=node.name, level=str(node.level), parent_code=node.parent,
                      street_code=node.street, community_code=node.community,
                      position=node.position, active=True)
        if row is None:
            session.add(GeoNode(code=node.code, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
        session.flush()
    for code, row in existing.items():
        if code not in geo.nodes and row.active:
            row.active = False
            changed += 1
    session.flush()
    # (A resident whose grid left the file keeps it on their row, read as no area: members.home_grid.)
    clear_node_cache()
    return changed


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """A read-only copy of a GeoNode row (what lookups return; safe to cache)."""

    code: str
    name: str
    level: str
    parent_code: str | None
    street_code: str
    community_code: str | None
    active: bool


NODE_CACHE_SECONDS = 60.0  # renames come from a file edit and restart; a minute is plenty
_node_cache: dict[tuple[str, str], tuple[float, NodeInfo]] = {}


def clear_node_cache() -> None:
    """Forget cached nodes (after a sync)."""
    _node_cache.clear()


_database_keys: dict[int, tuple[URL, str]] = {}  # id(engine URL) → (the URL, str(URL))


def _database_key(session: Session) -> str:
    """The session's database as a string; str(URL) costs ~15 µs, too much twice per payload."""
    url = session.get_bind().url
    hit = _database_keys.get(id(url))
    if hit is None or hit[0] is not url:
        hit = _database_keys[id(url)] = (url, str(url))
    return hit[1]


def get_node(session: Session, code: str) -> NodeInfo:
    """A node by code (cached per database for a minute), or NotFound."""
    key = (_database_key(session), code)
    hit = _node_cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    node = session.get(GeoNode, code)
    if node is None:
        raise NotFound(f"未知的区域编码 {code!r}")
    info = NodeInfo(node.code, node.name, node.level, node.parent_code, node.street_code,
                    node.community_code, node.active)
    _node_cache[key] = (time.monotonic() + NODE_CACHE_SECONDS, info)
    return info


def get_grid(session: Session, code: str) -> NodeInfo:
    """An active grid by code, or a clear error."""
    node = get_node(session, code)
    if node.level != GeoLevel.grid:
        raise InvalidInput(f"{node.name}（{code}）不是网格")
    if not node.active:
        raise InvalidInput(f"网格 {node.name}（{code}）已停用")
    return node


def ancestry(node: NodeInfo | GeoNode) -> list[str]:
    """The node's code and those above it, nearest first (grid, community, street)."""
    codes = [node.code]
    if node.level == GeoLevel.grid and node.community_code:
        codes.append(node.community_code)
    if node.level != GeoLevel.street:
        codes.append(node.street_code)
    return codes


def list_grids(session: Session, within: str | None = None) -> list[GeoNode]:
    """Active grids (optionally under a scope node), in file order, for the 'choose a grid' step."""
    query = select(GeoNode).where(GeoNode.level == GeoLevel.grid, GeoNode.active)
    if within:
        query = query.where((GeoNode.code == within) | (GeoNode.community_code == within)
                            | (GeoNode.street_code == within))
    return list(session.exec(query.order_by(GeoNode.position)))


def area_choices(session: Session, parent: str | None = None) -> list[tuple[str, str]]:
    """What someone choosing their grid picks from under `parent` (None: the top), as (code, name): its children,
    or where a level has a single node, the level below it — a street, then a community, then a grid, a screen of
    buttons each (Telegram shows at most 100)."""
    nodes = list_nodes(session)
    children = [n for n in nodes if n.parent_code == parent]
    while len(children) == 1 and children[0].level != GeoLevel.grid:
        children = [n for n in nodes if n.parent_code == children[0].code]
    return [(n.code, n.name) for n in children]


# The words a node's name ends with that residents leave out (和平路社区 is 和平路 to them: 我住和平路小区5号楼).
_LEVEL_WORDS = re.compile("(街道|社区|网格|居委会|村委会|居民委员会)$")
# A name told as where someone lives: after 住 / 家在, or followed by 小区 / 社区 / 网格…, or alone in its clause — not
# a place where something is (和平路上的路灯坏了 names no home).
_HOME_BEFORE = "(?:住在?|家在|家住)"
_HOME_AFTER = "(?=小区|社区|网格|街道|村|居委|$|[\\s，,。；;！!])"


def areas_named(session: Session, text: str) -> list[GeoNode]:
    """The communities or grids words name as someone's home (the name, or without its 社区 / 网格), the grids first:
    what a resident typed instead of pressing the area buttons. Empty when they name none."""
    nodes = [n for n in list_nodes(session) if n.level in (GeoLevel.grid, GeoLevel.community)]
    named = []
    for node in nodes:
        stem = re.escape(_LEVEL_WORDS.sub("", node.name))
        if len(stem) >= 2 and re.search(f"{_HOME_BEFORE}{stem}|{stem}{_HOME_AFTER}", text):
            named.append(node)
    return sorted(named, key=lambda n: n.level != GeoLevel.grid)


_NUMERALS = "零一二三四五六七八九十"


def _short_grid(short: str) -> re.Pattern[str]:
    """How a grid is typed the short way, its community known: 第一网格, 一网格, 1网格, 第1网格, or 第一 / 一 alone (for
    和平路第一网格: short 第一) — not 第一 inside other words (我第一次用这个)."""
    numbered = re.fullmatch("第?([一二三四五六七八九十]|[0-9]+)", short)
    if numbered:
        n = numbered.group(1)
        said = f"第?(?:{n}|{_NUMERALS.index(n)})" if n in _NUMERALS else f"第?(?:{n})"
    else:
        said = re.escape(short)
    return re.compile(f"{said}(?:网格|格)|^\\s*{said}个?\\s*[。.!！]*$")


def grids_named_within(session: Session, community_code: str, text: str) -> list[GeoNode]:
    """The grids of a community that words name the short way, without the community's name (第一网格, 二网格, 第一
    alone for 和平路第一网格): what a resident types at the grid buttons once the community is known."""
    community = get_node(session, community_code)
    stem = _LEVEL_WORDS.sub("", community.name)
    grids = [n for n in list_nodes(session) if n.parent_code == community.code and n.level == GeoLevel.grid]
    return [n for n in grids if (short := _LEVEL_WORDS.sub("", n.name).replace(stem, "", 1)) and
            _short_grid(short).search(text)]


def list_nodes(session: Session) -> list[GeoNode]:
    """Every active node, in file order."""
    return list(session.exec(select(GeoNode).where(GeoNode.active).order_by(GeoNode.position)))
