"""Found by a review of intake (a resident's request from first message to ticket), and of its fixes (intake2, and
intake3: the last two sections), in the thirty-seventh session (each test failed on the code before)."""

from __future__ import annotations

import pytest

from bot import texts
from routing.models import Ticket
from tests.bot.chat_harness import BotChat, card_with, photo, texts_of

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESIDENT = 1
NEED = "楼道灯坏了好几天了"
ADDRESS = "幸福里小区3号楼2单元502"


async def _to_phone_step(chat: BotChat) -> None:
    await chat.intake_to_address(RESIDENT, NEED)
    await chat.say(RESIDENT, ADDRESS)
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "phone"


# ── 1. a live location at the address step ────────────────────────────────────────────────────────
async def test_sharing_a_live_location_does_not_flood_the_resident_with_edited_message_warnings(chat: BotChat) -> None:
    """Asked 「请告诉我需要上门的地址」, an older resident taps 📎 → 位置 → 「共享实时位置」 (Telegram's most prominent
    choice). The first location is taken as the address and the phone is asked. But a live location is updated by
    Telegram as *edited messages* every time the phone moves (for 15 minutes to 8 hours), and every one of them is
    answered 「修改后的消息我这边不会更新。如需补充或更正，请直接再发一条新消息。」: three position updates, three scoldings
    for something the resident never did, and dozens more while the sharing lasts (bot/handlers/common.py
    edited_message answers every edited update, whatever it carries)."""
    await chat.intake_to_address(RESIDENT, NEED)
    live = {"latitude": 31.23040, "longitude": 121.47370, "live_period": 900}
    await chat.say(RESIDENT, None, location=live)
    shown = []
    for step in range(1, 4):
        moved = {**live, "latitude": 31.23040 + step / 10_000}
        update = chat.message_payload(RESIDENT, None, location=moved, edit_date=1_700_000_000 + step)
        shown += await chat.push({"edited_message": update}, RESIDENT)
    warnings = [r.text for r in shown if r.text == texts.EDITED_MESSAGE]
    assert not warnings, texts_of(shown)


# ── 2. a photo with words under 「对吗？」 ─────────────────────────────────────────────────────────────
async def test_a_photo_captioned_under_the_card_does_not_replace_the_need_told(chat: BotChat) -> None:
    """The resident writes 「楼道灯坏了好几天了」 and gets 「我理解您反映的是：物业设施 · 照明楼道 … 对吗？」. Before
    pressing 确认 she sends a photo of the lamp captioned 「就是这个灯，你们看看」. The bot starts a new request of
    these words: 「「就是这个灯，你们看看」 我不太确定这属于哪类事项」 with the ten categories; the lighting need is gone
    (its 确认 button now says 「这个按钮已经失效了」) and what reaches the member would be 「就是这个灯，你们看看」 with no
    word of what is broken. A photo without words is added to the need waiting (PHOTO_AT_STEP), but with a caption
    bot/handlers/router.py _target sends it to REQUEST, and resident.new_request skips every 'waiting' rule when
    there are attachments, so _start_intake replaces the draft."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, None, photo=photo("lamp"), caption="就是这个灯，你们看看"))
    state = chat.intake_draft(RESIDENT) or {}
    assert NEED in state.get("text", ""), (shown, state)
    assert "lamp" in (state.get("attachments") or []), state


@pytest.mark.parametrize("caption", ["对", "地址是幸福里小区3号楼2单元502"])
async def test_a_photo_sent_with_a_yes_or_the_address_under_the_card_is_kept(chat: BotChat, caption: str) -> None:
    """Under 「楼道灯坏了好几天了 … 对吗？」 the resident answers with a photo of the dark stairwell captioned 「对」 (or
    captioned with where it is, 「地址是幸福里小区3号楼2单元502」). The words are understood (the address step follows,
    or 「已记下上门地址」), but the photo is silently dropped: the draft's attachments stay empty, so the member never
    sees it. bot/handlers/router.py _route passes `photos` on only to the ADDRESS, PHONE, TASK_NOTE and REQUEST
    targets: TYPED_ANSWER (resident.answer_typed) and ADDRESS_EARLY (resident.address_told_early) take no photos."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, None, photo=photo("stairs"), caption=caption))
    state = chat.intake_draft(RESIDENT) or {}
    assert "stairs" in (state.get("attachments") or []), (shown, state)


