"""Review of the second round of today's fixes to the resident's conversation (8ab2807): holes they leave or open.
Each test fails on the current code for the reason its docstring tells.
Found by a review of the session's second intake fixes (each test failed on 8ab2807)."""

from __future__ import annotations

import pytest

from bot import texts
from tests.bot.chat_harness import BotChat, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1  # placed in a grid by the `chat` fixture
NEED = "楼道灯坏了好几天了"
HOME = "幸福里小区3号楼2单元502"


# ── 1. a phone read out, then numerals that are not part of it ────────────────────────────────────────
@pytest.mark.parametrize("words", ["一三八一二三四五六七八 二零一室", "一三八一二三四五六七八 五六点以后家里有人"])
async def test_a_phone_read_out_before_other_numerals_is_taken(chat: BotChat, words: str) -> None:
    """At the phone step an older resident reads out the mobile and goes on in the same breath: 「一三八一二三四五六七八
    二零一室」 (the room) or 「一三八一二三四五六七八 五六点以后家里有人」 (home after five or six). numbers._CN_MOBILE's
    lookahead (reworked in 8ab2807 for 一楼 / 一个人, but not for these) refuses eleven numerals followed by a space and two
    more numerals (二零, 五六) as a twelfth digit; _CN_PHONE then runs across
    the space to thirteen or fourteen numerals and no phone is found: the bot appends the whole line, phone included,
    to the ADDRESS (「已补充地址：幸福里小区3号楼2单元502 一三八一二三四五六七八 二零一室」) or to the need as a 补充, and asks
    for the phone again. Expected: the ticket is opened with phone 13812345678."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert [t[5] for t in chat.state()["tickets"]] == ["13812345678"], (shown, draft.get("address"), draft.get("text"))


# ── 2. a correction of the building of 3-2-502 ─────────────────────────────────────────────────────
async def test_correcting_the_building_of_a_short_form_address_under_the_card(chat: BotChat) -> None:
    """The resident tells 「楼道灯坏了，幸福里3-2-502」 (building-unit-room, as numbers.ADDRESS_SHORT reads it) and, under
    「对吗？」, notices the wrong building: 「不对，是5号楼」. numbers.corrected_address finds no 号楼 in 3-2-502 and adds the
    correction after it: the bot says 「已记下上门地址：幸福里3-2-502 5号楼」 and keeps two buildings for the member to
    choose from (the address step is then skipped). Expected: the wrong building 3-2-502 no longer in the address, the
    room 502 kept."""
    await chat.say(RESIDENT, "楼道灯坏了，幸福里3-2-502")
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == "幸福里3-2-502"
    shown = texts_of(await chat.say(RESIDENT, "不对，是5号楼"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "3-2-502" not in address and "5" in address and "502" in address, (shown, address)


# ── 3. a correction naming another estate keeps the old estate ──────────────────────────────────────
@pytest.mark.parametrize("where", ["card", "phone"])
async def test_correcting_the_estate_replaces_it(chat: BotChat, where: str) -> None:
    """The resident gave 「幸福里小区3号楼2单元502」 (with the need under the card, or at the address step) and then
    corrects the whole place: 「不对，是光明里5号楼1单元301」 (their mother's estate, 光明里 — 幸福里-style names ending in
    里 are common). numbers.corrected_address takes a correction as the whole address only when _ESTATE finds 小区/花园/
    苑/…/路街巷弄村 in it — not 里 — so it swaps building, unit and room into the OLD estate: 「幸福里小区5号楼1单元301」,
    and the bot confirms that address. The member goes to the wrong estate. Expected: 光明里5号楼1单元301, no 幸福里."""
    if where == "card":
        await chat.say(RESIDENT, f"楼道灯坏了，{HOME}")
    else:
        await chat.intake_to_address(RESIDENT, NEED)
        await chat.say(RESIDENT, HOME)
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == HOME
    shown = texts_of(await chat.say(RESIDENT, "不对，是光明里5号楼1单元301"))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "光明里" in address and "幸福里" not in address, (shown, address)


# ── 4. a room correction at the phone step dropped, ignored, or added beside the old room ─────────────────
@pytest.mark.parametrize(("home", "words"), [
    (HOME, "不对，是602"),
    (HOME, "不对，是602房间"),
    ("幸福里小区3号楼2单元，502", "不对，是602室"),
])
async def test_correcting_the_room_at_the_phone_step(chat: BotChat, home: str, words: str) -> None:
    """At the phone step (address 幸福里小区3号楼2单元502) the resident corrects the room the way it is said.
    「不对，是602」: numbers.corrected_address would take a bare 602 (_ROOM_TOLD: \\d{3,4}[室房号]?$), but
    resident.phone_typed only corrects when numbers.address_in finds an address in the words, and a bare 602 is none:
    the words are dropped and the phone asked again. 「不对，是602房间」: address_in finds 602房, but _ROOM_TOLD does not
    (房间 is no 房 at the end), nothing is replaced and the bot says 「好的，地址已改为：幸福里小区3号楼2单元502」 — the old
    room, confirmed as the correction. An address typed 「幸福里小区3号楼2单元，502」 (the room after a comma, a form
    numbers.address_in reads): 「不对，是602室」 finds no room after 单元 (the comma) and adds it: 「…2单元，502 602室」,
    two rooms. The member is sent to 502 (or must guess). Expected: the room corrected to 602, no 502."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, home)
    assert (chat.intake_draft(RESIDENT) or {}).get("address") == home
    shown = texts_of(await chat.say(RESIDENT, words))
    address = (chat.intake_draft(RESIDENT) or {}).get("address") or ""
    assert "602" in address and "502" not in address, (shown, address)


