"""Review simp: residents' words read in Simplified (de71fab): the phone step's skip words, the address kept.
Found by a review of the session's dialect and member-step fixes (each test failed before)."""

from __future__ import annotations

import pytest

from routing.models import Ticket
from tests.bot.chat_harness import BotChat, card_with, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


@pytest.mark.parametrize("words", ["冇事了", "莫得事了", "冇事喇，唔该"])
async def test_its_fine_now_at_the_phone_step_opens_no_ticket(chat: BotChat, words: str) -> None:
    """A resident confirmed 「楼道灯坏了」 and gave the address; asked for a phone, she sees the light works again and types
    「冇事了」 (Cantonese for 没事了 "it's fine now"; Sichuanese 「莫得事了」). As with 「没事了」 (the phone asked again, no ticket),
    no ticket should be opened without her. Instead the ticket is opened and offered to
    members: since de71fab 冇 and 莫得 are SKIP_WORDS matched with startswith, so 冇事了 / 莫得事了 are taken for 「no
    phone」; and 莫得事了, added to _GIVE_UP_WORDS, is not in _WITHDRAWN, so gives_up is False at the phone step.
    (bot/handlers/resident.py phone_typed: `plain.lstrip(...).startswith(SKIP_WORDS)`; gives_up / _WITHDRAWN.)"""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    assert chat.intake_draft(RESIDENT)["step"] == "phone"
    told = texts_of(await chat.say(RESIDENT, words))
    assert chat.count(Ticket) == 0, told


@pytest.mark.parametrize(("place", "typed"), [("乾县", "地址是乾县城关镇幸福里小区3号楼2单元502"),
                                              ("乾安县", "对的，地址是乾安县幸福里小区3号楼2单元502")])
async def test_an_address_typed_under_the_card_is_kept_as_typed(chat: BotChat, place: str, typed: str) -> None:
    """A resident of 乾县 (a county of Shaanxi; 乾安县 in Jilin — both written 乾 in Simplified) types her address under
    「…对吗？」: 「地址是乾县城关镇幸福里小区3号楼2单元502」. The address should be kept as she typed it (typed at the
    address step it is). Instead the bot answers 「地址已记下：干县城关镇…」 and the ticket — offered to members, shown
    to coordinators — says 干县 / 干安县, a place that does not exist: since de71fab address_only returns the address
    converted by OpenCC t2s (乾→干, 於→于…), which changes Simplified place names too.
    (bot/handlers/resident.py address_only: `text = simplified(text)`, the address cut from the converted text.)"""
    card = card_with(await chat.say(RESIDENT, NEED), "确认")
    told = texts_of(await chat.say(RESIDENT, typed))
    draft = chat.intake_draft(RESIDENT)
    if draft and draft.get("step") == "confirm":
        await chat.press(RESIDENT, card.button("确认"), card.message)
        draft = chat.intake_draft(RESIDENT)
    assert draft and place in (draft.get("address") or ""), (told, draft)
