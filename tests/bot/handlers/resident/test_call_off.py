"""A resident calls off a ticket (撤销工单): in words after registering it (算了不用来了 我儿子修好了) or from /my's buttons —
asked, then confirmed; the member who took it and the members it was offered to are told, nobody comes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import texts
from bot.handlers.call_off import calls_off, settles_emergency
from bot.handlers.common import now
from bot.handlers.privacy import FORGET
from routing import db
from routing.models import Notification
from routing.models import TicketStatus as S
from tests.bot.chat_harness import BotChat, Reply, buttons, card_with, texts_of
from tests.bot.handlers.resident.intake_helpers import RESIDENT
from tests.conftest import World

on_sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # (the words' tests need no database)

NEIGHBOUR = 2


@pytest.fixture
async def chat(chat: BotChat, world: World) -> AsyncIterator[BotChat]:
    """RESIDENT in 幸福里第一网格, with a plumber-electrician there to offer tickets to."""
    world.member("王师傅", ["水暖", "电工", "家电维修", "维修"])
    yield chat


@pytest.mark.parametrize("words", [
    "算了不用来了 我儿子修好了", "不用来了", "我要取消工单", "撤销报修", "灯我自己修好了，不用派人了", "不需要了，谢谢",
    "不用麻烦师傅了 邻居帮忙弄好了", "取消", "不要派人来了", "不需要派人来了", "我老公修好了", "我已经找人修好了", "我要撤单",
    "不修了", "怎么撤销工单",
])
def test_words_that_call_a_ticket_off(words: str) -> None:
    assert calls_off(words)


@pytest.mark.parametrize("words", [
    "别取消我的工单", "不用取消 还是要来", "不要撤销", "师傅已经修好了 谢谢", "修好了", "什么时候来", "楼道灯又坏了",
    # (the member fixed it: 我 of 帮我 is not who fixed it; denials, questions, complaints, another time)
    "王师傅已经帮我修好了，谢谢", "师傅帮我弄好了", "我没有取消啊", "我没说要取消", "不是要取消，是问问什么时候来",
    "谁让你们撤销的？", "我的工单取消了吗", "不用上门吗？电话里能说清楚吗", "今天下午不用来了 家里没人 明天来",
])
def test_words_that_do_not_call_a_ticket_off(words: str) -> None:
    assert not calls_off(words)


@on_sqlite
async def test_words_after_registering_call_the_ticket_off_once_confirmed(chat: BotChat, world: World) -> None:
    """「我家水龙头坏了」 registered and offered to 王师傅; 「算了不用来了 我儿子修好了」 asks 「确定要撤销工单 …吗？」 (not a
    new need with 登记为诉求); 确认撤销 cancels it and withdraws 王师傅's offer: nobody comes."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    member = world.members["王师傅"]
    assert any("新工单" in r.text for r in chat.replies(member))
    replies = await chat.say(RESIDENT, "算了不用来了 我儿子修好了")
    assert not any("登记为诉求" in b for r in replies for b in buttons(r)), texts_of(replies)
    card = card_with(replies, "确认撤销")
    assert "确定要撤销工单" in card.text and chat.ticket(ticket_id).status == S.offered
    mark = len(chat.replies(member))
    shown = texts_of(await chat.press(RESIDENT, card.button("确认撤销"), card.message))
    assert "已撤销工单" in shown, shown
    assert chat.ticket(ticket_id).status == S.cancelled
    assert chat.ticket(ticket_id).cancel_reason is None, "her words stay out of the ticket and its log"
    assert "取消" in texts_of(chat.replies(member)[mark:]), "the offer is withdrawn in 王师傅's chat"