# ── 5. 使用上次的地址 at an urgent ticket's address step tells the emergency all over again ───────────────
async def test_last_address_pressed_at_an_urgent_step_does_not_repeat_the_advice(chat: BotChat) -> None:
    """A resident with an earlier ticket (at 幸福里小区 3 号楼 2 单元 502) reports 「厨房一股煤气味，很大」: the 119 advice,
    「🚨 已为您登记紧急工单 #…」 and the address asked, with 使用上次的地址. They press it. Since 8ab2807
    resident._intake_action takes any urgent draft with a ticket for a press repeated (`opened = state`), so this
    press answers the whole 119 advice again and 「🚨 已为您登记紧急工单 #…，社区协调员已收到提醒」 a second time — a
    frightened resident reads a second ticket opened — before the phone is asked. (Before 8ab2807 the press went
    straight to the phone.) Expected: the address taken and the phone asked, without the advice and 已为您登记 again."""
    await chat.submit(RESIDENT, NEED)
    first = await chat.say(RESIDENT, "厨房一股煤气味，很大")
    assert "119" in texts_of(first)
    card = next(r for r in first if r.message is not None and r.message.inline_keyboard)
    shown = texts_of(await chat.press(RESIDENT, card.button("上次"), card.message))
    assert texts.ASK_PHONE in shown, shown
    assert "119" not in shown and "已为您登记紧急工单" not in shown, shown


# ── 6. 「已经打了119」 answered with 「请立即拨打 119！」 ────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["已经打了119，阀门也关了", "煤气阀门关了，窗户也开了"])
async def test_what_was_done_already_is_not_answered_with_the_advice_again(chat: BotChat, words: str) -> None:
    """After 「厨房一股煤气味，很大」 the urgent ticket is opened and where is asked. The resident reports what they did:
    「已经打了119，阀门也关了」 / 「煤气阀门关了，窗户也开了」. Since 8ab2807 resident.address_given repeats the advice
    whenever the words read urgent (煤气, 119 do): 「⚠️ 如有燃气泄漏或火情，请立即拨打 119！…关闭燃气阀门、开窗通风…」 — told
    to call 119 and shut the valve right after saying they have. (Before 8ab2807 these were only added to the ticket:
    tests/bot/test_urgent_flow.py, 已经打了119.) Expected: added to the ticket, not the advice again."""
    await chat.say(RESIDENT, "厨房一股煤气味，很大")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "补充到您的紧急工单" in shown, shown
    assert "请立即拨打" not in shown, shown


