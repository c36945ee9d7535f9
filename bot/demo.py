"""Who the person at the offline console can act as: the routing demo people, with their roles."""

from __future__ import annotations

from routing import demo


def people() -> dict[int, tuple[str, str]]:
    """{telegram id: (name, role)} — residents first (the console starts as the first)."""
    cast = {tid: (name, "居民") for tid, name in demo.RESIDENTS}
    cast.update({tid: (name, "党员") for tid, name, _, _ in demo.MEMBERS})
    cast[demo.COORDINATOR[0]] = (demo.COORDINATOR[1], "协调员")
    return cast