# ── 3. a second need under 「对吗？」 ─────────────────────────────────────────────────────────────────
async def test_a_second_need_told_before_confirming_the_first_does_not_erase_it(chat: BotChat) -> None:
    """「楼道灯坏了好几天了」 → card 「物业设施 · 照明楼道 … 对吗？」. Before pressing anything the resident remembers
    another trouble and sends it as a second message, 「厨房水管漏水了」. The bot shows the plumbing card and the
    lighting need is gone without a word: no 「先登记第一件」 (as for two needs in one message) and no 「这件事我先记下了」
    (as for another need told at the address step); pressing 确认 on the lighting card answers 「这个按钮已经失效了」.
    bot/handlers/resident.new_request: with `waiting` set and a confident request of another item, _start_intake saves
    a new draft over the one waiting."""
    first = card_with(await chat.say(RESIDENT, NEED), "确认")
    await chat.say(RESIDENT, "厨房水管漏水了")
    state = chat.intake_draft(RESIDENT) or {}
    kept = f"{state.get('text', '')} {state.get('next_text') or ''}"
    pressed = texts_of(await chat.press(RESIDENT, first.button("确认"), first.message))
    assert "楼道灯" in kept or texts.STALE_BUTTON not in pressed, (state, pressed)


# ── 4. words at the address step that are not an address ──────────────────────────────────────────
@pytest.mark.parametrize("words", ["跟上次一样", "还是上次那个地址", "老地址"])
async def test_same_as_last_time_typed_uses_the_last_address(chat: BotChat, words: str) -> None:
    """A resident whose earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」 tells a new need and is asked 「请告诉我需要
    上门的地址 … 上次的地址是：幸福里小区 3 号楼 2 单元 502，可以直接点下面的按钮使用」. She types what the button says
    instead of pressing it: 「跟上次一样」. The bot saves the words 「跟上次一样」 as the address and asks for the phone;
    the member is sent to 「跟上次一样」 (「老地址」 gets 「地址好像不完整」). README: older residents type what others
    press, and it does what the button would. resident.address_given takes any words of 4+ characters as the address
    and never relates them to _last_address."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    last = chat.ticket(1).address
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") == last, (shown, state)


@pytest.mark.parametrize("words", ["我不知道地址", "我不会写地址", "地址不知道怎么写"])
async def test_not_knowing_the_address_is_not_taken_as_the_address_nor_as_another_need(
    chat: BotChat, words: str
) -> None:
    """Asked for the address, an older resident answers that she does not know it or cannot write it: 「我不知道地址」
    or 「我不会写地址」 is saved as the address itself (the phone is asked next; the member is sent to 「我不知道地址」),
    and 「地址不知道怎么写」 is answered 「「地址不知道怎么写」这件事我先记下了，等这一件登记好就接着为您办」 — kept as a
    second request (文书代写) to be registered after this one. resident.address_given: with no house number, words that
    are neither a question (_ASKS) nor a confident request of another item are saved as the address whatever they say,
    and a confident request (the classifier reads 写 as 文书代写) becomes another need."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("step") == "address" and not state.get("address"), (shown, state)
    assert not state.get("next_text"), (shown, state)


# ── 5. typed choices under the card the bot was unsure of ─────────────────────────────────────────
@pytest.mark.parametrize("words", ["其他", "第一个"])
async def test_a_choice_typed_under_the_unsure_card_is_not_glued_to_the_need(chat: BotChat, words: str) -> None:
    """「楼道灯」 gets 「我不太确定这属于哪类事项，请选一个最接近的；都不像的话点「其他」」 with 物业设施 · 照明楼道 first.
    The resident types the card's own word 「其他」, or 「第一个」, instead of pressing. The words are glued to the need
    and read again: the card comes back as 「「楼道灯，第一个」」 — for 第一个 with the ten categories instead of the
    three items, the right one gone — and the need the member will read is now 「楼道灯，其他」. README: older residents
    type what others press (确认, 取消, 修改 typed work; 其他 does not). resident._a_piece takes any short 'other' words
    under an unsure card as more of the need."""
    await chat.say(RESIDENT, "楼道灯")
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("text") == "楼道灯", (shown, state)