# ── 7. 登记为诉求 under the reminder throws the waiting need away ─────────────────────────────────────
async def test_register_anyway_from_the_reminder_keeps_the_need_waiting(chat: BotChat) -> None:
    """The lamp card 「楼道灯坏了好几天了 … 对吗？」 waits. The resident types 「我儿子明天过来」; since 8ab2807 the bot answers
    「您刚才说的事还没有提交：请点上面的「确认」…」 with a 「📝 这是我的诉求，登记为诉求」 button (resident.new_request). They
    press it: register_anyway → _start_intake saves the new words as THE intake draft (one per resident), so the lamp
    need the reminder just said was still waiting is gone — its 确认 now says the button has expired, and nothing
    tells them. Expected: the lamp need is kept (in the draft, to follow or be confirmed)."""
    await chat.say(RESIDENT, NEED)
    reminded = await chat.say(RESIDENT, "我儿子明天过来")
    assert texts.NEED_NOT_SUBMITTED in texts_of(reminded)
    # (fixed by offering no 登记为诉求 while a card waits: the words that would replace the need are not taken)
    assert not any(r.message is not None and r.message.inline_keyboard for r in reminded), texts_of(reminded)
    draft = chat.intake_draft(RESIDENT) or {}
    assert NEED in draft.get("text", ""), draft


# ── 8. a piece of the need under the unsure card, read as giving it up ────────────────────────────────
@pytest.mark.parametrize("words", ["好了两天又坏了", "没事就一闪一闪的"])
async def test_a_piece_with_haole_or_meishi_goes_on_telling_the_need(chat: BotChat, words: str) -> None:
    """The resident types 「楼道灯」; the bot, unsure, offers items. They go on: 「好了两天又坏了」 (it worked two days, then
    broke again) / 「没事就一闪一闪的」 (it flickers for no reason). resident._a_piece refuses any piece in which
    _WITHDRAWN *searches* 好了 or 没事 (or _GIVE_UP finds 算了/不用了… anywhere), so these are not added: the bot only
    says 「您刚才说的事还没有提交：请在上面点一个最接近的事项…」 and the words are lost from the request (before 8ab2807 they
    were told on). Expected: the card shown anew with the words added to the need."""
    await chat.say(RESIDENT, "楼道灯")
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert words in draft.get("text", ""), (shown, draft.get("text"))


# ── 9. a place with 那个什么 said with 呢 is taken for a question ─────────────────────────────────────
async def test_a_place_with_a_filler_shenme_ending_in_ne_is_the_address(chat: BotChat) -> None:
    """Asked where to come, an older resident describes the place as they speak: 「就在菜市场那个什么超市后面呢」 (那个什么:
    "that what's-its-name"). The new _ASKS rule takes a question word anywhere before a final 呢/嘛 for a question,
    and 什么 here is a filler (the comment on _ASKS itself says 门口那个什么超市旁边 is no question): the bot answers
    「地址就是需要工作人员上门去的地方…」 and asks again, and again for the same words. Expected: saved as the address,
    the phone asked next."""
    await chat.intake_to_address(RESIDENT, NEED)
    words = "就在菜市场那个什么超市后面呢"
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    assert texts.ADDRESS_EXPLAINED not in shown, shown
    assert draft.get("step") == "phone" and "超市后面" in (draft.get("address") or ""), (shown, draft)


