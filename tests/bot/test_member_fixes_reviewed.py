"""Review mc3: holes in today's member-side fixes (0e4c13a). Each test fails on the current code; its docstring says how.
Found by a review of the thirty-fifth session's own member and coordinator fixes (each test failed before)."""

from __future__ import annotations

import pytest

from routing.models import Ticket
from tests.bot.chat_harness import BotChat, card_with, photo, texts_of
from tests.conftest import World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"


async def _member_with_work(chat: BotChat, world: World) -> tuple[int, int]:
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    await chat.take_and_start(member)
    chat.home(member)
    return member, ticket_id


@pytest.mark.parametrize("words", ["家里灯修好了吗", "我报的水管修好了没有"])
async def test_a_member_asking_about_their_own_report_is_not_told_to_press_done(
    chat: BotChat, world: World, words: str
) -> None:
    """王师傅 is a member holding one ticket in progress, and also a resident of the grid. He asks the bot, as any resident
    would, about his own report: 「家里灯修好了吗」. A resident gets the status answer (the status query: 您还没有工单 / the
    ticket's progress). Instead he is told 「办好了的话，请在那张工单的消息下面点「办结」…」: the bot takes his question
    for a claim that his work is done (member._WORK_DONE searches 修好了 anywhere, with 吗 after it).
    (bot/handlers/member.py about_their_work: _WORK_DONE.search of a question.)"""
    member, _ = await _member_with_work(chat, world)
    told = texts_of(await chat.say(member, words))
    assert "点「办结」" not in told, told


async def test_a_member_sending_a_photo_of_their_own_need_with_words_is_not_told_to_press_done(
    chat: BotChat, world: World
) -> None:
    """王师傅, a member with a ticket in hand, lives in the grid. His own kitchen pipe bursts: he sends a photo of it with
    the caption 「我家水管坏了」, as a resident does. He should be answered as a resident (the need understood and
    confirmed, the photo kept with it). Instead he reads 「办好了的话，请在那张工单的消息下面点「办结」，再发照片…」 and his
    need is not taken: any photo from a member holding a ticket is taken for a photo of the work unless the classifier
    is *confident* it is a need (我家水管坏了 is a request of repair.plumbing, but not confident).
    (bot/handlers/member.py about_their_work: `held and photos`; router._a_need as is_request.)"""
    member, _ = await _member_with_work(chat, world)
    told = texts_of(await chat.say(member, None, photo=photo("burst-pipe"), caption="我家水管坏了"))
    assert "点「办结」" not in told, told


@pytest.mark.parametrize("note", ["灯已换好，明天再来回访一下", "已修好，下午再去楼上看看另一盏", "换好了，居民说还没完全亮的话再联系我",
                                  "搞错了单元，后来找到了，灯已换好"])