@on_sqlite
async def test_the_member_who_took_it_is_told_with_the_residents_words(chat: BotChat, world: World) -> None:
    """王师傅 accepted and started; the resident writes 「不用来了，我自己修好了」 and confirms: he reads that the resident
    called it off, and why, and it is no longer among his tasks."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    member = world.members["王师傅"]
    await chat.take_and_start(member)
    card = card_with(await chat.say(RESIDENT, "不用来了，我自己修好了"), "确认撤销")
    assert "王师傅" in card.text, card.text
    mark = len(chat.replies(member))
    await chat.press(RESIDENT, card.button("确认撤销"), card.message)
    told = texts_of(chat.replies(member)[mark:])
    assert "居民已取消" in told and "我自己修好了" in told, told
    assert chat.ticket(ticket_id).status == S.cancelled and chat.ticket(ticket_id).assignee_id is not None
    assert f"#{chat.ticket(ticket_id).number}" not in texts_of(await chat.say(member, "/tasks"))


@on_sqlite
async def test_not_calling_it_off_keeps_the_ticket(chat: BotChat) -> None:
    """不撤销 under the question: the ticket goes on, and says so."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    card = card_with(await chat.say(RESIDENT, "不用来了"), "不撤销")
    shown = texts_of(await chat.press(RESIDENT, card.button("不撤销"), card.message))
    assert texts.CALL_OFF_KEPT in shown and chat.ticket(ticket_id).status == S.offered


@on_sqlite
async def test_my_lists_a_button_for_each_ticket_that_can_still_be_called_off(chat: BotChat, world: World) -> None:
    """/my: 「撤销 #… 水管疏通」 for the open ticket, none for the one already done; pressing asks first."""
    member = world.members["王师傅"]
    done = chat.resolved_ticket(member, "厨房灯不亮", "repair.electrical", now() - timedelta(hours=2))
    open_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    listing = card_with(await chat.say(RESIDENT, "/my"), "撤销")
    shown = buttons(listing)
    open_number = f"#{chat.ticket(open_id).number}"
    assert len(shown) == 1 and open_number in shown[0], shown
    assert f"#{chat.ticket(done).number}" not in " ".join(shown)
    asked = await chat.press(RESIDENT, listing.button("撤销"), listing.message)
    card = card_with(asked, "确认撤销")
    assert open_number in card.text
    await chat.press(RESIDENT, card.button("确认撤销"), card.message)
    assert chat.ticket(open_id).status == S.cancelled and chat.ticket(done).status == S.resolved


@on_sqlite
async def test_two_open_tickets_ask_which(chat: BotChat) -> None:
    """Two tickets open: 「不用来了」 lists both to choose from; the one chosen is asked about, the other untouched."""
    first = await chat.submit(RESIDENT, "我家水龙头坏了")
    second = await chat.submit(RESIDENT, "家里插座没电了")
    replies = await chat.say(RESIDENT, "不用来了")
    assert texts.CALL_OFF_WHICH in texts_of(replies)
    listing = card_with(replies, "撤销")
    assert len(buttons(listing)) == 2, buttons(listing)
    number = f"#{chat.ticket(first).number}"
    card = card_with(await chat.press(RESIDENT, listing.button(number), listing.message), "确认撤销")
    await chat.press(RESIDENT, card.button("确认撤销"), card.message)
    assert chat.ticket(first).status == S.cancelled and chat.ticket(second).status == S.offered


@on_sqlite
async def test_the_ticket_named_is_the_one_asked_about(chat: BotChat) -> None:
    """Two tickets open: 「取消 #… 那个」 naming the second (lower case, without #) asks about that one only."""
    await chat.submit(RESIDENT, "我家水龙头坏了")
    second = await chat.submit(RESIDENT, "家里插座没电了")
    number = chat.ticket(second).number
    card = card_with(await chat.say(RESIDENT, f"取消 {number.lower()} 那个"), "确认撤销")
    assert f"#{number}" in card.text and len(buttons(card)) == 2, card.text


@on_sqlite
async def test_too_late_to_call_off_once_done(chat: BotChat, world: World) -> None:
    """The question was asked; meanwhile the member marked it done: 确认撤销 says it is done, the ticket stays
    resolved (his 办结 counts)."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    member = world.members["王师傅"]
    details = await chat.take_and_start(member)
    card = card_with(await chat.say(RESIDENT, "不用来了"), "确认撤销")
    await chat.press(member, f"tk:done:{ticket_id}", details.message)
    await chat.say(member, "换了新龙头")
    assert chat.ticket(ticket_id).status == S.resolved, chat.state()
    shown = texts_of(await chat.press(RESIDENT, card.button("确认撤销"), card.message))
    assert "不能再撤销" in shown and chat.ticket(ticket_id).status == S.resolved, shown


@on_sqlite
async def test_nobody_else_can_call_a_ticket_off(chat: BotChat) -> None:
    """The button's data pressed by another person (a forged or forwarded press) changes nothing."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    chat.home(NEIGHBOUR)
    await chat.say(NEIGHBOUR, "/my")
    shown = texts_of(await chat.press(NEIGHBOUR, f"cx:{ticket_id}:ok"))
    assert texts.STALE_BUTTON in shown and chat.ticket(ticket_id).status == S.offered


