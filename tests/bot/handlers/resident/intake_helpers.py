"""What the tests of a resident's request share: the words she tells, her address, and the first steps."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.chat_harness import BotChat

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

RESIDENT = 1  # placed in a grid by the `chat` fixture
NEED = "楼道灯坏了好几天了，晚上很黑"
LAMP = "楼道灯坏了好几天了"  # the same need, told shorter
LIGHTING = "property.public_lighting"  # its item
ADDRESS = "幸福里小区 3 号楼 2 单元 502"
HOME = "幸福里小区3号楼2单元502"  # the same address, typed without spaces
PHONE = "13912345678"
PHOTO = [{"file_id": "p-s", "file_unique_id": "ps", "width": 90, "height": 90},
         {"file_id": "p-l", "file_unique_id": "pl", "width": 1280, "height": 960}]  # two sizes, as Telegram sends


def album_photo(n: int) -> list[dict[str, Any]]:
    """A photo message's `photo` field (one size), its file id photo-`n`."""
    return [{"file_id": f"photo-{n}", "file_unique_id": f"u{n}", "width": 1280, "height": 960}]


def photos_to(chat: BotChat, person: int, since: int = 0) -> list[str]:
    """The photos the bot sent `person` since event number `since`."""
    return [e.text for e in chat.events[since:]
            if e.chat_id == person and e.kind == "message" and e.message is not None and "photo" in e.message.payload]


async def to_phone_step(chat: BotChat, need: str = NEED, address: str = ADDRESS) -> None:
    """RESIDENT tells `need`, confirms it and gives `address`: the bot now asks for a phone."""
    await chat.intake_to_address(RESIDENT, need)
    await chat.say(RESIDENT, address)
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "phone"