# ── 6. /cancel at the phone step ───────────────────────────────────────────────────────────────────
async def test_cancel_at_the_phone_step_does_not_silently_drop_the_request(chat: BotChat) -> None:
    """/help tells residents 「/cancel 退出当前步骤（已保存的内容不会丢）」. At the phone step, not wanting to leave a
    number, the resident sends /cancel to leave that step. The bot answers 「好的，已退出当前步骤。需要帮助时随时告诉我。」
    and throws away the whole request — the need, the confirmed item and the address — without saying that nothing was
    registered; she waits for a ticket that never comes. bot/handlers/common.cancel clears every draft and answers the
    same words whatever was in progress (compare 取消 under the card: 「好的，这条诉求已取消，没有登记工单。」)."""
    await _to_phone_step(chat)
    shown = texts_of(await chat.say(RESIDENT, "/cancel"))
    kept = chat.count(Ticket) == 1 or chat.intake_draft(RESIDENT) is not None
    told = any(words in shown for words in ("没有登记", "不登记", "诉求已取消"))
    assert kept or told, shown


# ── 7. giving up at the phone step leaves the phone keyboard ──────────────────────────────────────
async def test_giving_up_at_the_phone_step_removes_the_phone_keyboard(chat: BotChat) -> None:
    """At the phone step the keyboard 「📱 发送我的手机号 / 跳过」 is shown. The resident types 「算了，不报了」 and is told
    「好的，这件事先不登记了」, but the keyboard stays. Later she presses 「跳过」 on it and gets the introduction
    「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题」 (or, pressing 📱, her number is answered
    with the same). /cancel and a submitted ticket remove it (ReplyKeyboardRemove); resident.answer_typed's
    INTAKE_GIVEN_UP reply has no markup."""
    await _to_phone_step(chat)
    assert chat.request._reply_keyboards.get(RESIDENT) is not None
    shown = texts_of(await chat.say(RESIDENT, "算了，不报了"))
    assert chat.request._reply_keyboards.get(RESIDENT) is None, shown