@on_sqlite
async def test_without_an_open_ticket_the_words_are_answered_as_before(chat: BotChat) -> None:
    """「不用来了」 from someone with no ticket: no question about calling one off."""
    replies = await chat.say(RESIDENT, "不用来了")
    assert not any("撤销" in b for r in replies for b in buttons(r)), texts_of(replies)


def asks_to_call_off(replies: list[Reply]) -> bool:
    """Whether the bot asked about calling a ticket off (its question, or the list to choose from)."""
    return any("确认撤销" in b or b.startswith("撤销 #") for r in replies for b in buttons(r))


@on_sqlite
async def test_thanks_to_the_member_who_fixed_it_is_not_a_call_off(chat: BotChat, world: World) -> None:
    """王师傅 took and started the tap; before he presses 办结 she writes 「王师傅已经帮我修好了，谢谢」: thanks, not a
    call-off — one press would have cost him his 办结 and points."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    await chat.take_and_start(world.members["王师傅"])
    replies = await chat.say(RESIDENT, "王师傅已经帮我修好了，谢谢")
    assert not asks_to_call_off(replies), texts_of(replies)
    assert chat.ticket(ticket_id).status == S.in_progress


@on_sqlite
async def test_thanks_after_one_ticket_is_done_does_not_offer_to_call_off_the_other(chat: BotChat,
                                                                                  world: World) -> None:
    """楼道灯 still waiting, 水龙头 just done by 王师傅: 「谢谢师傅，修好了，不用再来了」 thanks him; it does not ask about
    the lamp. 取消 said in so many words still asks."""
    member = world.members["王师傅"]
    lamp = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    tap = await chat.submit(RESIDENT, "我家水龙头坏了")
    details = await chat.take_and_start(member)
    await chat.press(member, f"tk:done:{tap}", details.message)
    await chat.say(member, "换了新龙头")
    assert chat.ticket(tap).status == S.resolved and chat.ticket(lamp).status == S.offered
    replies = await chat.say(RESIDENT, "谢谢师傅，修好了，不用再来了")
    assert not asks_to_call_off(replies), texts_of(replies)
    asked = card_with(await chat.say(RESIDENT, "楼道灯那个取消吧"), "确认撤销")
    assert f"#{chat.ticket(lamp).number}" in asked.text


@on_sqlite
@pytest.mark.parametrize("words", ["我没有取消啊", "我的工单取消了吗", "今天下午不用来了 家里没人 明天来"])
async def test_a_question_a_denial_or_another_time_is_not_asked_to_be_called_off(chat: BotChat, words: str) -> None:
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    replies = await chat.say(RESIDENT, words)
    assert not asks_to_call_off(replies), texts_of(replies)
    assert chat.ticket(ticket_id).status == S.offered


@on_sqlite
async def test_not_sending_anyone_is_not_offered_as_a_new_need(chat: BotChat) -> None:
    """「不要派人来了」 after registering asks about calling it off, not 「登记为诉求」."""
    await chat.submit(RESIDENT, "我家水龙头坏了")
    replies = await chat.say(RESIDENT, "不要派人来了")
    assert not any("登记为诉求" in b for r in replies for b in buttons(r)), texts_of(replies)
    assert asks_to_call_off(replies), texts_of(replies)


@on_sqlite
async def test_naming_a_ticket_already_done_says_so(chat: BotChat, world: World) -> None:
    """厨房灯 was done two hours ago, 水龙头 waits: 「取消 #<厨房灯>」 says that one is done, and asks nothing of the other."""
    done = chat.resolved_ticket(world.members["王师傅"], "厨房灯不亮", "repair.electrical", now() - timedelta(hours=2))
    open_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    replies = await chat.say(RESIDENT, f"取消 #{chat.ticket(done).number}")
    assert "不能再撤销" in texts_of(replies) and f"#{chat.ticket(open_id).number}" not in texts_of(replies)
    assert not asks_to_call_off(replies), texts_of(replies)


@on_sqlite
@pytest.mark.parametrize(("words", "status"), [("是的", S.cancelled), ("确认撤销", S.cancelled),
                                               ("对，撤销吧", S.cancelled), ("不撤销", S.offered), ("算了", S.offered),
                                               ("不用了", S.offered), ("先不撤销了", S.offered), ("不是", S.offered)])