async def test_a_real_done_note_mentioning_a_later_visit_resolves_the_ticket(
    chat: BotChat, world: World, note: str
) -> None:
    """The member fixed the light, pressed 「办结」 and types his note 「灯已换好，明天再来回访一下」 (or 「已修好，下午再去楼上
    看看另一盏」, 「换好了，居民说还没完全亮的话再联系我」, 「搞错了单元，后来找到了，灯已换好」). The ticket should be resolved
    with that note. Instead the bot answers 「好的，还没办结，工单仍由您办理。」: member._NOT_DONE searches 明天再来 / 下午再去 /
    还没…好|完 anywhere in the note, and _STEP_TAKEN_BACK takes a note beginning with 搞错了 / 算了 / 取消 for 「I pressed
    办结 by mistake」, whatever follows; a note of finished work is taken for 「not done」, the ticket stays in progress,
    the time limit runs to a red card.
    (bot/handlers/member.py task_text_given: _NOT_DONE.search(words) and _STEP_TAKEN_BACK.search(words) at done_note.)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.at_task_step(member, "done", RESIDENT, NEED)
    told = texts_of(await chat.say(member, note))
    assert chat.ticket(ticket_id).status == "resolved", (told, chat.ticket(ticket_id).status)


@pytest.mark.parametrize("reason", ["算了，这个活我干不了，需要专业电工证", "取消预约了，居民说不在家，联系不上"])
async def test_a_hand_back_reason_starting_with_suanle_hands_the_ticket_back(
    chat: BotChat, world: World, reason: str
) -> None:
    """The member presses 「退回」 on purpose and, asked 「请说明退回的原因…」, types 「算了，这个活我干不了，需要专业电工证」
    (or 「取消预约了，居民说不在家，联系不上」). The ticket should be handed back with that reason. Instead the bot answers
    「好的，不退回了，工单仍由您办理。」 and he keeps a ticket he cannot do: _STEP_TAKEN_BACK takes any reason that begins
    with 算了 / 取消 for 「I take the 退回 back」, whatever follows.
    (bot/handlers/member.py task_text_given: _STEP_TAKEN_BACK.search at hand_back_reason.)"""
    member = world.member("王师傅", ["电工"])
    ticket_id = await chat.submit(RESIDENT, NEED)
    offer = card_with(chat.replies(member), "接单")
    await chat.press(member, offer.button("接单"), offer.message)
    details = card_with(chat.replies(member), "退回")
    await chat.press(member, details.button("退回"), details.message)
    told = texts_of(await chat.say(member, reason))
    assert chat.ticket(ticket_id).assignee_id is None, (told, chat.ticket(ticket_id).status)


async def test_an_emergency_typed_after_a_join_left_at_the_skills_step_is_not_answered_with_skills(
    chat: BotChat, world: World
) -> None:
    """Someone got an invite, sent /join CODE and his name, then put the phone away at the skills buttons. An hour later
    his kitchen smells of gas and he types 「厨房煤气泄漏了，味道很大」. He should get the emergency answer (urgent words are
    never held back). Instead he reads 「请点上面的按钮选择您擅长的技能（可多选），选好后点「完成」。」 and nothing is opened:
    for 12 hours every word he types is taken for the skills step.
    (bot/handlers/router.py _target: JOIN_WORDS for any text while a JOIN draft has a name; no urgent or need check.)"""
    from datetime import UTC, datetime

    from routing import db, members
    from tests.conftest import COORD

    with db.transaction(chat.engine) as s:
        code = members.create_invite(s, COORD, datetime.now(UTC)).code
    volunteer = 5000
    chat.home(volunteer)
    await chat.say(volunteer, f"/join {code}")
    await chat.say(volunteer, "王建国")
    told = texts_of(await chat.say(volunteer, "厨房煤气泄漏了，味道很大"))
    assert "选择您擅长的技能" not in told, told
    assert chat.count(Ticket) == 1 or "119" in told or "燃气" in told, told


async def test_words_at_the_home_grid_step_of_join_are_not_told_to_choose_skills(chat: BotChat, world: World) -> None:
    """A new volunteer chose his skills and pressed 「完成」; the bot asks for his home grid with buttons. He types
    「幸福里社区」. He is told 「请点上面的按钮选择您擅长的技能（可多选），选好后点「完成」。」 — the skills are chosen and
    「完成」 was pressed; the buttons waiting are the grid's.
    (bot/handlers/router.py _target: JOIN_WORDS for any JOIN draft with a name; member.words_at_skills's one text.)"""
    from datetime import UTC, datetime

    from routing import db, members
    from tests.conftest import COORD

    with db.transaction(chat.engine) as s:
        code = members.create_invite(s, COORD, datetime.now(UTC)).code
    volunteer = 5000
    await chat.say(volunteer, f"/join {code}")
    asked = await chat.say(volunteer, "王建国")
    skills = card_with(asked, "完成")
    first = skills.message.inline_keyboard[0][0]["callback_data"]
    await chat.press(volunteer, first, skills.message)
    await chat.press(volunteer, skills.button("完成"), chat.last_message(volunteer))
    told = texts_of(await chat.say(volunteer, "幸福里社区"))
    assert "选择您擅长的技能" not in told, told


@pytest.mark.parametrize("phone", ["0571.8888.6666", "010.8765.4321", "138 - 1234 - 5678"])
async def test_offers_hide_a_landline_grouped_with_dots_or_a_mobile_with_spaced_hyphens(
    chat: BotChat, world: World, phone: str
) -> None:
    """A resident writes 「…有事打我电话0571.8888.6666」 (a landline as printed on a business card, grouped 4-4 with dots)
    or 「138 - 1234 - 5678」. The offer that goes to every member of the wave shows the number in full, while
    0571-8888-6666, 0571 8888 6666 and 138.1234.5678 are hidden: today's fix (_GROUPED_PHONE) takes dots only for a
    mobile grouped 3-4-4 and a landline whose number after the area code is one run of 7-8 digits; _LONG_NUMBER takes
    only [-\\s] one at a time. Offers must never show the resident's phone (product.md: only the member who accepted).
    (bot/numbers.py _GROUPED_PHONE / _phone_spans.)"""
    member = world.member("王师傅", ["电工"])
    await chat.submit(RESIDENT, f"楼道灯坏了好几天了，晚上很黑，有事打我电话{phone}")
    offer = card_with(chat.replies(member), "接单")
    assert phone[-4:] not in offer.text, offer.text