# ── 8. a location or a contact sent while a request is waiting ─────────────────────────────────────
async def test_a_location_sent_under_the_card_is_not_answered_as_if_nothing_was_told(chat: BotChat) -> None:
    """Under 「楼道灯坏了好几天了 … 对吗？」 the resident sends her location (where the broken lamp is), as product.md
    expects residents to do. She is told 「抱歉，我暂时只能看懂文字和照片。请用文字描述一下您的问题。」 — to describe
    the problem she has just described — and the location is dropped, although an address typed there is kept
    (「已记下上门地址」). bot/handlers/router.unsupported_message looks only for an intake at the address or phone step
    (_intake_step); at the confirm step it answers UNSUPPORTED_MESSAGE."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, None, location={"latitude": 31.2304, "longitude": 121.4737}))
    assert "请用文字描述一下您的问题" not in shown, shown


async def test_a_contact_sent_at_the_address_step_does_not_get_the_introduction(chat: BotChat) -> None:
    """Asked 「请告诉我需要上门的地址」, the resident taps 📎 and sends her own contact (thinking the bot wants her
    details). She gets 「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说您遇到的问题。」 as if no request were
    in progress, the address is not asked again, and her number is dropped. bot/handlers/resident.contact_shared
    answers NON_REQUEST['other'] to a contact at any step but the phone step."""
    await chat.intake_to_address(RESIDENT, NEED)
    contact = {"phone_number": "13812345678", "first_name": "张阿姨", "user_id": RESIDENT}
    shown = texts_of(await chat.say(RESIDENT, None, contact=contact))
    assert texts.NON_REQUEST["other"] not in shown and "地址" in shown, shown


# ── 9. a photo, then a greeting, then the need ─────────────────────────────────────────────────────
@pytest.mark.parametrize("hello", ["在吗", "你好"])
async def test_a_photo_sent_before_a_greeting_reaches_the_need_told_after_it(chat: BotChat, hello: str) -> None:
    """An older resident sends a photo of the broken lamp first (「照片收到了。请再用一句话说说是什么问题，我会把照片和它
    一起登记。」), then, as people do, 「在吗」, then 「楼道灯坏了好几天了」. The greeting takes the photo: it becomes a
    request of its own, 「「在吗」 我不太确定这属于哪类事项」 with the ten categories, and when the need follows it replaces
    that draft — the photo is gone from the request the member gets. bot/handlers/router._incoming hands the kept photos
    (resident.photos_kept, which also clears them) to any words, and resident.new_request turns words with attachments
    into a request whatever their kind."""
    await chat.say(RESIDENT, None, photo=photo("lamp"))
    await chat.say(RESIDENT, hello)
    shown = texts_of(await chat.say(RESIDENT, NEED))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("text") == NEED and "lamp" in (state.get("attachments") or []), (shown, state)


# ── 10. the same need again: 「仍要新建」 typed ────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["仍要新建", "是另一件事"])
async def test_new_anyway_typed_under_the_duplicate_question_is_understood(chat: BotChat, words: str) -> None:
    """The resident's lamp ticket is open; she writes 「楼道灯还是坏的，好几天了」 about another lamp and is told 「您在 …
    反映过同样的问题：工单 #X0148（照明楼道）…如果这是另一件事，请点「仍要新建」。」. She types the button's words,
    「仍要新建」, or answers the question, 「是另一件事」, and gets the introduction 「我是社区服务助手，可以帮您登记生活中的
    困难和诉求…请直接说说您遇到的问题。」 as if nothing were waiting; the request stays parked at the duplicate question.
    bot/handlers/router._target reads only yes / cancel words at the duplicate step (好的 / 算了 keep the original);
    words asking for a new ticket fall through to a new request, answered as talk."""
    await chat.submit(RESIDENT, NEED)
    await chat.say(RESIDENT, "楼道灯还是坏的，好几天了")
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "duplicate"
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert state.get("step") != "duplicate", (shown, state)


# ═══ Found by a review of the fixes (intake2): regressions and holes left by the first round's fixes ═══════════
LOCATION = {"latitude": 31.2304, "longitude": 121.4737}


async def _at_duplicate_question(chat: BotChat) -> None:
    await chat.submit(RESIDENT, NEED)
    await chat.say(RESIDENT, "楼道灯还是坏的，好几天了")
    assert (chat.intake_draft(RESIDENT) or {}).get("step") == "duplicate"


# ── R1. 仍要新建 typed: its negation creates the ticket ─────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["不用新建了", "不要新建", "不是另一件事"])
async def test_saying_no_new_ticket_under_the_duplicate_question_does_not_create_one(
    chat: BotChat, words: str
) -> None:
    """Her lamp ticket is open; she writes about the lamp again and is asked 「您在…反映过同样的问题…如果这是另一件事，
    请点「仍要新建」」. She answers 「不用新建了」 (or 「不要新建」, 「不是另一件事」) — no, it is the same one. The bot
    answers 「好的，这是另一件事，为您新建一张工单。」 and goes on to register a second ticket for the same lamp: the
    exact opposite of what she said. resident.new_anyway (the new 仍要新建-typed rule) only searches for 新建 /
    另一件 anywhere in the words, so their negation matches too; _GIVE_UP does not cover 不用新建了."""
    await _at_duplicate_question(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.DUPLICATE_NEW not in shown, shown
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("step") != "confirm", (shown, state)


# ── R2. the other answer to the duplicate question, typed ───────────────────────────────────────────
@pytest.mark.parametrize("words", ["是同一件事", "一样的", "就是那件事"])
async def test_saying_it_is_the_same_matter_under_the_duplicate_question_is_understood(
    chat: BotChat, words: str
) -> None:
    """Under 「您在…反映过同样的问题…如果这是另一件事，请点「仍要新建」」 she answers the question in words: 「是同一件事」
    (「一样的」, 「就是那件事」). She gets the introduction 「我是社区服务助手，可以帮您登记生活中的困难和诉求…请直接说说
    您遇到的问题。」 as if nothing were going on, and the request stays parked at the question. The fix made 仍要新建 /
    是另一件事 typed work (router._target → resident.new_anyway) but its counterpart, that it is the same matter (what
    好的 / 算了 already do: DUPLICATE_KEPT), is not read."""
    await _at_duplicate_question(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.NON_REQUEST["other"] not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("step") != "duplicate", shown
    assert chat.count(Ticket) == 1


# ── R3. 不是…，是… under a card the bot was sure of ───────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["不是楼道灯，是厨房水管漏水了", "不是灯，是厨房水管漏水"])
async def test_a_correction_under_the_card_replaces_the_need_instead_of_queueing_it(chat: BotChat, words: str) -> None:
    """「楼道灯坏了好几天了」 → 「我理解您反映的是：物业设施 · 照明楼道 … 对吗？」. She corrects it: 「不是楼道灯，是厨房
    水管漏水了」. Before this round the plumbing card replaced the lamp card. Now the bot answers 「「不是楼道灯，是厨房水管
    漏水了」这件事我先记下了，等这一件登记好就接着为您办。这一件请先确认：」 and shows the lamp card again — the lamp she
    just said is NOT her problem — and would register her correction as a second ticket afterwards. Regression of
    90ac16c: resident.new_request now sends any confident request of another item under a confident card to
    _another_need, without looking for the words of a correction (不是…是…, 不对, 说错了 — _NO_WORDS)."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "这件事我先记下了" not in shown, shown
    assert state.get("label") != "property.public_lighting" and not state.get("next_text"), (shown, state)