async def test_an_answer_typed_under_the_question(chat: BotChat, words: str, status: S) -> None:
    """Under 「确定要撤销工单 …吗？」 a typed 是的 / 确认撤销 calls it off, 不撤销 / 算了 keep it — not asked again."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    card_with(await chat.say(RESIDENT, "不用来了"), "确认撤销")
    replies = await chat.say(RESIDENT, words)
    assert chat.ticket(ticket_id).status == status, texts_of(replies)
    assert not asks_to_call_off(replies), texts_of(replies)
    assert ("已撤销工单" if status == S.cancelled else texts.CALL_OFF_KEPT) in texts_of(replies)


@on_sqlite
async def test_forget_erases_the_words_a_ticket_was_called_off_in(chat: BotChat, world: World) -> None:
    """「不用来了，我儿子张伟周末回来修好了」: asked, then /forget leaves no trace of them in her drafts; called off (王师傅
    had taken it: he read them), then /forget erases them from what he was sent; the ticket never kept them."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    await chat.take_and_start(world.members["王师傅"])
    card = card_with(await chat.say(RESIDENT, "不用来了，我儿子张伟周末回来修好了"), "确认撤销")
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, f"{FORGET}:no")
    await chat.press(RESIDENT, card.button("确认撤销"), card.message)
    await chat.deliver()
    assert "张伟" in texts_of(chat.replies(world.members["王师傅"]))
    assert chat.ticket(ticket_id).status == S.cancelled and "张伟" not in (chat.ticket(ticket_id).cancel_reason or "")
    await chat.say(RESIDENT, "/forget")
    await chat.press(RESIDENT, f"{FORGET}:yes")
    assert "张伟" not in str(chat.state()["drafts"])
    with db.transaction(chat.engine) as session:
        payloads = [str(n.payload) for n in session.exec(select(Notification).where(Notification.ticket_id == ticket_id))]
    assert not any("张伟" in p for p in payloads), [p for p in payloads if "张伟" in p]



@on_sqlite
async def test_calling_off_an_urgent_ticket_reminds_of_the_hotline(chat: BotChat) -> None:
    """A gas leak's ticket (opened at once, then its address and 跳过 the phone): 「阀门关好了 不用来了」 asks, and says
    that danger still calls 119."""
    await chat.say(RESIDENT, "厨房煤气味很大，好像漏气了")
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    await chat.say(RESIDENT, "跳过")
    replies = await chat.say(RESIDENT, "阀门关好了 不用来了")
    card = card_with(replies, "确认撤销")
    assert "119" in card.text, card.text


@on_sqlite
async def test_a_ticket_done_this_morning_does_not_stop_another_being_called_off(
        chat: BotChat, world: World) -> None:
    """厨房灯 done three hours ago; 水龙头 registered since. 「算了不用来了 我儿子修好了」 is about the tap: asked (thanks
    for work done only covers the tickets registered before it was done)."""
    chat.resolved_ticket(world.members["王师傅"], "厨房灯不亮", "repair.electrical", now() - timedelta(hours=3))
    tap = await chat.submit(RESIDENT, "我家水龙头坏了")
    replies = await chat.say(RESIDENT, "算了不用来了 我儿子修好了")
    assert asks_to_call_off(replies), texts_of(replies)
    assert f"#{chat.ticket(tap).number}" in card_with(replies, "确认撤销").text


@on_sqlite
async def test_yes_typed_under_the_question_from_my_calls_off_the_ticket_asked_about(
        chat: BotChat) -> None:
    """「取消 #<lamp>」 asks about the lamp; she does not answer, opens /my and presses 「撤销 #<tap>」: her 「是的」 calls
    off the tap, the question on her screen — not the lamp."""
    lamp = await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    tap = await chat.submit(RESIDENT, "我家水龙头坏了")
    await chat.say(RESIDENT, f"取消 #{chat.ticket(lamp).number}")
    mine = await chat.say(RESIDENT, "/my")
    label = f"撤销 #{chat.ticket(tap).number}"
    card = card_with(mine, label)
    asked = await chat.press(RESIDENT, card.button(label), card.message)
    assert f"确定要撤销工单 #{chat.ticket(tap).number}" in texts_of(asked).replace("<b>", "").replace("</b>", "")
    replies = await chat.say(RESIDENT, "是的")
    assert chat.ticket(lamp).status == S.offered, texts_of(replies)
    assert chat.ticket(tap).status == S.cancelled, texts_of(replies)


