"""Telegram's limits in the adapter, found by a review (each test failed before): a double tap, more than 100 grids,
invisible names, a deployment's taxonomy codes in buttons, a hand-back's reason. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import keyboards, texts
from classifier import Classifier
from classifier.taxonomy import DEFAULT_TAXONOMY_FILE, TaxonomyError, load_taxonomy_file
from routing import db, drafts, members
from routing.bench import bench_geography
from routing.geography import sync_geography
from tests.bot.chat_harness import bot_chat
from tests.conftest import COORD, GRID_COORD, World

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RESIDENT = 1
NEED = "楼道灯坏了好几天了，晚上很黑"
TELEGRAM_MAX_INLINE_BUTTONS = 100  # Telegram refuses a bigger inline keyboard ("reply markup is too long")


@SQLITE
async def test_double_tap_on_start_does_not_tell_the_member_the_system_is_busy(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A member taps 开始办理 twice (slow network, a double tap). The work is started, but the second tap's
    editMessageReplyMarkup gets Telegram's "message is not modified", which is not caught: the member is told
    "抱歉，系统暂时繁忙，请稍后再试一次" as if the start had failed."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])
        ticket_id = await chat.submit(RESIDENT, NEED)
        offer = next(r for r in chat.replies(member) if "新工单" in r.text)
        await chat.press(member, offer.button("接单"), offer.message)
        details = next(r for r in chat.replies(member) if "接单成功" in r.text)
        await chat.press(member, f"tk:start:{ticket_id}", details.message)
        again = await chat.press(member, f"tk:start:{ticket_id}", details.message)  # same card, same keyboard
        assert not any(texts.TRY_AGAIN in r.text for r in again), [r.text for r in again]
        assert chat.unexpected_errors() == [], chat.unexpected_errors()


@SQLITE
async def test_member_can_choose_a_home_grid_in_a_street_with_more_than_100_grids(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """/join → name → skills → 完成 shows ONE inline keyboard with every grid of the whole deployment (all streets,
    all communities). A street of 12 communities × 10 grids (the project's own bench geography is 10 × 10 per street)
    gives 120 buttons; Telegram refuses keyboards over 100 buttons, so the new member can never finish registering."""
    with db.transaction(engine) as s:
        sync_geography(s, bench_geography(communities=12, grids=10))
        code = members.create_invite(s, COORD, datetime.now(UTC)).code
    async with bot_chat(engine, tmp_path, classifier) as chat:
        newcomer = 555
        await chat.say(newcomer, f"/join {code}")
        await chat.say(newcomer, "王师傅")
        await chat.press(newcomer, "jn:0")
        asked = await chat.press(newcomer, "jn:fin")
        assert any(texts.JOIN_ASK_GRID in r.text for r in asked), [r.text for r in asked]
        keyboard = chat.last_message(newcomer).inline_keyboard
        buttons = sum(len(row) for row in keyboard)
        assert buttons <= TELEGRAM_MAX_INLINE_BUTTONS, f"{buttons} buttons in one inline keyboard"


@SQLITE
@pytest.mark.parametrize("name", ["\u200b\u200b", "\u2066\u2069", "\u202e傅师王"],
                         ids=["zero-width-only", "bidi-isolates-only", "rtl-override"])
async def test_a_member_name_of_invisible_or_direction_characters_is_not_taken_as_is(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, name: str
) -> None:
    """The name a member types at /join is shown to residents ("已由 X 接单") and coordinators (指派 buttons,
    cards). A name made only of zero-width / bidi characters is accepted, so everyone sees a blank name; a name
    with a right-to-left override is kept as is, and in "您的工单 … 已由 ‮傅师王 接单，对方会尽快联系您。" it turns
    the rest of the resident's line backwards. Expected: refused (称呼请用 1–20 个字) or stored without them."""
    with db.transaction(engine) as s:
        code = members.create_invite(s, COORD, datetime.now(UTC)).code
    async with bot_chat(engine, tmp_path, classifier) as chat:
        newcomer = 556
        await chat.say(newcomer, f"/join {code}")
        answer = await chat.say(newcomer, name)
        with db.transaction(engine) as s:
            state = drafts.get_draft(s, newcomer, "join") or {}
        kept = state.get("name")
        refused = any(texts.JOIN_NAME_INVALID in r.text for r in answer)
        invisible = kept is not None and any(unicodedata.category(c) == "Cf" for c in kept)
        assert refused or (kept and not invisible), (kept, [r.text for r in answer])


@pytest.mark.parametrize("code", ["home_care_and_daily_living_assistance_for_elderly_people", "home:care"])
def test_a_deployment_taxonomy_that_loads_can_always_be_shown_as_buttons(tmp_path: Path, code: str) -> None:
    """TAXONOMY_FILE lets a deployment use its own item codes; the loader accepts any code without a dot or a space.
    An item code such as "home_care_and_daily_living_assistance_for_elderly_people" (or "home:care") loads fine, but its
    button's callback data in:<token>:it:<label> is over Telegram's 64 bytes (keyboards.data asserts: the resident
    pressing 修改 → that category gets 系统暂时繁忙), or a ':' splits the label so the item can never be chosen.
    Expected: the loader refuses codes the keyboards cannot carry, or every loaded item fits."""
    shipped = DEFAULT_TAXONOMY_FILE.read_text(encoding="utf-8")
    for companion in DEFAULT_TAXONOMY_FILE.parent.iterdir():  # (the examples files it names, next to it)
        if companion.suffix == ".jsonl":
            (tmp_path / companion.name).symlink_to(companion)
    custom = tmp_path / "taxonomy.toml"
    custom.write_text(shipped.replace('code = "home_care"', f'code = "{code}"', 1), encoding="utf-8")
    try:
        taxonomy = load_taxonomy_file(custom)
    except TaxonomyError as error:
        assert code in str(error), error  # refused at start, naming the code: fine
        return
    for category in taxonomy.categories:
        entries = [(i.label, i.name) for i in taxonomy.items.values() if i.category == category]
        markup = keyboards.items("abcdef", entries)  # the 修改 → category step
        labels = [b.callback_data.split(":")[3] for row in markup.inline_keyboard for b in row
                  if b.callback_data.split(":")[2] == "it"]  # as intake_button reads them (callback_args)
        assert labels == [label for label, _ in entries]


@SQLITE
async def test_the_coordinator_sees_why_a_member_handed_a_ticket_back(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """退回 asks the member "请说明退回的原因（例如：需要专业资质、联系不上居民）", and the reason is stored, but no message
    ever shows it: when the ticket lands in 派单 the coordinator's 📮 card and /dispatch list say nothing of the
    hand-back, so they may assign it to someone just as unqualified, or not know the resident can't be reached."""
    reason = "需要有电工证的师傅，我没有资质"
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT)
        member = world.member("王师傅", ["电工"])  # the only electrician: the ticket goes to the coordinators
        ticket_id = await chat.submit(RESIDENT, NEED)
        await chat.take_and_start(member)
        await chat.press(member, f"tk:back:{ticket_id}")
        await chat.say(member, reason)
        assert chat.ticket(ticket_id).status == "dispatch"
        cards = [r.text for r in chat.replies(GRID_COORD) if "派单" in r.text]
        listed = [r.text for r in await chat.say(GRID_COORD, "/dispatch")]
        assert cards and any(reason in t for t in cards + listed), cards + listed