# ── R4. an emergency's where with the door number forgotten ─────────────────────────────────────────
@pytest.mark.parametrize("words", ["在幸福里小区菜市场旁边，门牌号记不清了", "就在幸福里小区门口，具体地址说不清"])
async def test_an_urgent_tickets_where_is_kept_when_the_door_number_is_forgotten(chat: BotChat, words: str) -> None:
    """「煤气泄漏了，好大的味道」 opens an urgent ticket at once and asks 「为了尽快找到您：请告诉我需要上门的地址」. She
    answers what she can: 「在幸福里小区菜市场旁边，门牌号记不清了」. The bot goes straight to 「方便留个手机号吗？」 and
    her words are thrown away: the urgent ticket has no address and no supplement, so the coordinator rushing there has
    nothing. Before this round they were saved as the address. Regression of f5e4850: resident.address_given treats
    any words naming 地址/门牌 with 不知道/记不清/说不清 (_address_unknown) as 'no address' and, for an urgent ticket,
    skips to the phone without keeping what else was said."""
    await chat.say(RESIDENT, "煤气泄漏了，好大的味道")
    shown = texts_of(await chat.say(RESIDENT, words))
    ticket = chat.ticket(1)
    assert "幸福里小区" in f"{ticket.address or ''} {ticket.text}", (shown, ticket.address, ticket.text)