@on_sqlite
async def test_yes_typed_after_choosing_from_the_list_calls_it_off(chat: BotChat) -> None:
    """Two open tickets: 「不用来了」 lists them, she presses 「撤销 #<tap>」 and is asked 「确定要撤销…吗？」; her typed
    「是的」 calls it off."""
    await chat.submit(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
    tap = await chat.submit(RESIDENT, "我家水龙头坏了")
    listed = await chat.say(RESIDENT, "不用来了")
    label = f"撤销 #{chat.ticket(tap).number}"
    card = card_with(listed, label)
    await chat.press(RESIDENT, card.button(label), card.message)
    replies = await chat.say(RESIDENT, "是的")
    assert chat.ticket(tap).status == S.cancelled, texts_of(replies)


@pytest.mark.parametrize("words", [
    "没啥事了 不用来了", "我儿子修好了，不用跑这么远了", "不用来了，这么点小事我自己弄好了",  # (啥, 这么: no question)
    "不好意思我要取消工单", "没事了取消吧",  # (不 of 不好意思, 没 of 没事了: not negating 取消)
    "不用派人了，我儿子明天来修",  # (her son comes tomorrow: not the member put off)
])
def test_more_words_that_call_a_ticket_off(words: str) -> None:
    assert calls_off(words)


@on_sqlite
async def test_ok_to_the_accepted_message_after_the_question_does_not_call_off(chat: BotChat, world: World) -> None:
    """「不用来了」 asks 「确定要撤销…吗？」; she does not answer. 王师傅 takes the ticket and she reads 「…已接单…」; her
    「好的，谢谢」 acknowledges that, and it calls the ticket off — only the question's own answers answer it."""
    wang = world.members["王师傅"]
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    card_with(await chat.say(RESIDENT, "不用来了"), "确认撤销")
    mark = len(chat.events)
    await chat.take_and_start(wang)
    await chat.deliver()
    assert chat.replies(RESIDENT, mark), "she is told 王师傅 took it"
    replies = await chat.say(RESIDENT, "好的，谢谢")
    assert chat.ticket(ticket_id).status != "cancelled", texts_of(replies)


@on_sqlite
async def test_her_words_reach_the_member_when_she_adds_a_line_before_confirming(
        chat: BotChat, world: World) -> None:
    """「不用来了，我儿子周末回来修好了」 asks; she adds 「麻烦你们了」, then presses 确认撤销: 王师傅, who took it, reads
    居民已取消 with her words."""
    wang = world.members["王师傅"]
    await chat.submit(RESIDENT, "我家水龙头坏了")
    await chat.take_and_start(wang)
    card = card_with(await chat.say(RESIDENT, "不用来了，我儿子周末回来修好了"), "确认撤销")
    await chat.say(RESIDENT, "麻烦你们了")
    mark = len(chat.replies(wang))
    await chat.press(RESIDENT, card.button("确认撤销"), card.message)
    await chat.deliver()
    told = texts_of(chat.replies(wang)[mark:])
    assert "居民已取消" in told and "周末回来修好了" in told, told


@on_sqlite
@pytest.mark.parametrize("words", ["确定要撤销", "要撤销", "撤吧"])
async def test_the_question_echoed_answers_it(chat: BotChat, world: World, words: str) -> None:
    """「确定要撤销」 / 「要撤销」 typed under 「确定要撤销工单…吗？」 are a yes: not the same question again."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    card_with(await chat.say(RESIDENT, "不用来了"), "确认撤销")
    replies = await chat.say(RESIDENT, words)
    assert chat.ticket(ticket_id).status == "cancelled", texts_of(replies)


@on_sqlite
async def test_an_answer_written_before_the_question_was_asked_does_not_answer_it(
        chat: BotChat, world: World) -> None:
    """The bot was down: she wrote 「算了不用来了」 and, ten seconds later, 「好的」 (to something else: she never saw the
    question, it did not exist yet). Read after the restart, the first asks; the second, written before the question,
    does not answer it."""
    import time
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    written = int(time.time()) - 600
    await chat.say(RESIDENT, "算了不用来了", date=written)
    replies = await chat.say(RESIDENT, "好的", date=written + 10)
    assert chat.ticket(ticket_id).status != "cancelled", texts_of(replies)


@on_sqlite
async def test_yes_after_a_word_of_thanks_still_answers_the_question(chat: BotChat, world: World) -> None:
    """「算了不用来了」 → 「确定要撤销…吗？」; 「谢谢你们」 (answered 不客气, nothing asked) then 「是的」: the question is still
    the one on screen: 是的 answers it."""
    ticket_id = await chat.submit(RESIDENT, "我家水龙头坏了")
    card_with(await chat.say(RESIDENT, "算了不用来了"), "确认撤销")
    await chat.say(RESIDENT, "谢谢你们")
    replies = await chat.say(RESIDENT, "是的")
    assert chat.ticket(ticket_id).status == "cancelled", texts_of(replies)


@pytest.mark.parametrize("words", ["没事了 虚惊一场 是我闻错了", "老头子自己起来了 没事了", "煤气没事了 是隔壁在炖肉"])
def test_words_that_an_emergency_is_over(words: str) -> None:
    assert settles_emergency(words)


@pytest.mark.parametrize("words", ["会不会没事了？", "不是没事了 还是有味道", "没事了吗"])
def test_words_that_do_not_say_an_emergency_is_over(words: str) -> None:
    assert not settles_emergency(words)


@on_sqlite
async def test_an_emergency_told_over_asks_to_call_its_ticket_off(chat: BotChat) -> None:
    """「没事了 虚惊一场 是我闻错了」 after a gas ticket got 「不客气！」: the urgent ticket stayed open, its coordinators
    coming. It asks 「确定要撤销工单 …吗？」; confirmed, the ticket is cancelled with her words told."""
    await chat.say(RESIDENT, "家里有煤气味")
    ticket = chat.ticket(1)
    assert ticket.urgent
    shown = texts_of(await chat.say(RESIDENT, "没事了 虚惊一场 是我闻错了"))
    assert "确定要撤销工单" in shown and "不客气" not in shown, shown
    await chat.say(RESIDENT, "是的")
    assert chat.ticket(1).status == S.cancelled
    assert chat.intake_draft(RESIDENT) is None  # (its where was being asked: no longer, for a ticket called off)


@on_sqlite
async def test_all_clear_words_leave_an_ordinary_ticket_alone(chat: BotChat) -> None:
    """没事了 is no call-off of a need that was never an emergency (the lamp still wants fixing)."""
    await chat.submit(RESIDENT, "楼道灯坏了")
    shown = texts_of(await chat.say(RESIDENT, "没事了"))
    assert "确定要撤销工单" not in shown, shown


@on_sqlite
@pytest.mark.parametrize(("words", "asked"), [("不用来了", True), ("不用了", False)])
async def test_at_an_urgent_tickets_where_step_not_coming_is_asked_but_not_saying_where_is_not(
        chat: BotChat, words: str, asked: bool) -> None:
    """Asked where, 「不用来了」 does not want anyone to come (the call-off question), 「不用了」 declines to say where (the
    ticket goes on without it)."""
    await chat.say(RESIDENT, "家里有煤气味")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert ("确定要撤销工单" in shown) == asked, shown
    assert chat.ticket(1).status != S.cancelled


@pytest.mark.parametrize("words", ["看错了，是4号楼", "人醒过来了，你们快来看看", "陈医生来了，没事了，谢谢"])
def test_words_that_still_want_someone_do_not_settle_an_emergency(words: str) -> None:
    """An address corrected, a plea to come, the helper come: the second review found each asked 「确定要撤销…」."""
    assert not settles_emergency(words)


@on_sqlite
@pytest.mark.parametrize("words", ["不用来了，别管我了", "没事了"])
async def test_words_never_call_off_a_crisis_ticket(chat: BotChat, words: str) -> None:
    """After 我不想活了, 「不用来了，别管我了」 or 「没事了」 were offered 「✅ 确认撤销」 of the crisis ticket: one tap withdrew
    it. They are heard (12356) and added to the ticket; /my's button or a coordinator may close it."""
    await chat.say(RESIDENT, "我不想活了")
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "确定要撤销" not in shown and "12356" in shown, shown
    assert words in chat.ticket(1).text and chat.ticket(1).status != S.cancelled