# ── 10. the reminder names 确认 / 修改 after 修改 was pressed ──────────────────────────────────────────
async def test_thanks_after_pressing_change_does_not_point_to_buttons_gone(chat: BotChat) -> None:
    """The resident tells 「楼道灯坏了好几天了」, sees 「…对吗？」 and presses 修改: the card becomes 「请选择事项的大类：」 with
    the categories (养老助残, 医疗健康, … 其他, 取消) — no 确认, no 修改 any more. They type 谢谢. resident.new_request
    answers and adds texts.NEED_NOT_SUBMITTED 「…请点上面的「确认」，不对请点「修改」。」 because the draft still holds the
    confident lamp reading (`sure`); the two buttons named are the ones just replaced. (8ab2807 fixed this very
    mismatch for the unsure card only.) Expected: the reminder names no button the card on screen lacks."""
    first = await chat.say(RESIDENT, NEED)
    card = next(r for r in first if r.message is not None and r.message.inline_keyboard)
    changed = await chat.press(RESIDENT, card.button("修改"), card.message)
    on_screen = [b["text"] for r in changed if r.message is not None for row in r.message.inline_keyboard for b in row]
    assert not any("确认" in b or "修改" in b for b in on_screen), on_screen
    shown = texts_of(await chat.say(RESIDENT, "谢谢"))
    assert "「确认」" not in shown and "「修改」" not in shown, (shown, on_screen)


# ── 11. giving up at the phone step: a 补充 of the need, or a crisis ───────────────────────────────────
@pytest.mark.parametrize("words", ["还是算了吧", "我看还是算了", "那就算了吧"])
async def test_giving_up_at_the_phone_step_is_neither_a_supplement_nor_a_crisis(chat: BotChat, words: str) -> None:
    """At the phone step (address given) the resident changes their mind in the words 8ab2807 taught the bot under
    「对吗？」 and at the address step: 「还是算了吧」 / 「我看还是算了」 / 「那就算了吧」. At the phone step resident.gives_up only
    takes words that _WITHDRAWN finds (不报, 取消…), and 算了 is none: 「还是算了吧」 and 「我看还是算了」 are added to the
    lamp need as a 补充 (「已把这句话补充到您的诉求里：「还是算了吧」」: the member would read it in the ticket), and
    「那就算了吧」 goes to the router's urgency check, which reads despair in it: 「💛 您的感受很重要…12356」, a crisis ticket,
    the coordinators alerted about a person in crisis. Expected: the request given up (or the phone skipped), the
    words in no need or ticket, no crisis."""
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, HOME)
    shown = texts_of(await chat.say(RESIDENT, words))
    draft = chat.intake_draft(RESIDENT) or {}
    tickets_now = chat.state()["tickets"]
    assert "12356" not in shown, (shown, tickets_now)
    assert words not in draft.get("text", "") and not any(words in t[3] for t in tickets_now), (shown, draft, tickets_now)


# ── 12. 「不对，是5号楼的电梯」 under the lamp card moves the lamp to building 5 ─────────────────────────────
async def test_a_correction_of_the_need_is_not_taken_for_an_address(chat: BotChat) -> None:
    """The resident tells 「楼道灯坏了，幸福里小区3号楼2单元502」; the card reads it as 照明楼道. It is not the lamp: they type
    「不对，是5号楼的电梯」 (no, it's building 5's lift). resident.address_only skips the no-word (_NO_FIRST), finds 5号楼的电梯
    an address (电梯 is none of _NEED_WORDS) and the router makes it a correction of the address: 「已记下上门地址：
    幸福里小区5号楼2单元502」 and the same lamp card again, 「照明楼道 … 对吗？」. The lift is never mentioned, the lamp need is
    moved to another building, and one 确认 sends it. Expected: 不对 is heard as the card being wrong (the lift read,
    or the categories offered), not the address changed under the lamp."""
    await chat.say(RESIDENT, f"楼道灯坏了，{HOME}")
    shown = texts_of(await chat.say(RESIDENT, "不对，是5号楼的电梯"))
    draft = chat.intake_draft(RESIDENT) or {}
    assert "电梯" in draft.get("text", "") or texts.CHOOSE_CATEGORY in shown, (shown, draft)