# ── R5. the same at an ordinary request's address step ──────────────────────────────────────────────
@pytest.mark.parametrize("words", ["幸福里小区东门，门牌号不记得了", "幸福里小区，门牌号忘了"])
async def test_an_address_with_the_door_number_forgotten_is_not_discarded(chat: BotChat, words: str) -> None:
    """Asked 「请告诉我需要上门的地址」 she writes what she knows, 「幸福里小区东门，门牌号不记得了」. Before this round it
    was saved as the address (the member can find the east gate and call). Now it is thrown away and she is told
    「没关系，写上小区名和楼号就行，例如：幸福里小区 3 号楼。」 and asked the same question again — she did write the
    小区名, and does not know more: each honest answer loops. Regression of f5e4850 (resident._address_unknown is
    checked before anything else and looks only for 门牌/地址 + 不记得/忘了, not for whether a place was named)."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "幸福里小区" in (state.get("address") or ""), (shown, state)


# ── R6. 上次 at the address step ────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["上次是在我女儿家", "上次是帮我妈报的", "还是上次那个师傅来吧"])
async def test_words_about_last_time_are_not_taken_for_the_last_address(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」. Asked for the address of a new need she explains
    「上次是在我女儿家」 (last time was my daughter's flat — so this time it is elsewhere), or 「上次是帮我妈报的」, or
    asks for 「还是上次那个师傅来吧」. The bot answers 「好的，就用上次的地址：幸福里小区 3 号楼 2 单元 502。」 and moves on
    to the phone: the member will go to the daughter's (mother's) flat. resident._SAME_ADDRESS matches 上次 / 还是那个
    anywhere in 12 characters; only 不没坏漏堵修 (_NOT_SAME_ADDRESS) stop it. It should require words that ask for the
    address itself (一样, 同上, 老地址, 那个地址)."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("address") != chat.ticket(1).address, shown


# ── R7. 第二个 after the candidates were rejected ─────────────────────────────────────────────────────
async def test_an_item_by_its_place_typed_after_rejecting_the_candidates_does_not_choose_a_hidden_one(
    chat: BotChat,
) -> None:
    """「楼道灯」 → 「我不太确定这属于哪类事项」 with 物业设施 · 照明楼道 / 治安消防 · 燃气泄漏 / 矛盾调解 · 邻里纠纷. She types
    「不对」 and gets 「请选择事项的大类：」 with the ten categories; she then types 「第二个」 (the second category). The
    bot picks the second *candidate* of the card she rejected, 燃气泄漏: 「⚠️ 如有燃气泄漏或火情，请立即拨打 119！」 and
    「🚨 已为您登记紧急工单」 — a false gas-leak alarm for a stairwell lamp, coordinators alerted. (After pressing a
    category, 「第一个」 likewise picks the rejected first candidate, not that category's first item.) router._target →
    resident.choice_typed reads 第N个 against state['top3'] whatever keyboard is shown last."""
    await chat.say(RESIDENT, "楼道灯")
    assert texts.CHOOSE_CATEGORY in texts_of(await chat.say(RESIDENT, "不对"))
    shown = texts_of(await chat.say(RESIDENT, "第二个"))
    assert chat.count(Ticket) == 0 and "119" not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("label") != "safety.gas_leak", shown


# ── R8. another need told twice under the card ─────────────────────────────────────────────────────
async def test_another_need_told_twice_before_confirming_is_kept_once(chat: BotChat) -> None:
    """Under the lamp card she writes 「厨房水管漏水了」, and, as older residents do when a long card comes back instead
    of an answer to it (or as a re-sent update), sends it again. Both are appended: after the lamp ticket the next card
    reads 「厨房水管漏水了\n厨房水管漏水了」, and that doubled text is the plumbing ticket's request the member reads.
    resident._keep_next_need (now also used under 「对吗？」) joins every message to next_text without checking that the
    same words are already kept."""
    await chat.say(RESIDENT, NEED)
    await chat.say(RESIDENT, "厨房水管漏水了")
    await chat.say(RESIDENT, "厨房水管漏水了")
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("next_text") == "厨房水管漏水了", state


# ── R9. a location at the duplicate question ────────────────────────────────────────────────────────
async def test_a_location_sent_at_the_duplicate_question_is_not_answered_as_if_nothing_was_told(
    chat: BotChat,
) -> None:
    """The same bug 41e6a01 fixed under 「对吗？」, one step on: at 「您在…反映过同样的问题…请点「仍要新建」」 she shares
    her location (the other lamp is here). She is told 「抱歉，我暂时只能看懂文字和照片。请用文字描述一下您的问题。」 —
    to describe what she has just described twice. router.unsupported_message looks for an intake only at confirm,
    address and phone (_intake_step); at the duplicate (and area) step it answers UNSUPPORTED_MESSAGE."""
    await _at_duplicate_question(chat)
    shown = texts_of(await chat.say(RESIDENT, None, location=LOCATION))
    assert "请用文字描述一下您的问题" not in shown, shown


# ── R10. 都不对 typed under a card the bot was sure of ─────────────────────────────────────────────────
@pytest.mark.parametrize("words", ["都不对", "都不是"])
async def test_all_wrong_typed_under_a_sure_card_lets_her_change_it(chat: BotChat, words: str) -> None:
    """Under 「我理解您反映的是：物业设施 · 照明楼道 … 对吗？没问题请点「确认」，不对请点「修改」。」 she types 「都不对」.
    The fix made 都不对 / 都不是 typed work under the unsure card (choice_typed → 其他), but under this card it answers
    only 「您刚才说的事还没有提交：请点上面那条消息里的按钮接着办。」 — 不对 typed would show 「请选择事项的大类：」.
    choice_typed returns None for a confident card and typed_answer's _NO does not allow the 都 in front."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.CHOOSE_CATEGORY in shown, shown


# ═══ Found by a third review (intake3): regressions and holes left by the second round's fixes ═══════════


# ── T1. 不是一样的 at the duplicate question read as 'the same' ─────────────────────────────────────────
@pytest.mark.parametrize("words", ["不是一样的", "不太一样"])
async def test_saying_it_is_not_the_same_under_the_duplicate_question_does_not_drop_the_new_need(
    chat: BotChat, words: str
) -> None:
    """Asked 「您在…反映过同样的问题…如果这是另一件事，请点「仍要新建」」 she answers 「不是一样的」 (it is NOT the same
    one). The bot answers 「好的，不重复登记了。您原来的工单会继续办理…」 and throws her new need away — the opposite of
    what she said. resident._SAME_MATTER's `(?<!不)一样` only looks one character back, so 不是一样 (negated with 不是)
    matches; new_anyway's 不一样 does not. The negation must be looked for as in (?<!不是)(同一件…)."""
    await _at_duplicate_question(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.DUPLICATE_KEPT not in shown, shown
    assert chat.intake_draft(RESIDENT) is not None, shown


# ── T2. 不是那件事 at the duplicate question not understood ──────────────────────────────────────────────
@pytest.mark.parametrize("words", ["不是那件事", "不是那个"])
async def test_saying_it_is_not_that_matter_under_the_duplicate_question_is_understood(
    chat: BotChat, words: str
) -> None:
    """The fix taught 「就是那件事」 at the duplicate question (the same matter), but not its direct negation: she
    answers 「不是那件事」 (it is not that one — a new one) and the request stays parked at the question (she gets the
    introduction or the reminder, not 「好的，这是另一件事，为您新建一张工单。」). resident._NEW_ANYWAY has 不是一回事 /
    不是同一 but not 不是(那|这)(件|个), the negation of the new _SAME_MATTER's 就是(那|这)(件|个)."""
    await _at_duplicate_question(chat)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert texts.DUPLICATE_NEW in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("step") != "duplicate", shown


# ── T3. 'I can't write the address' with other words kept as the address ─────────────────────────────
@pytest.mark.parametrize("words", ["地址我不清楚，我问问我女儿", "门牌号我记不清，等我儿子回来问问"])
async def test_not_knowing_the_address_with_a_few_more_words_is_not_saved_as_the_address(
    chat: BotChat, words: str
) -> None:
    """Asked 「请告诉我需要上门的地址」, an older resident writes 「我不识字，地址不会写」 (or 「地址我不清楚，我问问我
    女儿」, 「我不会写地址，你们打电话问我吧」). Before this round she got the help text (写上小区名和楼号就行…). Now the
    bot answers as if an address had been given and moves on to the phone: the member's ticket reads 地址：我不识字，地址
    不会写. Regression of 07f83d7: resident._address_unknown now strips only a list of filler words and treats
    anything 3+ characters left (不识字, 问问女儿, 你们打电话问) as a place named. It should look for words of a
    place (小区, 号楼, 栋, 门, 路, 街, 旁边, digits) rather than count what is left."""
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert state.get("address") != words and state.get("step") == "address", (shown, state)


# ── T4. 还是之前那个 / 以前的那个 / 上次的 no longer the last address ───────────────────────────────────
@pytest.mark.parametrize("words", ["还是之前那个", "以前的那个", "还是上次的"])
async def test_asking_for_the_previous_address_in_short_words_still_uses_it(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」. Asked for the address of a new need she answers
    「还是之前那个」 (「以前的那个」, 「还是上次的」) — the same place as before. Before this round the bot answered 「好的，
    就用上次的地址：…」. Now these words themselves are saved as the address (the member reads 地址：还是之前那个), or
    she is asked again. Regression of 232f579: the new _SAME_ADDRESS needs a place word (_PLACE_OF) after
    上次/以前/之前, and dropped (以前|之前)的?那个 and 还是那个 / 上次的 at the end of the words."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" in shown, shown


# ── T5. 第一个 typed under a category's items ─────────────────────────────────────────────────────────
async def test_an_item_typed_by_its_place_under_a_categorys_items_chooses_it(chat: BotChat) -> None:
    """「楼道灯坏了好几天了」 → card → 修改 → 「请选择事项的大类：」 → she presses 物业设施 and sees that category's
    items. She types 「第一个」. The bot shows the ten categories again (「请选择事项的大类：」): the category she chose
    is lost and the items she was reading vanish; typing 第一个 again loops. The fix (e5b6648) sets categories_shown
    on 修改 / 不对 and then reads every 第N个 as 'show the categories', never clearing it when a category's items
    replace them (_intake_action 'cat'). It should remember which list is on screen (the category's items) and pick
    from it."""
    understood = await chat.say(RESIDENT, NEED)
    card = next(r for r in understood if "我理解您反映的是" in r.text)
    await chat.press(RESIDENT, card.button("修改"), card.message)
    categories = chat.replies(RESIDENT)[-1]
    await chat.press(RESIDENT, categories.button("物业设施"), categories.message)
    shown = texts_of(await chat.say(RESIDENT, "第一个"))
    state = chat.intake_draft(RESIDENT) or {}
    assert texts.CHOOSE_CATEGORY not in shown, shown
    assert state.get("step") == "address" and (state.get("label") or "").startswith("property."), (shown, state)


# ── T6. 原来的地方拆迁了: 'the old place is gone' taken for 'use the old place' ─────────────────────────
@pytest.mark.parametrize("words", ["原来的地方拆迁了", "以前那里搬走了"])
async def test_saying_the_old_place_is_gone_does_not_send_the_member_there(chat: BotChat, words: str) -> None:
    """Her earlier ticket went to 「幸福里小区 3 号楼 2 单元 502」; she has since moved. Asked for the address of a
    new need she starts to explain 「原来的地方拆迁了」 (「以前那里搬走了」) — the old place is gone. The bot answers
    「好的，就用上次的地址：幸福里小区 3 号楼 2 单元 502。」 and moves on to the phone: the member is sent to a flat
    that no longer exists. Before this round these words were not read as the last address. Regression of 232f579:
    the new _SAME_ADDRESS accepts (原来|以前|之前)的?(地方|那里|那边…) anywhere in 12 characters, and
    _NOT_SAME_ADDRESS only stops 不没坏漏堵修, not 拆 / 搬 / 卖 / 换 (or anything after the place words)."""
    await chat.submit(RESIDENT, "厨房水管漏水了")
    await chat.intake_to_address(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    assert "就用上次的地址" not in shown, shown
    assert (chat.intake_draft(RESIDENT) or {}).get("address") != chat.ticket(1).address, shown


# ── T7. a correction without 是 under a sure card still queued ───────────────────────────────────────
@pytest.mark.parametrize("words", ["不是楼道灯，厨房水管漏水了", "不是楼道灯的问题，厨房水管漏水了"])
async def test_a_correction_without_shi_under_the_card_replaces_the_need(chat: BotChat, words: str) -> None:
    """「楼道灯坏了好几天了」 → 「我理解您反映的是：物业设施 · 照明楼道 … 对吗？」. She corrects it the way people
    type, without the second 是: 「不是楼道灯，厨房水管漏水了」. The bot answers 「「不是楼道灯，厨房水管漏水了」这件事
    我先记下了，等这一件登记好就接着为您办。这一件请先确认：」 and shows the lamp card she just said is wrong again;
    after it a second ticket would carry her correction. d371c43 only recognises 不是X，是Y (_CORRECTS_NEED requires
    是 after the separator); 不是X， followed by the right need is the same correction."""
    await chat.say(RESIDENT, NEED)
    shown = texts_of(await chat.say(RESIDENT, words))
    state = chat.intake_draft(RESIDENT) or {}
    assert "这件事我先记下了" not in shown, shown
    assert state.get("label") != "property.public_lighting" and not state.get("next_text"), (shown, state)


# ── T8. another need told twice with a full stop: kept twice ─────────────────────────────────────────
async def test_another_need_told_twice_with_different_punctuation_is_kept_once(chat: BotChat) -> None:
    """Under the lamp card she writes 「厨房水管漏水了」 and, getting the card back, writes it again, this time
    「厨房水管漏水了！」. 4a4e276 keeps a need told twice once, but only when the words are identical character for
    character: the next card and the plumbing ticket read 「厨房水管漏水了\n厨房水管漏水了！」. _keep_next_need
    compares raw text; it should compare the words without punctuation and spaces (simplified, stripped)."""
    await chat.say(RESIDENT, NEED)
    await chat.say(RESIDENT, "厨房水管漏水了")
    await chat.say(RESIDENT, "厨房水管漏水了！")
    state = chat.intake_draft(RESIDENT) or {}
    assert (state.get("next_text") or "").count("厨房水管") == 1, state
