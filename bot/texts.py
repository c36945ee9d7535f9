"""Every text the bot shows, in Simplified Chinese, in one place (HTML parse mode).

Anything that came from a person (their message, a name, an address, a comment) goes through `esc`;
the functions here take raw values and escape them, so callers never build HTML themselves.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import numbers
from routing.points import STAR_POINTS
from routing.views import OTHER_NAME  # (what a ticket with no item is called)

MESSAGE_LIMIT = 4096  # Telegram's limit for one message
QUOTE_LIMIT = 300  # how much of a resident's text we quote back


def esc(value: object) -> str:
    """Escape user-supplied text for HTML parse mode."""
    return html.escape(str(value), quote=False)


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Cut raw text to `limit` characters (before escaping, so no entity is ever cut in half), keeping its beginning
    and its end: what is added last (（补充）晚上七点以后在家; a warning closing a note) is as needed as the start."""
    text = text.strip()
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 3
    return text[: limit - 1 - tail] + "…" + text[len(text) - tail:]


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A resident's words, cut and escaped."""
    return esc(clip(text, limit))


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, as Telegram counts offsets and limits (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def fit(message: str) -> str:
    """Keep a finished message under Telegram's limit, cutting at a line break."""
    if utf16_len(message) <= MESSAGE_LIMIT:
        return message
    units = itertools.accumulate(2 if ord(char) > 0xFFFF else 1 for char in message)
    end = next(i for i, total in enumerate(units) if total > MESSAGE_LIMIT - 20)  # (the first character past it)
    cut = message.rfind("\n", 0, end)
    return message[: cut if cut > 0 else end] + "\n……（内容过长，已省略）"


def local_time(value: datetime | str | None, tz: ZoneInfo) -> str:
    """A timestamp as residents read it: 11月23日 14:05."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value.astimezone(tz)
    return f"{value.month}月{value.day}日 {value:%H:%M}"


# ── buttons (the words in them are a contract: product.md "Words on buttons") ──────────────────
BTN_CONFIRM = "✅ 确认"
BTN_CHANGE = "✏️ 修改"
BTN_CANCEL = "❌ 取消"
BTN_OTHER = "🙋 其他（由协调员派单）"
BTN_SKIP = "跳过"
BTN_SHARE_PHONE = "📱 发送我的手机号"
BTN_LAST_ADDRESS = "📍 使用上次的地址"
BTN_BACK = "↩️ 返回"
BTN_ACCEPT = "✋ 接单"
BTN_DECLINE = "🙅 不方便"
BTN_START = "▶️ 开始办理"
BTN_DONE = "✅ 办结"
BTN_HAND_BACK = "↩️ 退回"
BTN_NOT_DONE_YET = "🔧 还没办完"  # (under 修好了 typed and kept for 办结: the words were not meant to close it)
BTN_PRESSED_BY_MISTAKE = "🔙 按错了，返回"  # (under the 办结 / 退回 question: no 办结 or 退回 in it, those are the card's)
BTN_ASSIGN = "👉 指派"
BTN_CLOSE = "✖️ 关闭"
BTN_RAISE = "⬆️ 上报"
BTN_URGE = "📣 催办"  # (under a 🟡 / 🔴 card of a ticket a member holds: he is urged, once in two hours)
BTN_CONFIRM_CLOSE = "✅ 确认关闭"
BTN_KEEP_OPEN = "不关闭"
BTN_FINISH = "✔️ 完成"


def btn_stars(stars: int) -> str:
    """A rating button: the digit and its stars."""
    return f"{stars} {'⭐' * stars}"


def btn_item(category_name: str, item_name: str) -> str:
    return f"{category_name} · {item_name}"


OTHER_ITEM = "其他（由协调员派单）"


def item_of(category_name: object, item_name: object) -> str:
    """「category · item」, escaped; a need that fits no item (其他 · 其他) once, as what it is."""
    if category_name == item_name == OTHER_NAME:
        return OTHER_ITEM
    return f"{esc(category_name)} · {esc(item_name)}"


def btn_skill(skill: str, chosen: bool) -> str:
    return f"{'✅' if chosen else '▫️'} {skill}"


BTN_PREVIOUS_PAGE = "⬅️ 上一页"
BTN_NEXT_PAGE = "下一页 ➡️"
BTN_REMOVE_CONFIRM = "确认移出"
BTN_REMOVE_CANCEL = "取消"
NO_MEMBERS_IN_SCOPE = "您的辖区还没有登记的党员。用 /invite 生成邀请码。"
MEMBERS_HEAD = "<b>辖区党员</b>（点名字可以移出不再服务的党员）："


def confirm_remove(name: str, holding: int) -> str:
    held = f"他手上的 {holding} 张工单会退回给协调员派单。" if holding else ""
    return f"确定把 <b>{esc(name)}</b> 移出吗？移出后不再收到工单，{held}以后凭新的邀请码可以重新加入。"


def member_removed_done(name: str) -> str:
    return f"已把 {esc(name)} 移出。"


def member_removed(p: Mapping[str, Any]) -> str:
    return "协调员已把您移出党员 / 志愿者名单，您不会再收到工单。谢谢您的付出！如需重新加入，请向协调员索取邀请码。"


TURNED_DOWN = {"declined": "·已说不方便", "handed_back": "·已退回", "rated_low": "·上次办理·差评"}  # (dispatch.turned_down_by)


def btn_member(name: str, grid_name: str, load: int, capacity: int, on_duty: bool, waiting: int = 0,
               turned_down: str = "", skills: Sequence[str] | None = None) -> str:
    """A member in 指派's list; `skills`: those of the ticket's he covers (None: the ticket asks for none)."""
    duty = "在岗" if on_duty else "离岗"
    asked = f"·待确认 {waiting}" if waiting else ""
    fits = "" if skills is None else f"·{'、'.join(skills[:2])}" if skills else "·无对口技能"
    return f"👤 {name}（{grid_name}·{duty} {load}/{capacity}{fits}{asked}{TURNED_DOWN.get(turned_down, '')}）"


# ── everyone ────────────────────────────────────────────────────────────────────────────────────
def welcome(name: str) -> str:
    return (
        f"您好，{esc(name)}！我是社区服务助手「接单」。\n"
        "遇到生活中的难事、烦心事，直接用一句话告诉我就行，例如：\n"
        "· 楼道灯坏了好几天了\n· 家里水管漏水\n· 想给独居的老母亲申请助餐\n"
        "我会帮您登记工单，请社区党员、志愿者接单办理，并把进展随时告诉您。"
    )


CHOOSE_AREA = "请先选择您所在的社区和网格（只需选一次）："
CHOOSE_AREA_AGAIN = "请选择您所在的网格："
def area_named(name: str) -> str:
    return f"好的，{esc(name)}。"


def address_kept(address: str) -> str:
    return f"地址「{esc(address)}」已记下。"


CHOOSE_AREA_WITH_BUTTONS = "您说的事我已经记下了。请点下面的按钮选择社区和网格，选好就接着为您登记。"
AREA_GONE = "您原来登记的网格已经调整，这件事还没有提交。请重新选择您所在的社区和网格，选好就接着为您登记。"


BTN_CHANGE_AREA = "🏘 更换社区 / 网格"


def area_current(community_name: str, grid_name: str) -> str:
    return f"您登记的是 <b>{esc(community_name)} · {esc(grid_name)}</b>。选错了或搬家了，可以点下面更换。"


def area_saved(grid_name: str, community_name: str, *, need_told: bool = False) -> str:
    """The area is saved; a need told before it was asked for goes on at once (no need to tell it again)."""
    then = "" if need_told else "现在请直接告诉我您需要什么帮助。"
    return f"好的，已记下您在 <b>{esc(community_name)} · {esc(grid_name)}</b>。{then}"


HELP_RESIDENT = (
    "<b>怎么用</b>\n"
    "· 直接发一句话（也可以发照片并配上文字）说明问题，我会帮您登记工单\n"
    "· /my 查看我的工单和进度，不需要了也可以在那里撤销\n"
    "· /cancel 退出当前步骤（已登记的工单不受影响）\n"
    "{stats}"
    "· /mydata 查看我们保存的您的信息，/forget 申请删除"
)
HELP_RESIDENT_STATS = "· /stats 查看本社区的服务效能（可选近 7 天、本月、上月、本季度）\n"  # (a coordinator's: their scope's)


def help_resident(coordinator: bool) -> str:
    """What a resident can do (for a coordinator, /stats is told with their own commands: it shows their scope)."""
    return HELP_RESIDENT.format(stats="" if coordinator else HELP_RESIDENT_STATS)
HELP_MEMBER = (
    "<b>党员 / 志愿者</b>\n"
    "· /duty 切换在岗 / 离岗\n· /tasks 我手上的工单\n· /points 我的积分、星级和排名\n· /skills 修改我的技能\n"
    "· 收到派单时点「接单」或「不方便」"
)
HELP_COORDINATOR = (
    "<b>协调员</b>\n"
    "· /invite 生成党员邀请码\n· /dispatch 待派单的工单\n· /overdue 超期和临期的工单\n"
    "· /stats 响应率、解决率、满意率、超期率（可选近 7 天、本月、上月、本季度）\n· /report 服务效能周报（图表）\n"
    "· /members 辖区党员名单；党员不再服务时可在这里移出\n"
    "· /addcoordinator 生成协调员邀请码（辖区内的网格、社区或街道）\n"
    "· 在工作群里发送 /subscribe，群里会收到紧急、超期、待派单和差评提醒（不含个人信息）"
)
HELP_JOIN = "· 党员、志愿者请用协调员给的邀请码注册：/join 邀请码"

CANCELLED_STEP = "好的，已退出当前步骤。需要帮助时随时告诉我。"
NOTHING_TO_CANCEL = "现在没有进行中的步骤。"
UNKNOWN_COMMAND = "抱歉，我不认识这个命令。发送 /help 查看可以做什么。"
UNSUPPORTED_MESSAGE = "抱歉，我暂时只能看懂文字和照片。请用文字描述一下您的问题。"
EMPTY_MESSAGE = "没有收到文字内容，请用一句话描述您遇到的问题。"
TRY_AGAIN = "抱歉，系统暂时繁忙，请稍后再试一次。已经登记的内容不会丢失。"
EDITED_MESSAGE = "修改后的消息我这边不会更新。如需补充或更正，请直接再发一条新消息。"
STALE_BUTTON = "这个按钮已经失效了（情况已有变化），请以最新的消息为准。"

# ── resident: 点单 ─────────────────────────────────────────────────────────────────────────────────
NON_REQUEST = {
    "greeting": "您好！请直接告诉我您遇到的问题或需要的帮助，例如：“楼道灯坏了好几天了”。",
    "thanks": "不客气！能帮上忙我们很高兴。有需要随时找我。",
    "other": "我是社区服务助手，可以帮您登记生活中的困难和诉求（维修、养老、纠纷、环境卫生等），"
    "由社区党员和志愿者接单办理。请直接说说您遇到的问题。",
}


LISTENING = "我在听，您慢慢说。说完整了我就帮您登记。"


def understood(category_name: str, item_name: str, text: str) -> str:
    return (
        f"我理解您反映的是：<b>{esc(category_name)} · {esc(item_name)}</b>\n"
        f"「{quote(text)}」\n\n"
        "对吗？没问题请点「确认」，不对请点「修改」。"
    )


def confirmed(category_name: str, item_name: str, text: str) -> str:
    """The card once the resident confirmed it (or chose an item, or 其他): no question left on it."""
    return f"✅ 已确认：<b>{item_of(category_name, item_name)}</b>\n「{quote(text)}」"


def unsure(text: str) -> str:
    return (
        f"「{quote(text)}」\n\n"
        "我不太确定这属于哪类事项，请选一个最接近的；都不像的话点「其他」，由协调员为您派单。"
    )


CHOOSE_CATEGORY = "请选择事项的大类："


def choose_item(category_name: str) -> str:
    return f"<b>{esc(category_name)}</b>：请选择具体事项："


def urgent_advice(hotlines: Iterable[str]) -> str:
    advice = {
        "119": "⚠️ <b>如有燃气泄漏或火情，请立即拨打 119！</b>\n"
        "燃气泄漏时：关闭燃气阀门、开窗通风、不要开关任何电器、不要打电话或点火，尽快离开到室外再拨打。\n"
        "起火时：火小可用灭火器扑灭；火大立即离开，走楼梯不要乘电梯，用湿毛巾捂住口鼻、弯腰前行，出门随手关门。",
        "110": "⚠️ <b>如有人身危险，请立即拨打 110！</b>请先远离危险区域，提醒周围的人注意安全。",
        "120": "⚠️ <b>如有人受伤或突发疾病，请立即拨打 120！</b>",
        "12356": "💛 您的感受很重要，您并不孤单。<b>如果您有伤害自己的想法，请立即拨打心理援助热线 12356</b>，"
        "紧急情况请拨打 120 或 110。",
    }
    parts = [advice[h] for h in dict.fromkeys(hotlines) if h in advice]
    return "\n\n".join(parts or [advice["110"]])


# Someone shut in a lift (a fast item, not urgent unless more is told): what to do while help comes.
TRAPPED_IN_LIFT = ("🛗 <b>被困电梯时</b>：请按轿厢里的警铃，或拨打轿厢内张贴的救援电话（电梯应急 96333）；保持冷静，"
                   "不要扒门、撬门。有人身体不适请立即拨打 120。")


def ask_address(last_address: str | None) -> str:
    text = "请告诉我需要上门的地址，例如：幸福里小区 3 号楼 2 单元 502。"
    if last_address:
        text += f"\n上次的地址是：{quote(last_address, 100)}，可以直接点下面的按钮使用。"
    return text


ASK_PHONE = "方便留个手机号吗？只有接单的党员和协调员能看到。点「发送我的手机号」，或点「跳过」。"
NEED_NOT_SUBMITTED = "您刚才说的事还没有提交：请点上面那条消息里的按钮接着办。"
ADDRESS_EXPLAINED = "地址就是需要工作人员上门去的地方，写到小区、楼号和门牌号就行。"
ADDRESS_HELP = (
    "没关系，写上小区名和楼号就行，例如：幸福里小区 3 号楼。"
    "也可以点输入框旁的 📎 →「位置」，把您现在所在的位置发给我。"
)
ADDRESS_TOO_SHORT = "地址好像不完整，请写到小区、楼号或门牌号，例如：和平路 12 号 1 单元 301。"
STILL_NEEDS_ADDRESS = "您刚才的诉求还没有提交，还差上门地址。"
ADDRESS_LATER = "好的，不着急。问清楚了再把地址发给我就行（小区、楼号、门牌号）。"
PHOTO_ADDED = "照片收到了，会和您的诉求一起交给接单的党员。"
PHOTO_ADDED_TO_REOPENED = "照片收到了，已附到这张工单里，协调员重新安排时会看到。想说的话也可以直接回复。"
PHOTO_AFTER_RATING = "照片收到了，谢谢您！想说的话也可以直接回复。"
PHOTO_WAITS_FOR_WORDS = "照片收到了。请再用一句话说说是什么问题，我会把照片和它一起登记。"
UNSUPPORTED_AT_STEP = "抱歉，我暂时只能看懂文字和照片。"
PHONE_AFTER_ADDRESS = "手机号等下一步再发就行，先要上门的地址。"
SAME_NEED_IN_PROGRESS = "这件事正在为您登记，就是这一件，还差上门地址。"
NEXT_NEED = "您刚才还提到另一件事，现在接着为您登记："
ASK_WHERE_URGENT = "为了尽快找到您："
ASK_WHERE_GENTLY = "如果愿意，告诉我您现在在哪里（小区、楼号就行），工作人员好尽快找到您；不想说也没关系，回复「不想说」就好。"
ADDED_TO_URGENT = "这句话已补充到您的紧急工单里，协调员会看到。"


PHOTO_OF_ANOTHER_NEED = "如果照片拍的是另一件事，请直接说说是什么问题，我为您另外登记。"


def added_to_ticket(number: str, what: str = "这句话") -> str:
    """Words (or a photo, `what`) after a need was registered, no need of their own: added to its ticket."""
    return f"{what}已补充到您的工单 <b>{esc(number)}</b> 里，接单的党员和协调员都会看到。"


def visit_detail_added(number: str, address: str | None, phone: str | None, when: bool = False) -> str:
    """A detail of the visit added to her ticket, with the address or phone it changed (`when`: the time she asked for,
    which the member arranges with her)."""
    changed = (f"\n上门地址已改为：<b>{quote(address, 200)}</b>" if address else "") + (
        f"\n联系电话已改为：<b>{esc(phone)}</b>" if phone else "")
    return added_to_ticket(number) + ("上门时间由接单的党员和您约定。" if when else "") + changed


def added_to_emergency(number: str) -> str:
    return f"这句话已补充到您刚才登记的紧急工单 <b>{esc(number)}</b> 里，协调员会看到，正在跟进。"


IF_HURTING = "如果您心里不好受，也可以跟我说说，或拨打心理援助热线 12356。"
HEARD_GENTLY = "谢谢您愿意告诉我。这些话工作人员会看到，他们会尽快联系您。想说什么都可以继续说，也可以随时拨打 12356。"


def urgent_opened(number: str, self_harm: bool) -> str:
    if self_harm:
        return f"我们已经告诉社区的工作人员（工单 {esc(number)}），他们会尽快联系您。您不是一个人。"
    return f"🚨 已为您登记紧急工单 <b>{esc(number)}</b>，社区协调员已收到提醒，会尽快联系您。"


def contact_added_for_resident(number: str) -> str:
    return f"已补充到您的紧急工单 <b>{esc(number)}</b> 里，协调员和办理的党员都会看到。"


def contact_added(p: Mapping[str, Any]) -> str:
    """To the coordinators and the member of a ticket: what the resident added after it was opened (an urgent one's where
    and phone; a photo after a low rating reopened one)."""
    kind = "紧急工单" if p.get("urgent", True) else "工单"
    lines = [f"📍 {kind} <b>{esc(p.get('number', ''))}</b> 补充了信息：", f"地址：{esc(p.get('address') or '未填')}",
             f"电话：{esc(p.get('phone') or '未留')}", f"诉求：「{quote(p.get('text') or '', 300)}」"]
    return "\n".join(lines) + photos_line(p.get("attachments"), "居民发的照片")


def second_need_noted(text: str) -> str:
    return f"您还提到「{quote(text, 60)}」，先登记第一件，登记好就接着为您登记这一件。"


def another_need_later(text: str, step: str = "address") -> str:
    """Another need told under 「对吗？」, at the area buttons or at the address or phone step: kept for after this one,
    whose step is asked again."""
    if step == "confirm":  # (told under 「对吗？」: this one's card follows)
        return f"「{quote(text, 60)}」这件事我先记下了，等这一件登记好就接着为您办。这一件请先确认："
    if step == "area":  # (told where the area buttons wait: the first need's card follows the area)
        return f"「{quote(text, 60)}」这件事我先记下了，等前一件登记好就接着为您办。"
    missing = "上门地址" if step == "address" else "联系电话（不想留可以跳过）"
    return f"「{quote(text, 60)}」这件事我先记下了，等这一件登记好就接着为您办。这一件还差{missing}。"


STILL_NEEDS_PHONE = "您刚才的诉求还没有提交，还差最后一步。"
URGENT_STILL_NEEDS_ADDRESS = "您的紧急工单已经登记，协调员已收到提醒；告诉我地址能更快找到您。"
URGENT_STILL_NEEDS_PHONE = "您的紧急工单已经登记，协调员已收到提醒；留个电话能更快联系到您。"
PHONE_INCOMPLETE = "这个号码好像不完整，请再核对一下：手机号是 11 位，座机请带区号。不想留号码就点「跳过」。"
PHONE_HOW = "请点「发送我的手机号」，或直接输入手机号或座机号；不想留号码就点「跳过」。"
BTN_LAST_PHONE = "📞 用上次的号码"


def btn_last_phone(phone: str) -> str:
    """The button for the number she left last time: its last four digits only (anyone may look at her screen)."""
    return f"{BTN_LAST_PHONE} 尾号{phone[-4:]}"
CARD_HOW = "不会点按钮也没关系：我说得对，就回复「对」；不对，就回复「不对」；不要了，就回复「取消」。"
PHONE_HOW_GENTLY = ("没关系，不用点按钮也可以：直接把手机号（11 位数字）打出来发给我就行。"
                    "不想留号码，发「跳过」两个字也可以。")


def shared_location(latitude: float, longitude: float) -> str:
    """A location the resident shared, as the address a member opens in a map app."""
    return f"居民发送的定位：{latitude:.5f},{longitude:.5f}"


def last_address_used(address: str) -> str:
    return f"好的，就用上次的地址：<b>{quote(address, 200)}</b>。"


NO_LAST_ADDRESS = "我这里还没有您上次用过的地址。"


def address_noted(address: str) -> str:
    return f"已记下上门地址：<b>{quote(address, 200)}</b>（登记时不用再说一遍）。"


def phone_noted(phone: str) -> str:
    return f"已记下联系电话：<b>{esc(phone)}</b>（登记时不用再说一遍）。"


def address_added(address: str) -> str:
    return f"已补充地址：<b>{quote(address, 200)}</b>\n{ASK_PHONE}"


def address_corrected(address: str) -> str:
    return f"好的，地址已改为：<b>{quote(address, 200)}</b>\n{ASK_PHONE}"


def supplement_added(text: str) -> str:
    return f"已把这句话补充到您的诉求里：「{quote(text, 100)}」\n{ASK_PHONE}"


def address_and_supplement_added(address: str, text: str) -> str:
    """More of the address and other words told together at the phone step: both kept."""
    return f"已补充地址：<b>{quote(address, 200)}</b>\n已把这句话补充到您的诉求里：「{quote(text, 100)}」\n{ASK_PHONE}"


def ticket_created(number: str, category_name: str, item_name: str, urgent: bool) -> str:
    speed = "这是紧急事项，已同时通知协调员优先处理。" if urgent else ""
    who = "协调员会为您派单" if category_name == item_name == OTHER_NAME else "正在为您联系合适的党员志愿者"
    return (
        f"✅ 已为您登记工单 <b>{esc(number)}</b>（{item_of(category_name, item_name)}）。\n"
        f"{speed}{who}，有进展会第一时间告诉您。"
        f"\n查询进度可发送 /my，或说“{esc(number)} 怎么样了”。"
    )


def _number_and_item(p: Mapping[str, Any]) -> str:
    """A ticket (its payload) named with its item: <b>#A1234</b>（照明楼道）."""
    return f"<b>{esc(p['number'])}</b>（{esc(p['item_name'])}）"


def what_next(p: Mapping[str, Any]) -> str:
    """那现在咋办 (or 师傅电话多少) once a need is registered: where her ticket (its private payload) is, what comes
    next, and that nothing more is asked of her."""
    member, status = esc(p.get("member_name") or ""), p.get("status")
    reach = "会按您留的电话联系您" if p.get("phone") else "会按您留的地址上门"
    if status == "resolved":
        step = "这件事已经办结了。麻烦您在上面那条消息里给这次服务打个分（1–5 星），不满意也请告诉我。"
    elif status == "in_progress" and member:
        step = f"{member} 正在办理，办好了我会告诉您。"
    elif status == "accepted" and member:
        step = f"{member} 已经接单，{reach}，开始办理时我也会告诉您。"
    elif p.get("urgent"):
        step = f"社区协调员已收到提醒，正在优先安排人手，接手的人{reach}。"
    elif status in ("submitted", "offered"):
        step = f"现在正在请附近的党员志愿者接单，有人接单我会马上告诉您是谁，接单的人{reach}。"
    else:  # (waiting for a coordinator's 派单: no one took it, handed back, or reopened)
        step = f"协调员正在为您安排合适的人，安排好了我会马上告诉您，接手的人{reach}。"
    done = ("" if status == "resolved" else "请先照上面说的保护好自己和家人。" if p.get("urgent")
            else "您不用再做什么，等我的消息就行。")
    return (f"您的工单 {_number_and_item(p)}已经登记好了。{step}\n"
            f"{done}想看进度，随时发 /my。")


def visit_under_way(p: Mapping[str, Any]) -> str:
    """他在修了 / 师傅到门口了 while a member has her ticket (its payload)."""
    return (f"好的，{esc(p.get('member_name') or '接单的党员')} 正在为您办理工单 {_number_and_item(p)}。"
            "有什么要交代的，直接跟他说就行；办好后我会请您打个分。")


def broken_again(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """又漏了 after a ticket (its payload) was done: the same need registered again, said so."""
    return f"您的工单 {_number_and_item(p)}{local_time(p.get('done_at'), tz)} 办结后又出问题了？我按同一件事为您重新登记："


def noted(p: Mapping[str, Any]) -> str:
    """好的 / 收到 after a need was registered: where her newest ticket (its payload) is, so she knows it is not forgotten."""
    head = f"好的。您的工单 {_number_and_item(p)}"
    if p.get("status") == "resolved":
        return f"{head}已经办结，方便的话请在上面那条消息里给这次服务打个分。"
    who = f"，由 {esc(p['member_name'])} 办理" if p.get("member_name") else ""
    return f"{head}目前<b>{esc(p['status_name'])}</b>{who}，有进展我会第一时间告诉您。"


INTAKE_GIVEN_UP = "好的，这件事先不登记了。以后需要时，直接发消息告诉我就行。"
PICK_AN_ITEM = "请点一下上面最接近的一项；都不像的话点「其他」，由协调员为您派单。"
INTAKE_CANCELLED = "好的，这条诉求已取消，没有登记工单。"
INTAKE_RESTORED = "好的，刚才那件事已经恢复，接着为您登记："


MY_NONE_MEMBER = "您还没有以居民身份提交的工单。您接的工单请发 /tasks 查看。"


def my_tickets(rows: list[Mapping[str, Any]], tz: ZoneInfo, telling: bool = False) -> str:
    """/my's list; `telling`: a need is being told (its step is asked next)."""
    if not rows:
        return "您还没有登记好的工单。" if telling else "您还没有工单。遇到问题直接告诉我就行。"
    lines = ["<b>我的工单</b>"]
    for row in rows:
        who = f" · {esc(row['member_name'])}" if row.get("member_name") else ""
        lines.append(
            f"{esc(row['number'])} {esc(row['item_name'])} · <b>{esc(row['status_name'])}</b>{who}"
            f" · {local_time(row.get('created_at'), tz)}"
        )
    return fit("\n".join(lines))


# ── a resident calls off a ticket (撤销工单): /my's buttons, or 不用来了 typed ─────────────────────────────────
BTN_CALL_OFF_CONFIRM = "✅ 确认撤销"
BTN_CALL_OFF_KEEP = "不撤销"
CALL_OFF_WHICH = "您想撤销哪一张工单？请点一下它（撤销后不会再安排人上门）："
CALL_OFF_KEPT = "好的，工单继续办理。"


def btn_call_off(number: str, item_name: str) -> str:
    return f"撤销 {number} {item_name}"


def confirm_call_off(row: Mapping[str, Any]) -> str:
    """The question before a ticket (its payload) is called off: which one, who will be told, and for an urgent one
    that danger still calls for the hotline."""
    member = row.get("member_name")
    told = f"已接单的 {esc(member)} 会收到通知，不用再上门。" if member else "撤销后不会再安排人上门。"
    danger = "\n⚠️ 如果仍有危险，请立即拨打 119 / 110 / 120。" if row.get("urgent") else ""
    return f"确定要撤销工单 {_number_and_item(row)}吗？{told}{danger}"


def called_off(number: str) -> str:
    return f"✅ 已撤销工单 <b>{esc(number)}</b>。以后有需要，直接发消息告诉我就行。"


def call_off_too_late(number: str, status_name: str) -> str:
    return f"工单 <b>{esc(number)}</b> {esc(status_name)}，不能再撤销了。"


def rating_words_kept(words: str, told: bool = False) -> str:
    """Words that the work was not done, typed under the rating card without stars: kept for the stars (`told`: they
    said the 办结 was false, and the coordinators have them already)."""
    if told:
        return (f"抱歉这次没让您满意。您说的「{quote(words, 60)}」已转告协调员核实。"
                "还没解决的话请点 1 星或 2 星，工单会重新打开，再派人来办。")
    return (f"抱歉这次没让您满意。您说的「{quote(words, 60)}」已记下，会随打分一起转达；"
            "还没解决的话请点 1 星或 2 星，工单会重新打开，您的话会交给协调员跟进。")


RATE_WITH_BUTTONS = "请点下面的星星打分（1–2 星表示不满意，工单会重新打开，协调员会跟进）。"


def rate_prompt(number: str, item_name: str) -> str:
    return f"工单 <b>{esc(number)}</b>（{esc(item_name)}）已办结。请为这次服务打个分："


def intake_reminder(p: Mapping[str, Any]) -> str:
    """A need left at its address or phone step, recalled once."""
    missing = ("还差上门地址：回复地址（例如：幸福里小区 3 号楼）就能登记" if p.get("step") == "address"
               else "还差最后一步：回复手机号，或回复「跳过」就能登记")
    return f"📝 您说的「{quote(p.get('text') or '', 60)}」还没有提交，{missing}。不需要了请回复「算了」。"


def rate_reminder(number: str, item_name: str) -> str:
    return f"回访：工单 <b>{esc(number)}</b>（{esc(item_name)}）已办结一天了，您满意吗？请花几秒钟打个分："


RATED_ALREADY = "这张工单您已经评过分了，谢谢您！"
RATED_REOPENED = "这张工单您已经评过分了，工单已重新打开，协调员会跟进。"


def rated(stars: int, number: str, *, ask_comment: bool = True) -> str:
    """The answer to a rating (kept on its card after 跳过: which ticket, the stars, that it was reopened)."""
    if stars <= 2:
        return (
            f"收到您对工单 <b>{esc(number)}</b> 的 {stars} 星评价，很抱歉这次没让您满意。工单已重新打开，协调员会跟进。"
            + ("想补充说明的话直接回复，或点「跳过」。" if ask_comment else "")
        )
    return (f"感谢您对工单 <b>{esc(number)}</b> 的 {stars} 星评价！"
            + ("想补充一句话的话直接回复，或点「跳过」。" if ask_comment else ""))


COMMENT_SAVED = "补充说明已记录，谢谢您！"
ASK_CORRECTED_STARS = "您想打几星？请直接回复，例如：5星。"
RATING_NOT_CORRECTABLE = "评分已提交，协调员已经在跟进，不能再修改了；您的话已转告协调员。"
SLIP_TO_LOW_TOLD = "评分已提交，不能再修改了；您的话已转告协调员，他们会联系您跟进。"


def rating_corrected(stars: int, number: str) -> str:
    return f"好的，已改为 {stars} 星评价，工单 <b>{esc(number)}</b> 已关闭。谢谢您！"


def rating_corrected_note(p: Mapping[str, Any]) -> str:
    """To the coordinators: the 差评 they were alerted to was a slip the resident corrected at once."""
    return (f"✅ 工单 <b>{esc(p['number'])}</b>：居民说 {p.get('was')} 星是点错了，已改为 {p.get('stars')} 星，"
            "工单已关闭，不用再派单了。")
COMMENT_SKIPPED = "好的，谢谢您！"

# ── member: 接单 ──────────────────────────────────────────────────────────────────────────────────
JOIN_NEEDS_CODE = "请在 /join 后面加上协调员给您的邀请码，例如：/join ABCD2345"
JOIN_ALREADY = "您已经是登记在册的党员 / 志愿者了。/duty 切换在岗，/tasks 查看工单。"
JOIN_ASK_NAME = "欢迎加入！请告诉我您的称呼（例如：王师傅、李老师），居民和协调员会看到这个名字。"
JOIN_NAME_INVALID = "称呼请用 1–20 个字，例如：王师傅。"
MESSAGE_DELETED = "（这条消息已删除）"
JOIN_LEFT = "（刚才的党员 / 志愿者注册已中止，邀请码还能用：需要时再发送 /join 邀请码。）"
JOIN_GIVEN_UP = "好的，已取消注册，邀请码还可以再用。需要时再发送 /join 邀请码 即可。"
def join_code_told(code: str, coordinators: bool) -> str:
    """A code told in a sentence: how it is used (by whom it was given to)."""
    if coordinators:
        return "这像是一个协调员邀请码：只给被邀请的那位协调员用，请由本人发送 /join 邀请码。"
    return f"这像是一个邀请码。被邀请注册为党员 / 志愿者的本人，请发送：/join {esc(code)}"
JOIN_ASK_SKILLS = "请选择您擅长的服务技能（可多选），选好后点「完成」："
JOIN_NEED_SKILL = "请至少选择一项技能。"
JOIN_ASK_GRID = "请选择您常驻的社区和网格："
JOIN_GRID_GONE = "网格刚刚调整过，您选的网格已不再使用。姓名和技能已为您保留，" + JOIN_ASK_GRID


def skills_now(skills: list[str]) -> str:
    """/skills: the skills chosen so far, and how to change them."""
    return (f"您现在的技能：{esc('、'.join(skills)) or '（未选）'}\n"
            "点技能可添加或去掉（可多选），选好后点「完成」。有匹配的工单会按新的技能推送给您。")


SKILLS_USE_BUTTONS = "请点上面的技能按钮添加或去掉，选好后点「完成」。"
SKILLS_UNCHANGED = "好的，技能没有改动。"


def skills_saved(skills: list[str]) -> str:
    return f"✅ 技能已更新：{esc('、'.join(skills))}\n有匹配的工单会按这些技能推送给您。"


def join_done(name: str, skills: list[str], grid_name: str) -> str:
    return (
        f"🎉 注册成功，{esc(name)}！\n技能：{esc('、'.join(skills))}\n网格：{esc(grid_name)}\n"
        "您现在是<b>在岗</b>状态，有匹配的工单会推送给您。/duty 可切换在岗 / 离岗。"
    )


def duty_changed(on_duty: bool, assignments_waiting: int = 0) -> str:
    """After /duty; off duty, the coordinators' 指派 still waiting for the member's answer (they stay: asked by name)."""
    if on_duty:
        return "✅ 已切换为<b>在岗</b>，有匹配的工单会推送给您。"
    waiting = (f"\n另外还有 {assignments_waiting} 张协调员指派的工单在等您回复（/tasks 可以看到）：能去请点「{BTN_ACCEPT}」，"
               f"去不了请点「{BTN_DECLINE}」，好让协调员另找人。") if assignments_waiting else ""
    return "已切换为<b>离岗</b>，暂时不会收到新工单。手上的工单仍请按时办结。" + waiting


STILL_OFF_DUTY = "您现在是<b>离岗</b>状态，不会收到新工单。要恢复接单，请发送 /duty。"
DUTY_USAGE = "用法：/duty 切换在岗 / 离岗；/duty on 设为在岗，/duty off 设为离岗。"
NOT_A_MEMBER = "这个功能只对登记的党员 / 志愿者开放。如需加入，请向协调员索取邀请码：/join 邀请码"


def offer(p: Mapping[str, Any], tz: ZoneInfo, *, assigned_by_coordinator: bool = False) -> str:
    head = "👉 协调员指派给您一张工单" if assigned_by_coordinator else "📋 有一张新工单等您接单"
    urgent = "🚨 <b>紧急</b> " if p.get("urgent") else ""
    return (
        f"{head}\n{urgent}<b>{esc(p['number'])}</b> {item_of(p['category_name'], p['item_name'])}\n"
        f"网格：{esc(p['grid_name'])}\n诉求：「{quote(numbers.redact(p['text']), 200)}」\n"
        + _reopened(p, redact=True) + _time_limit(p, tz)
    )


def _reopened(p: Mapping[str, Any], *, redact: bool = False) -> str:
    """A line for a ticket a low rating reopened: the work was done once, and what the resident says is still wrong
    (an offer, seen by several members, with any phone number in it hidden, as its request is)."""
    if not p.get("reopened_stars"):
        return ""
    reason = p.get("reopened_comment") or ""
    said = f"：「{quote(numbers.redact(reason) if redact else reason, 200)}」" if reason else ""
    return f"⚠️ 居民评价 {p['reopened_stars']} 星，已重新打开{said}\n"


def _time_limit(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """The limit still running: the response's, or, once a member has responded (a ticket handed back or
    reopened), the resolution's."""
    past = "（已超期）" if p.get("past_due") else ""
    if p.get("responded"):
        return f"办结时限：{local_time(p.get('resolve_due_at'), tz)}{past}"
    return f"响应时限：{local_time(p.get('respond_due_at'), tz)}{past}"


def offer_withdrawn(p: Mapping[str, Any]) -> str:
    reasons = {
        "taken": "已由其他党员接单，谢谢您的热心！",
        "cancelled": "已被取消。",
        "reassigned": "已改派给其他党员，不需要您处理了。",
        "dispatch": "已转协调员派单。",
        "expired": "已过接单时间，不需要您处理了。",
        # (whether other members were asked or the coordinators were left it, the card cannot know: it is not his now)
        "removed": "不需要您处理了：您已不在党员名单中。",
        "full": "不需要您处理了：您手上的工单已满，办结一张后才会收到新工单。",
        "off_duty": "不需要您处理了：您已离岗。",
        "forgotten": "的居民已申请删除个人信息，这条消息里的地址和电话已撤回。",
    }
    reason = reasons.get(str(p.get("reason")), "已有变化，不需要您处理了。")
    return f"（工单 {esc(p.get('number', ''))} {reason}）"


def accepted(number: str) -> str:
    return f"✋ 您已接下工单 <b>{esc(number)}</b>，详情和居民联系方式见下一条消息。"


TICKET_TAKEN = "手慢了一步，这张工单已经被其他党员接走了，谢谢您！"
DECLINED = "好的，已转给其他党员。"
DECLINED_TO_COORDINATORS = "好的，已转给协调员派单。"
DECLINED_ASSIGNMENT = "好的，已告诉协调员，会另行安排。方便的话回一句原因，我转告协调员（不回也可以）。"
DECLINE_REASON_TOLD = "收到，已把原因转告协调员。"
DECLINED_OWN_ASSIGNMENT = "好的，工单回到待派单，可以另行指派。"
DECLINE_REASON_KEPT = "收到，谢谢告知。"
DECLINE_AFTER_ACCEPT = "这张工单您已经接下了。如果办不了，请在工单消息里点「退回」并说明原因。"
OFFER_WITHDRAWN = "这张工单已不需要您处理了（已由其他党员接单、已改派或已取消），谢谢您！"


def assignment_answered(p: Mapping[str, Any]) -> str:
    """To the coordinator who assigned a ticket: the member's answer (to the others its 📮 card reached: that a member
    took it)."""
    number, member = f"<b>{esc(p.get('number', ''))}</b>", esc(p.get("member_name") or "成员")
    if p.get("alerted"):
        return f"✅ {'紧急工单' if p.get('urgent') else '工单'} {number} 已由 {member} 接单，不用再派单了。"
    if p.get("off_duty"):  # (the 指派 stays, waiting for his answer)
        return f"⏸ {member} 刚切换为离岗，您指派的工单 {number} 还在等他回复；需要的话可以改派。"
    if p.get("assigned_by"):  # (another coordinator — another level's, after 上报 — assigned the ticket his card shows)
        return f"👉 工单 {number} 已由 {esc(p['assigned_by'])} 指派给 {member}，等待对方确认；您不用再派单了。"
    if p.get("reassigned_by"):  # (another coordinator's 指派 replaced this one's)
        return f"🔁 您指派的工单 {number} 已由 {esc(p['reassigned_by'])} 改派给 {member}，不用再跟进原来的指派了。"
    if p.get("accepted"):
        return f"✅ 您指派的工单 {number} 已由 {member} 接单。"
    if p.get("unanswered"):
        return f"⏳ {member} 一直没有回复您指派的工单 {number}，指派已收回，请另行指派。"
    reason = f"，原因：{quote(p['reason'], 100)}" if p.get("reason") else ""
    if p.get("handed_back"):  # (after accepting it: 退回)
        then = "工单回到待派单，请另行指派。" if p.get("to_dispatch") else "工单已重新推送给其他党员，也可以另行指派。"
        photos = photos_line(p.get("hand_back_photos"), "退回时发的照片")
        return f"↩️ {member} 退回了您指派的工单 {number}{reason}。{then}{photos}"
    if p.get("withdrawn"):  # (not an answer of theirs: full, blocked the bot, removed)
        return f"↩️ 您指派给 {member} 的工单 {number} 已收回{reason}。工单回到待派单，请另行指派。"
    return f"↩️ {member} 婉拒了您指派的工单 {number}{reason}。工单回到待派单，请另行指派。"


def decline_reason(p: Mapping[str, Any]) -> str:
    """To the coordinator who assigned a ticket: why the member declined it, told after 不方便."""
    member = esc(p.get("member_name") or "成员")
    return f"📝 {member} 婉拒工单 <b>{esc(p.get('number', ''))}</b> 的原因：「{quote(p.get('reason', ''), 200)}」"


def photo_caption(p: Mapping[str, Any]) -> str:
    return f"工单 {esc(p.get('number', ''))} 的照片"


def photos_line(attachments: object, what: str) -> str:
    """「\n📷 what N 张」 for the photos a ticket carries (sent after the message that announces them), or nothing."""
    count = len(attachments) if isinstance(attachments, list) else 0
    return f"\n📷 {what} {count} 张" if count else ""


def task_details(p: Mapping[str, Any], tz: ZoneInfo, headline: str = "✅ 接单成功") -> str:
    phone = esc(p.get("phone") or "未留")
    name = resident_named(p) or "居民"
    return fit(
        f"{headline}：<b>{esc(p['number'])}</b> {item_of(p['category_name'], p['item_name'])}\n"
        f"诉求：「{quote(p['text'], 1000)}」\n" + _reopened(p) +
        f"居民：{name}\n地址：{esc(p.get('address') or '未填')}\n电话：{phone}\n"
        f"网格：{esc(p['grid_name'])}"
        + photos_line(p.get("attachments"), "居民发的照片")
        + (f"\n⚠️ 办结时限 {local_time(p.get('resolve_due_at'), tz)} 已过，请尽快办结。" if p.get("past_due")
           else f"\n请在 {local_time(p.get('resolve_due_at'), tz)} 前办结。")
        + ("" if p.get("status") == "in_progress" else SET_OFF_HINT)
    )


SET_OFF_HINT = "出发时点「开始办理」。"  # (on the card until 开始办理 is pressed: the press edits it to STARTED_HINT)
STARTED_HINT = "▶️ 已开始办理。"
STARTED = STARTED_HINT + "办好后点「办结」，办不了可以点「退回」并说明原因。"
ASK_DONE_NOTE = "请用一句话说明办理结果（也可以发一张照片配文字）："
DONE_NOTE_SAY_WHAT = "居民会看到这句说明，请写一下办了什么，例如：换了灯泡，灯已经亮了（也可以发一张照片配文字）："
ASK_HAND_BACK_REASON = "请说明退回的原因（例如：需要专业资质、联系不上居民）："
HAND_BACK_PHOTO_KEPT = "📷 照片收到了。请再用文字说明退回的原因："
TASK_GONE = "这张工单已经不由您办理了（已取消或已改派），不用再办结。发送 /tasks 可以看到您手上的工单。"
NOT_DONE_YET = "好的，还没办结，工单仍由您办理。办好后再点「办结」（/tasks 可以看到您手上的工单）。"
TASK_STEP_LEFT = "刚才的办结 / 退回还没有完成，工单仍由您办理；处理好眼前的事，再在那张工单的消息下面重新点一下就行。"
NOT_HANDED_BACK = "好的，不退回了，工单仍由您办理。"
NOTE_IS_A_QUESTION = "这句话像是在提问，还不是办理结果。办好了请用一句话说明结果；还没办完请点「按错了，返回」。"
PRESS_DONE_FIRST = ("办好了的话，请在那张工单的消息下面点「办结」（没看到「办结」就先点「开始办理」），再发照片或一句话说明"
                    "（/tasks 可以看到您手上的工单）。")


def done_offered(p: Mapping[str, Any]) -> str:
    """修好了 (or a photo) sent with one ticket in hand: 办结 it with those as its note? (its payload, with the note
    and the number of photos kept)"""
    kept = "您发的这句话和照片" if p.get("note") and p.get("photos") else "您发的这句话" if p.get("note") else "您发的照片"
    said = f"：「{quote(p['note'], 200)}」" if p.get("note") else ""
    return (f"要办结工单 {_number_and_item(p)}吗？{kept}会作为办结说明发给居民{said}\n"
            f"确认请点「{BTN_DONE}」；还没办完请点「{BTN_NOT_DONE_YET}」。")


NO_OFFER_WAITING = "现在没有等您接的新工单。您手上的工单请发 /tasks 查看，在工单消息下面点按钮办理。"
PRESS_TAKE = "要接这张工单，请点工单消息下面的「接单」按钮。"
ABOUT_THE_VISIT = ("这是说您手上的工单吗？上门开始请点「开始办理」，办好了点「办结」；居民不在家、联系不上或办不了，请点「退回」"
                   "写明情况，协调员会跟进（/tasks 可以看到您手上的工单）。")
RELAY_OFFERED = "要把这句话转告居民，请点下面的按钮。"
BTN_TELL_RESIDENT = "📨 转告居民"


def member_words(p: Mapping[str, Any]) -> str:
    """To the resident: what the member who holds her ticket asked the bot to tell her."""
    member = esc(p.get("member_name") or "办理的党员")
    return f"💬 {member}（工单 <b>{esc(p.get('number', ''))}</b>）说：「{quote(p.get('member_words') or '', 300)}」"


def told_resident(number: str) -> str:
    return f"📨 已转告工单 <b>{esc(number)}</b> 的居民。"
VISIT_SAFETY = "如担心居民的安全，请立即拨打 110 或 120。"
PRESS_START = "出发时请在那张工单的消息下面点「开始办理」，办好后再点「办结」（/tasks 可以看到您手上的工单）。"
PRESS_HAND_BACK = ("办不了的话，请在那张工单的消息下面点「退回」并说明原因，协调员会另行安排（/tasks 可以看到您手上的工单）。"
                   "在那之前工单仍由您办理。")
CANNOT_DO_YET = "好的，还没办结。" + PRESS_HAND_BACK  # (a 办结 note that says the work cannot be done: 联系不上居民)
WORK_WORDS_UNPLACED = ("这句话是说您手上的工单吗？要转告居民、退回或办结，请点那张工单消息下面的按钮"
                       "（/tasks 可以看到您手上的工单）；不能接新工单请点「不方便」。")
PRESS_DECLINE = "不能接的话，请点工单消息下面的「不方便」按钮，好及时另行安排。"
PRESS_LATER = "好的。工单在等您答复：能接请点工单消息下面的「接单」，不能接请点「不方便」，好及时另行安排。"
JOIN_USE_BUTTONS = "请点上面的按钮：先选您擅长的技能（可多选）并点「完成」，再选您所在的网格。"
DONE = "✅ 已办结，辛苦了！本单积分已记入；居民好评还有加分（评价较低会收回本单积分）。"
NOTE_ADDED = "📝 已把这句话作为办理说明发给居民。"
HANDED_BACK = "已退回，工单会重新派给其他党员。"
HANDED_BACK_TO_COORDINATORS = "已退回，工单已转给协调员派单。"


def my_tasks(rows: list[Mapping[str, Any]], tz: ZoneInfo) -> str:
    if not rows:
        return "您手上暂时没有工单。"
    lines = ["<b>我的工单</b>"]
    for row in rows:
        lines.append(
            f"{esc(row['number'])} {esc(row['item_name'])} · <b>{esc(row['status_name'])}</b>"
            f" · 办结时限 {local_time(row.get('resolve_due_at'), tz)}"
        )
    return fit("\n".join(lines))


def quarter_name(quarter: str) -> str:
    """A quarter as stored ('2026Q3') as people say it: 2026 年第三季度."""
    return f"{quarter[:4]} 年第{'一二三四'[int(quarter[5]) - 1]}季度"


STAR_RULE = (f"评星：基础 1 星；有办结 +1，按时办结 ≥ 80% +1，平均评价 ≥ 4 星 +1，"
             f"季度积分 ≥ {STAR_POINTS} 且无差评重开 +1。")


def quarter_stars(record: Mapping[str, Any]) -> str:
    """评星 told: a member's stars for the quarter just ended and the record behind them."""
    stars, rated = record["stars"], record.get("rated") or 0
    ratings = f"收到评价 {rated} 次，平均 {record['rating_avg']:.1f} 星" if rated else "还没有收到评价"
    lines = [
        f"⭐ <b>{quarter_name(record['quarter'])}评星</b>：{'⭐' * stars}（{stars} 星）",
        f"办结 {record.get('resolved', 0)} 件，按时 {record.get('on_time', 0)} 件；{ratings}；"
        f"季度积分 {record.get('points', 0)}。",
    ]
    if record.get("reopened"):
        lines.append(f"另有 {record['reopened']} 件因差评重新办理。")
    if stars < 5:
        lines.append(STAR_RULE)
    lines.append(("谢谢您为居民服务！" if record.get("resolved") else "") + "发送 /points 查看积分和排名。")
    return "\n".join(lines)


def points(summary: Mapping[str, Any]) -> str:
    stars, quarter = summary.get("stars"), summary.get("stars_quarter")
    star_text = f"{'⭐' * stars}（{quarter_name(quarter)}）" if stars and quarter else "尚未评星（每季度结束后评定）"
    rank = (
        f"第 {summary['rank_in_grid']} 名（共 {summary['members_in_grid']} 人）"
        if summary.get("rank_in_grid") and summary.get("points")
        else "—（有了积分才排名）" if summary.get("rank_in_grid")  # (第 1 名 with 0 points: a review found it misleading)
        else "—"
    )
    return (
        f"<b>{esc(summary['name'])}</b> 的积分\n积分：{summary['points']}\n星级：{star_text}\n"
        f"网格排名：{rank}\n已办结：{summary.get('resolved', 0)} 件　办理中：{summary.get('open_tickets', 0)} 件"
    )


# ── coordinator: 派单 ─────────────────────────────────────────────────────────────────────────────
NOT_A_COORDINATOR = "这个功能只对协调员开放。"


def invite_created(code: str, expires_at: datetime, tz: ZoneInfo) -> str:
    return (
        f"新的党员邀请码：<code>{esc(code)}</code>\n"
        f"{local_time(expires_at, tz)} 前有效，只能使用一次。请让党员向我发送：\n<code>/join {esc(code)}</code>"
    )


def coordinator_invite_created(code: str, scope_name: str, expires_at: datetime, tz: ZoneInfo) -> str:
    return (
        f"新的协调员邀请码（{esc(scope_name)}）：<code>{esc(code)}</code>\n"
        f"{local_time(expires_at, tz)} 前有效，只能使用一次。请让对方向我发送：\n<code>/join {esc(code)}</code>"
    )


def coordinator_joined(scope_name: str) -> str:
    return f"✅ 您已成为 <b>{esc(scope_name)}</b> 的协调员。"


CHOOSE_COORDINATOR_SCOPE = "新的协调员负责哪里？点「本级」选这一级，点下级名称可以继续往下选："


def btn_this_level(name: str) -> str:
    return f"✅ {name}（本级）"


NO_WAITING = "目前没有待派单的工单。👍"
WORK_BY_COMMANDS = ("问某一张工单，请发它的工单号（例如 #A1234 怎么样了），就能看到办理人和进度，下面有指派、改派的按钮。"
                    "其他工单和统计请用下面的命令查看（点一下就行）：")
DISPATCH_BY_BUTTONS = ("派单请在工单下面点「指派」，再点要派的党员（改派也一样）。"
                       "发工单号（例如 #A1234）可以调出那一张工单。")


def more_waiting(count: int) -> str:
    return f"另有 {count} 件待派单，处理完上面这些后再发 /dispatch 查看。"


def resident_named(p: Mapping[str, Any]) -> str:
    """The resident's name, linked to their chat (Telegram opens it for those who may write to them: a coordinator or the
    member can reach someone who left no phone); empty once forgotten (/forget clears the name)."""
    name = p.get("resident_name") or ""
    if not name:
        return ""
    resident_id = p.get("resident_id")
    return f'<a href="tg://user?id={int(resident_id)}">{esc(name)}</a>' if resident_id else esc(name)


def waiting_ticket(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    urgent = "🚨 <b>紧急</b> " if p.get("urgent") else ""
    resident = f"居民：{named}　" if (named := resident_named(p)) else ""
    return (
        f"{urgent}<b>{esc(p['number'])}</b> {item_of(p['category_name'], p['item_name'])}\n"
        f"网格：{esc(p['grid_name'])}　状态：{esc(p['status_name'])}\n诉求：「{quote(p['text'], 200)}」\n"
        f"{resident}地址：{esc(p.get('address') or '未填')}　电话：{esc(p.get('phone') or '未留')}\n"
        + _time_limit(p, tz)
        + (f"\n⏳ 已指派给 {esc(p['assigned_to'])}，等待对方确认" if p.get("assigned_to") else "")
        + ("\n⏳ 已推送给党员，等待接单（也可以直接指派）" if p.get("offered_to_members") else "")
    )


def ticket_card(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """A ticket's card with who holds it while it is not done (a coordinator's look-up, a 催办)."""
    held = p.get("member_name") and p.get("status") not in ("resolved", "closed", "cancelled")
    return (f"办理人：{esc(p['member_name'])}\n" if held else "") + waiting_ticket(p, tz)


def choose_member(number: str, held_by: str | None = None) -> str:
    """指派's question; for a ticket a member holds or was asked to take, who (改派 takes it from them)."""
    if held_by:
        return f"工单 <b>{esc(number)}</b> 现由 {esc(held_by)} 负责。改派给谁？（改派后会通知对方）"
    return f"把工单 <b>{esc(number)}</b> 指派给谁？"


def ask_close_reason(number: str) -> str:
    return (f"请说明关闭工单 <b>{esc(number)}</b> 的原因（例如：重复工单、不属于社区办理、测试），居民会收到。"
            "不关了请回复「算了」。")


def ticket_closed(number: str) -> str:
    return f"已关闭工单 <b>{esc(number)}</b>，已告知居民（和接单的党员）。"


def not_to_close(number: str, status_name: str) -> str:
    return f"工单 <b>{esc(number)}</b> {esc(status_name)}，不需要关闭。"


def confirm_close(row: Mapping[str, Any], reason: str) -> str:
    """The question before a coordinator closes a ticket: which, as it is now (taken meanwhile: by whom), and why."""
    urgent = "🚨 紧急" if row.get("urgent") else ""
    held = f"，{esc(row['member_name'])} 正在办理" if row.get("member_name") else ""
    return (f"确定关闭{urgent}工单 <b>{esc(row['number'])}</b>（{esc(row['item_name'])} · {esc(row['status_name'])}{held}）"
            f"吗？居民会收到原因：「{quote(reason, 200)}」")


CLOSE_KEPT = "好的，工单没有关闭。"


def ticket_not_found(number: str) -> str:
    return f"没有找到工单 {esc(number.upper())}，请核对工单号（例如 #A1234）。"


def ticket_not_in_scope(number: str) -> str:
    return f"工单 <b>{esc(number)}</b> 不在您的管辖范围内。"


ASSIGN_LIST_REFRESHED = "工单刚有变化，名单已按现在的情况更新。需要改派的话，请在下面重新选择。"
NO_MEMBERS = "这个范围内还没有登记的党员。请先用 /invite 邀请党员注册。"


def ticket_raised_note(p: Mapping[str, Any]) -> str:
    """To a coordinator below who had the ticket's 📮 card: it was handed up by another (上报)."""
    return (f"⬆️ 工单 <b>{esc(p['number'])}</b>（{esc(p.get('item_name', ''))}）已由 {esc(p.get('raised_from') or '')} "
            f"{esc(p.get('raised_by') or '')} 上报到上一级派单。")


def ticket_raised(number: str, to: str, skipped: str | None = None) -> str:
    """上报 done: where the card went (`skipped`: the level meant, which has no coordinator)."""
    via = f"{esc(skipped)}暂无协调员，" if skipped else ""
    return (f"⬆️ {via}已把工单 <b>{esc(number)}</b> 上报到{esc(to)}，那里的协调员会收到。"
            "在他们派单前，您仍可以指派。")


def assigned_confirmation(number: str, member_name: str) -> str:
    return f"已把工单 <b>{esc(number)}</b> 指派给 {esc(member_name)}，等待对方确认。"


def why_waiting(p: Mapping[str, Any]) -> str:
    """Why a ticket waits for 派单, as every card of it for the coordinators says (dispatch.why_waiting): handed up from
    below (上报), an assignment declined or withdrawn, handed back (退回) or its member removed, or a low rating."""
    lines = []
    if p.get("raised_by"):  # (上报 by a coordinator below: nobody there to send)
        lines.append(f"⬆️ {esc(p.get('raised_from') or '')} {esc(p['raised_by'])} 上报，请协调派单")
    if p.get("declined_by"):  # (an assignment the member declined: who, and why)
        why = f"：{quote(p['decline_reason'], 500)}" if p.get("decline_reason") else ""
        if p.get("unanswered"):
            lines.append(f"↩️ 指派给 {esc(p['declined_by'])} 的工单一直没有回复，已收回")
        elif p.get("withdrawn"):
            lines.append(f"↩️ 指派给 {esc(p['declined_by'])} 的工单已收回{why}")
        else:
            lines.append(f"↩️ 指派的 {esc(p['declined_by'])} 不方便{why}")
    elif p.get("member_removed"):  # (移出 while he held it: the coordinators', not his own 退回)
        lines.append(f"↩️ {esc(p.get('handed_back_by') or '党员')}：{quote(p.get('hand_back_reason') or '', 100)}，工单收回")
    elif p.get("hand_back_reason"):  # (handed back by the member who had it, and no one took it since)
        lines.append(f"↩️ {esc(p.get('handed_back_by') or '党员')} 退回：{quote(p['hand_back_reason'], 500)}"
                     + photos_line(p.get("hand_back_photos"), "退回时发的照片"))
    elif p.get("reopened_stars"):  # (a low rating reopened it)
        said = f"：「{quote(p['reopened_comment'], 200)}」" if p.get("reopened_comment") else ""
        lines.append(f"↩️ 居民评了 {int(p['reopened_stars'])} 星，已重新打开{said}")
    elif p.get("reason") in ROUTING_FOUND_NOBODY:  # (routing found nobody: why, so that he knows whom to look for)
        lines.append(f"🔍 {DISPATCH_REASONS[p['reason']]}")
    told = [(name, reason) for name, reason in p.get("declines") or [] if name != p.get("declined_by")]
    if told:  # (members who said 不方便 with a reason: whom not to ask again, and why)
        lines.append("🙅 不方便：" + "；".join(f"{esc(name)}（{quote(reason, 60)}）" for name, reason in told))
    return "".join(f"{line}\n" for line in lines)


ROUTING_FOUND_NOBODY = ("no_item", "no_candidates", "no_acceptance")  # (of DISPATCH_REASONS: told on every card)


def dispatch_needed(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    return ("📮 <b>有工单需要派单</b>\n" + why_waiting(p) + waiting_ticket(p, tz)
            + photos_line(p.get("resident_photos"), "居民发的照片") + "\n发送 /dispatch 处理。")


def urgent_alert(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """An urgent ticket; one of neighbours reporting the same incident says so (the coordinators see one incident)."""
    same = linked_tickets(p.get("linked"))
    nobody = f"\n{URGENT_NOBODY_ASKED}" if p.get("needs_dispatch") else ""
    photos = photos_line(p.get("attachments"), "居民发的照片")
    return "🚨 <b>紧急工单，请立即跟进</b>" + same + "\n" + waiting_ticket(p, tz) + photos + nobody


HEARD_GENTLY_BEFORE_AREA = ("谢谢您愿意告诉我，您不是一个人。想说什么都可以继续说，也可以随时拨打 12356。"
                            "点一下您所在的社区，离您最近的人会联系您：")
URGENT_AREA_LEAD = "已通知街道的工作人员。请点一下您所在的社区，好让离您最近的人赶来："
URGENT_AREA_LEAD_GENTLY = "我们已经告诉街道的工作人员。如果愿意，点一下您所在的社区，离您最近的人会联系您："


def urgent_unplaced(p: Mapping[str, Any]) -> str:
    """To the top coordinators: an emergency from someone who has not chosen their grid (no ticket until they do)."""
    named = resident_named(p)
    lines = ["🚨 <b>紧急求助，请立即跟进</b>（居民还没选社区，暂无工单：请直接联系居民）",
             f"居民：{named or '（已删除）'}", f"诉求：「{quote(p.get('text') or '', 300)}」"]
    if p.get("hotlines"):
        lines.append(f"已提示居民拨打：{esc(' / '.join(p['hotlines']))}")
    return "\n".join(lines)


URGENT_NOBODY_ASKED = "⚠️ 没有可推送的党员，请立即指派。"


def low_rating(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    comment = f"\n评价：「{quote(p['comment'], 200)}」" if p.get("comment") else ""
    return (
        f"⚠️ <b>差评提醒</b>：工单 <b>{esc(p['number'])}</b> 获得 {p.get('stars')} 星，已重新打开。"
        f"\n办理人：{esc(p.get('member_name') or '—')}{comment}\n" + waiting_ticket(p, tz)
    )


# (to the member a coordinator assigned a ticket who has not answered: under a 催办, the resident's or a coordinator's)
_ASSIGNMENT_AWAITS = (f"协调员指派给您的这张单还在等您回复：能去请点「{BTN_ACCEPT}」，"
                      f"去不了请点「{BTN_DECLINE}」，好让协调员另找人。")


def chased(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """A resident's 催办: to the coordinators (the ticket's card, 改派 under it), to the member who holds it, and to the
    one assigned it who has not answered (its 接单 / 不方便 under it)."""
    said = f"居民说：「{quote(p.get('resident_words') or '', 200)}」\n"
    asked = f"⏰ 居民在催工单 {_number_and_item(p)}。\n{said}"
    if p.get("audience") == "member":
        return asked + "请尽快联系居民，告诉对方您什么时候到；办不了请点「退回」。"
    if p.get("audience") == "assigned":
        return asked + _ASSIGNMENT_AWAITS
    return f"⏰ <b>居民催办</b>\n{said}" + ticket_card(p, tz)


def urged(p: Mapping[str, Any]) -> str:
    """A coordinator's 督办 (📣 催办): to the member who holds the ticket, or was assigned it and has not answered."""
    asked = f"📣 协调员在催办工单 {_number_and_item(p)}。\n"
    if p.get("audience") == "assigned":
        return asked + _ASSIGNMENT_AWAITS
    return (asked + "请尽快办理，并联系居民说明什么时候到；办好了在工单消息下面点「办结」（没看到「办结」就先点「开始办理」），"
            "办不了请点「退回」说明原因（/tasks 可以看到您手上的工单）。")


def urge_told(member_name: str | None, outcome: str) -> str:
    """To the coordinator who pressed 📣 催办 (tickets.urge_ticket's outcome)."""
    if member_name is None:
        return "这张工单现在没有党员在办，请点「指派」派给合适的党员。"
    if outcome == "just_took":
        return f"{member_name} 一小时内刚接手这张工单，先不催办；稍后仍未办理再催。"
    if outcome == "lately":
        return f"两小时内已经催办过 {member_name}，请稍后再催，或点「指派」改派他人。"
    return f"已催办 {member_name}，他会收到提醒。"


def done_disputed(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """To the coordinators: a resident says a ticket marked done was not, before rating it."""
    member = esc(p.get("member_name") or "党员")
    return (f"⚠️ <b>居民说工单没有办好</b>\n居民说：「{quote(p.get('resident_words') or '', 200)}」\n"
            f"这张单已由 {member} 点了办结。请核实；居民打 1–2 星后工单会重新打开，可再指派。\n" + ticket_card(p, tz))


def complaint(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """To the coordinators: a resident complains of the work or the member on her ticket."""
    member = esc(p.get("member_name") or "党员")
    return (f"📣 <b>居民投诉</b>\n居民说：「{quote(p.get('resident_words') or '', 300)}」\n"
            f"这张单由 {member} 办理。请核实处理，并回复居民。\n" + ticket_card(p, tz))


def complaint_told(number: str) -> str:
    """To the resident whose complaint was passed on."""
    return f"您反映的情况已转给负责的协调员（工单 <b>{esc(number)}</b>），他们会核实处理并联系您。"


def chase_told(number: str, member_name: str | None) -> str:
    """To the resident whose 催办 was passed on."""
    who = f"协调员和 {esc(member_name)}" if member_name else "协调员"
    return f"抱歉让您久等了。已把您的话转告{who}（工单 <b>{esc(number)}</b>），他们会尽快跟进。"


def chase_told_lately(number: str) -> str:
    return f"您的催办刚已转告协调员（工单 <b>{esc(number)}</b>），请再稍等一下，他们会尽快跟进。"


def low_rating_comment(p: Mapping[str, Any]) -> str:
    """The reason a resident told after a 差评提醒 (in one message or more): a note to it. (Or words saying a good
    rating was a slip for a low one: the ticket is closed, someone has to follow it up.)"""
    if p.get("slipped_to"):
        return (f"⚠️ 工单 <b>{esc(p['number'])}</b>：居民评了 {p.get('stars')} 星后说是点错了，应为 {p['slipped_to']} 星"
                f"（工单已关闭，未重新打开，请联系居民跟进）：「{quote(p.get('comment') or '', 500)}」")
    said = numbers.redact(p.get("comment") or "") if p.get("offered") else p.get("comment") or ""  # (as the offer)
    return (f"💬 工单 <b>{esc(p['number'])}</b>（{p.get('stars')} 星差评）居民补充：「{quote(said, 500)}」"
            f"\n当前状态：{esc(p.get('status_name') or '')}")


def member_unreachable(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    """A member who holds this ticket blocked the bot: they cannot be told anything, so it needs 改派."""
    return (
        f"⚠️ 党员 {esc(p.get('member_name') or '')} 已屏蔽机器人（已设为离岗，收不到消息），"
        f"他手上的这张工单请改派：\n" + waiting_ticket(p, tz)
    )


NO_OVERDUE = "目前没有超期或临期的工单。👍"


def overdue(rows: list[Mapping[str, Any]], tz: ZoneInfo, more: int = 0) -> str:
    lines = ["<b>超期 / 临期工单</b>"]
    for row in rows:
        mark = "🔴" if row["overdue"] else "🟡"
        limit = LIMIT_NAMES.get(str(row.get("limit")), "")  # (响应 or 办结: which one to chase)
        who = (f" · 办理人：{esc(row['member_name'])}" if row.get("member_name")
               else f" · 已指派给 {esc(row['assigned_to'])}，待确认" if row.get("assigned_to") else "")
        late = row.get("minutes_past_due")  # (how far past, or how long left: whom to chase first)
        how_far = "" if late is None else f"（已超 {_span(late)}）" if late >= 0 else f"（还剩 {_span(-late)}）"
        lines.append(
            f"{mark} {esc(row['number'])} {esc(row['item_name'])} · {esc(row['status_name'])}"
            f" · {esc(row['grid_name'])} · {limit}时限 {local_time(row['due_at'], tz)}{how_far}{who}"
        )
    if more > 0:
        lines.append(f"另有 {more} 件超期或临期工单未列出，处理完上面这些后再发 /overdue 查看。")
    return fit("\n".join(lines))


def _span(minutes: int) -> str:
    """A span of time as a coordinator reads it: 2 天 3 小时, 5 小时 10 分钟, 40 分钟 (at least 1 分钟)."""
    days, rest = divmod(max(minutes, 1), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {minutes} 分钟" if minutes else f"{hours} 小时"
    return f"{minutes} 分钟"


def percent(value: float | None) -> str:
    """A rate as people read it: whole percents, one decimal near 0 and 100 % (1 overdue in 250 is
    0.4 %, not 0 %); "—" when nothing was due."""
    if value is None:
        return "—"
    shown = f"{value:.1%}"
    if shown == "100.0%" and value < 1:
        return ">99.9%"
    if shown == "0.0%" and value > 0:
        return "<0.1%"
    return shown.replace(".0%", "%")


def _rates_line(figures: Mapping[str, Any]) -> str:
    """One compact line of a group's figures (a community, a grid, a category)."""
    rates = " · ".join(percent(figures.get(key)) for key in REPORT_RATE_NAMES)
    return f"{figures.get('total', 0)} 件 · {rates}"


STATS_PERIOD_NAMES = {"7d": "近 7 天", "30d": "近 30 天", "month": "本月", "last_month": "上月", "quarter": "本季度"}


def stats_period(period: str, first_day: date, last_day: date) -> str:
    """The period a /stats message shows, with its local dates (上月 · 11月1日–11月30日)."""
    return f"{STATS_PERIOD_NAMES[period]} · {first_day.month}月{first_day.day}日–{last_day.month}月{last_day.day}日"


STATS_GRIDS = 20  # a street's grids listed in /stats


def stats(sections: Iterable[Mapping[str, Any]], period: str) -> str:
    """/stats: for each scope (name, figures, and its groups: communities or grids, categories), the four
    rates."""
    blocks = []
    for section in sections:
        figures = section["figures"]
        lines = [
            f"<b>{esc(section['name'])} 服务效能</b>（{esc(period)}）",
            f"工单：{figures.get('total', 0)} 件" + ("（这段时间暂无工单，各项比率以「—」表示）" if not figures.get("total") else ""),
            *(f"{name}：{percent(figures.get(key))}" for key, name in REPORT_RATE_NAMES.items()),
        ]
        # (a street's grids last, the most overdue first, at most STATS_GRIDS of them: a long list pushes nothing out)
        grids = section.get("grids") or []
        for title, groups in (("分区", section.get("children") or []), ("分类", section.get("categories") or []),
                              ("网格", grids[:STATS_GRIDS])):
            if groups:
                lines += ["", f"<b>{title}</b>（工单 · 响应 · 解决 · 满意 · 超期）"]
                lines += [f"· {esc(name)}：{_rates_line(group)}" for name, group in groups]
        if len(grids) > STATS_GRIDS:
            lines.append(f"（另有 {len(grids) - STATS_GRIDS} 个网格有工单，未列出）")
        blocks.append("\n".join(lines))
    return fit("\n\n".join(blocks))


# ── notifications to residents ───────────────────────────────────────────────────────────────────
def resident_update(kind: str, p: Mapping[str, Any]) -> str:
    number = f"<b>{esc(p.get('number', ''))}</b>"
    member = esc(p.get("member_name") or "党员志愿者")
    texts = {
        "ticket_created": f"工单 {number} 已登记，正在为您联系党员志愿者。",
        "ticket_accepted": f"🙋 您的工单 {number} 已由 {member} 接单，对方会尽快联系您。",
        "ticket_started": f"▶️ {member} 已开始办理您的工单 {number}。",
        "ticket_handed_back": f"您的工单 {number} 暂时退回，正在为您重新安排，请放心。",
        "ticket_resolved": f"✅ 您的工单 {number} 已办结。"
        + (f"\n办理说明：「{quote(p['note'], 1000)}」" if p.get("note") else "")
        + photos_line(p.get("attachments"), "办理照片"),
        "resolution_note": f"📝 {member} 补充了工单 {number} 的办理说明：「{quote(p.get('note', ''), 300)}」",
        "ticket_closed": f"工单 {number} 已关闭，感谢您的支持！",
        "ticket_cancelled": (f"工单 {number} 已由协调员关闭，不用再派单了。"
                             if p.get("audience") == "coordinator" and p.get("by") == "coordinator"
                             else f"工单 {number} 已由居民取消，不用再派单了。" if p.get("audience") == "coordinator"
                             else f"工单 {number} 居民已取消，不用再上门了。" if p.get("by") == "resident"
                             # (to her: a coordinator's 关闭 may be an emergency others handled — 燃气公司来过了 —,
                             # not a cancellation of hers)
                             else f"工单 {number} 已由社区协调员关闭。" if p.get("by") == "coordinator"
                             else f"工单 {number} 已取消。")
        + (f"原因：{quote(p['reason'], 200)}" if p.get("reason")
           else f"居民说：「{quote(p['resident_words'], 200)}」" if p.get("resident_words") else ""),
        # (sent to the member who did the work: the ticket went back to the coordinators, not to them)
        "ticket_reopened": (f"⚠️ 居民为工单 {number} 打了 {int(p['stars'])} 星，" if p.get("stars") else f"⚠️ 工单 {number} 因居民评价较低")
        + "已重新打开，已转交协调员重新安排，本次积分已收回。"
        + (f"\n留言：「{quote(p['comment'], 200)}」" if p.get("comment") else ""),
        "ticket_reassigned": f"工单 {number} 已由协调员改派给其他党员。",
    }
    return texts.get(kind, f"工单 {number} 有新进展：{esc(p.get('status_name', ''))}")


def member_rated(p: Mapping[str, Any]) -> str:
    comment = f"\n留言：「{quote(p['comment'], 200)}」" if p.get("comment") else ""
    if p.get("was"):  # (the low rating he was told of was a slip, corrected at once)
        return (f"✅ 居民说工单 <b>{esc(p['number'])}</b> 的 {p['was']} 星是点错了，已改为 {p.get('stars')} 星，"
                f"工单不再重新打开，本次积分已退回。{comment}")
    closed = "，工单已关闭" if p.get("closed") else ""  # (the rating itself, not words added to it later)
    return f"居民为工单 <b>{esc(p['number'])}</b> 打了 {p.get('stars')} 星{closed}。{comment}"


# ── time limits: yellow / red cards (超期监察) ────────────────────────────────────────────────────
LIMIT_NAMES = {"respond": "响应", "resolve": "办结"}
ESCALATION_NAMES = {0: "网格", 1: "社区", 2: "街道"}


def _card_body(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    urgent = "🚨 <b>紧急</b> " if p.get("urgent") else ""
    who = (f"\n办理人：{esc(p['member_name'])}" if p.get("member_name")
           else f"\n⏳ 已指派给 {esc(p['assigned_to'])}，等待对方确认" if p.get("assigned_to") else "")
    return (
        f"{urgent}<b>{esc(p['number'])}</b> {item_of(p.get('category_name', ''), p.get('item_name', ''))}\n"
        f"网格：{esc(p.get('grid_name', ''))}　状态：{esc(p.get('status_name', ''))}{who}\n"
        f"诉求：「{quote(p.get('text', ''), 200)}」"
    )


def _late(p: Mapping[str, Any]) -> str:
    return "（补发：系统恢复后发出）" if p.get("late") else ""


def yellow_card(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    limit = LIMIT_NAMES.get(str(p.get("limit")), "")
    past_due = p.get("past_due")  # (sent after its limit: the red card has gone to the coordinators)
    if p.get("audience") == "member":
        action = "已超过时限，请尽快办理。" if past_due else (
            "请抓紧办理，按时办结。" if p.get("limit") == "resolve" else "请尽快处理。")
    elif p.get("assigned_to"):
        action = f"可点「{BTN_URGE}」催对方接单，或改派他人。"
    elif p.get("limit") == "respond" or not p.get("member_name"):  # (reopened, handed back: nobody holds it)
        action = "还没有党员接单，请尽快派单。" if p.get("limit") == "respond" else "还没有党员办理，请尽快派单。"
    else:
        action = f"请督促跟进：可点「{BTN_URGE}」提醒办理人。"
    headline = f"工单已超过{limit}时限" if past_due else f"工单即将超过{limit}时限"
    return (
        f"🟡 <b>黄牌预警</b>{_late(p)}：{headline}\n"
        + _card_body(p, tz)
        + f"\n{limit}时限：<b>{local_time(p.get('due_at'), tz)}</b>\n{action}"
    )


def red_card(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    limit = LIMIT_NAMES.get(str(p.get("limit")), "")
    level = ESCALATION_NAMES.get(int(p.get("escalation_level") or 0), "")
    to = esc(p.get("escalated_to") or "")
    return (
        f"🔴 <b>红牌超期</b>{_late(p)}：工单已超过{limit}时限\n"
        + _card_body(p, tz)
        + f"\n{limit}时限：<b>{local_time(p.get('due_at'), tz)}</b>（已超期）\n"
        + (f"{level}{f'（{to}）' if to else ''}暂无协调员，仍请您立即派单或督办。" if p.get("nobody_there")
           else f"已升级至{level}{f'（{to}）' if to else ''}；{level}暂无协调员，请您立即派单或督办。"
           if p.get("nobody_at_level")
           else f"已升级至{level}{f'（{to}）' if to else ''}，请立即派单或督办。")
    )


# ── group chats: alert subscriptions (issue #6) ─────────────────────────────────────────────────
# A group is read by many people: these texts never show a resident's words, name, phone or address.
SCOPE_LEVEL_NAMES = {"grid": "网格", "community": "社区", "street": "街道"}
SUBSCRIBE_IN_GROUP = (
    "群提醒要在群里设置：把我拉进工作群，在群里发送 /subscribe（可写明范围，如 /subscribe 社区），"
    "群里就会收到您管辖范围的紧急工单、红牌超期、待派单和差评提醒（不含居民个人信息）；"
    "在群里发送 /unsubscribe 取消。"
)
GROUP_NOT_SUBSCRIBED = "本群没有订阅工单提醒。"
GROUP_ALERT_HEADS = {
    "urgent_alert": "🚨 <b>紧急工单</b>",
    "red_card": "🔴 <b>红牌超期</b>",
    "dispatch_needed": "📮 <b>待派单</b>",
    "low_rating": "⚠️ <b>差评提醒</b>",
    "rating_corrected": "✅ <b>差评已更正</b>",
}
DISPATCH_REASONS = {
    "no_item": "事项需要人工判断",
    "no_candidates": "没有匹配的党员",
    "no_acceptance": "没有党员接单",
    "assignment_declined": "指派的党员不方便",
    "member_unreachable": "指派的党员联系不上",
}


def group_subscribed(scope_name: str, level: str, created: bool) -> str:
    head = "✅ 本群已订阅" if created else "本群已经订阅了"
    return (
        f"{head} <b>{esc(scope_name)}</b>（{SCOPE_LEVEL_NAMES.get(level, '')}）的工单提醒："
        "紧急工单、红牌超期、待派单、差评。\n"
        "群消息不含居民的姓名、电话和地址；处理请私聊我（/dispatch、/overdue）。发送 /unsubscribe 取消订阅。"
    )


def group_unsubscribed(ended: list[str], kept: list[str], others: list[str]) -> str:
    """/unsubscribe's answer: what ended, what goes on (the coordinator's own, another scope named; or others')."""
    if not ended and not kept and not others:
        return GROUP_NOT_SUBSCRIBED
    lines = [f"已取消订阅：{'、'.join(esc(n) for n in ended)}"] if ended else []
    if kept:
        lines.append(f"仍在订阅：{'、'.join(esc(n) for n in kept)}（要取消，请发送 /unsubscribe 加区域名称）")
    if others:
        lines.append(f"仍在订阅（不在您的管辖范围内，需由相应协调员取消）：{'、'.join(esc(n) for n in others)}")
    return "\n".join(lines)


def group_alert(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    alert = str(p.get("alert"))
    level = ESCALATION_NAMES.get(int(p.get("escalation_level") or 0), "")
    lines = [
        f"{GROUP_ALERT_HEADS.get(alert, '📋 <b>工单提醒</b>')}{_late(p)}：<b>{esc(p.get('number', ''))}</b>"
        f" {item_of(p.get('category_name', ''), p.get('item_name', ''))}",
        f"网格：{esc(p.get('grid_name', ''))}　当前层级：{level}",
    ]
    if alert == "red_card":
        limit = LIMIT_NAMES.get(str(p.get("limit")), "")
        to = esc(p.get("escalated_to") or "")
        lines.append(
            f"已超过{limit}时限（{local_time(p.get('due_at'), tz)}），已升级至{level}{f'（{to}）' if to else ''}。"
        )
        action = "请协调员私聊我发送 /overdue 督办。"
    elif alert == "low_rating":
        lines.append(f"居民评价 {esc(p.get('stars', ''))} 星，工单已重新打开。")
        action = "请协调员私聊我发送 /dispatch 重新指派。"
    elif alert == "rating_corrected":
        lines.append(f"居民说 {esc(p.get('was', ''))} 星是点错了，已更正为 {esc(p.get('stars', ''))} 星，"
                     "工单已关闭，无需派单。")
        return "\n".join(lines)
    elif alert == "urgent_alert":
        action = "请协调员立即私聊我发送 /dispatch 跟进。"
    else:
        lines.append(f"原因：{DISPATCH_REASONS.get(str(p.get('reason')), '等待协调员派单')}。")
        action = "请协调员私聊我发送 /dispatch 指派。"
    lines.append(f"{action}（详情和联系方式只在私聊中显示）")
    return "\n".join(lines)


# ── reports and digests (issue #5, item 5) ──────────────────────────────────────────────────────────
REPORT_RATE_NAMES = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "overdue_rate": "超期率",
}


def _report_period(r: Mapping[str, Any]) -> str:
    weeks = r.get("weeks") or []
    if not weeks:
        return ""
    return f"近 {len(weeks)} 周（{weeks[0]['label']} 起）"


def report_caption(r: Mapping[str, Any]) -> str:
    """The photo's caption (≤ 1024 characters): the period's totals."""
    t = r.get("totals") or {}
    rates = "　".join(f"{name} {percent(t.get(key))}" for key, name in REPORT_RATE_NAMES.items())
    return (
        f"📊 <b>{esc(r.get('scope_name', ''))} 服务效能周报</b>{_late(r)}\n{esc(_report_period(r))}"
        f"　工单 {t.get('total', 0)} 件\n{rates}"
    )


def report_text(r: Mapping[str, Any]) -> str:
    """The same report as text: tickets per category and the four rates week by week."""
    lines = [report_caption(r), "", "<b>各类工单</b>"]
    categories = r.get("categories") or []
    lines += [f"· {esc(c['name'])}：{c['total']} 件" for c in categories] or ["· 暂无工单"]
    lines += ["", "<b>每周四率</b>（周一起：工单 / 响应 / 解决 / 满意 / 超期）"]
    for w in r.get("weeks") or []:
        rates = " / ".join(percent(w.get(key)) for key in REPORT_RATE_NAMES)
        lines.append(f"{esc(w['label'])}：{w.get('total', 0)} 件 / {rates}")
    return fit("\n".join(lines))


def daily_digest(d: Mapping[str, Any]) -> str:
    """A coordinator's morning message for one scope."""
    return (
        f"☀️ <b>{esc(d.get('scope_name', ''))} 每日简报</b>{_late(d)}\n"
        f"近 24 小时新增：{d.get('new', 0)} 件　办结：{d.get('resolved', 0)} 件\n"
        f"在办：{d.get('open', 0)} 件　其中超期：{d.get('overdue', 0)} 件\n"
        f"满意率（近 30 天）：{percent(d.get('satisfaction_rate'))}"
        + ("\n请用 /overdue 查看超期工单。" if d.get("overdue") else "")
    )


# ── personal data: /mydata and /forget (issue #6, PIPL) ──────────────────────────────────────────
BTN_FORGET_CONFIRM = "🗑 确认删除"
BTN_FORGET_CANCEL = "❌ 取消"
FORGET_ASK = (
    "<b>删除我的个人信息</b>\n"
    "确认后，我们会删除您的称呼、所在网格，以及您所有工单里的诉求原文、地址、手机号、照片和评价留言；"
    "还没办完的工单会被取消（正在办理的党员会收到通知）。\n"
    "工单编号、事项类别和办理时间会匿名保留，用于服务统计，之后 /my 里只能看到编号和状态。\n"
    "此操作无法撤销。确定要删除吗？"
)
FORGET_KEPT = "好的，没有删除任何信息。"
FORGET_ROLES = "\n您的党员 / 协调员身份和资料不受影响；如需注销，请联系协调员。"


def forgotten(count: int, has_role: bool) -> str:
    return (
        f"✅ 已删除您的个人信息，{count} 张工单已匿名化，仅用于统计。"
        "\n之后如果再给我发消息，我们会重新记录您的 Telegram 称呼。" + (FORGET_ROLES if has_role else "")
    )


def my_data(d: Mapping[str, Any], tz: ZoneInfo) -> list[str]:
    """Everything stored about a resident (routing.privacy.resident_data), as as many messages as it takes (each
    within Telegram's limit; a ticket is never split): nothing is left out."""
    if not d.get("known"):
        return ["我们没有保存您的任何信息。"]
    lines = [
        "<b>我们保存的您的信息</b>",
        f"称呼：{esc(d.get('name') or '—')}",
        f"所在网格：{esc(d.get('grid_name') or '—')}",
        f"首次使用：{local_time(d.get('created_at'), tz)}",
    ]
    if d.get("drafts"):
        lines.append(f"未完成的对话：{len(d['drafts'])} 个")
    tickets = d.get("tickets") or []
    lines += ["", f"<b>工单（{len(tickets)} 张）</b>" if tickets else "您还没有工单。"]
    blocks = ["\n".join(lines)]
    for t in tickets:
        ticket = [
            f"{esc(t['number'])} {esc(t['item_name'])} · <b>{esc(t['status_name'])}</b>"
            f" · {local_time(t.get('created_at'), tz)}",
            f"诉求：{quote(t.get('text') or '—', 3000)}",  # (stored whole; a block is never split)
            f"地址：{esc(t.get('address') or '—')}　手机：{esc(t.get('phone') or '—')}",
        ]
        if t.get("attachment_count"):
            ticket.append(f"照片：{t['attachment_count']} 张")
        for r in t.get("ratings") or []:
            comment = f"「{quote(r['comment'], 1000)}」" if r.get("comment") else ""
            ticket.append(f"评价：{r['stars']} 星 {comment}".rstrip())
        blocks.append("\n".join(ticket))
    blocks.append("这些信息只有接单的党员和本网格、社区、街道的协调员能看到。"
                  "删除请发送 /forget（工单会匿名保留用于统计）。")
    messages = [blocks[0]]
    for block in blocks[1:]:  # (packed into messages, each within the limit)
        if utf16_len(messages[-1]) + 2 + utf16_len(block) > MESSAGE_LIMIT:
            messages.append(block)
        else:
            messages[-1] += "\n\n" + block
    return [fit(message) for message in messages]


# ── abuse: rate limits, duplicates, neighbours' linked requests (issue #6) ─────────────────────
BTN_VIEW_ORIGINAL = "📄 查看原工单"
BTN_NEW_ANYWAY = "➕ 仍要新建"
BTN_REGISTER_ANYWAY = "📝 这是我的诉求，登记为诉求"
REGISTER_ANYWAY = "好的，按诉求为您登记。"
DUPLICATE_NEW = "好的，这是另一件事，为您新建一张工单。"
DUPLICATE_KEPT = "好的，不重复登记了。您原来的工单会继续办理，有进展会第一时间通知您。"
_URGENT_ALWAYS = "紧急情况（燃气泄漏、火情、有人受伤）不受限制，请直接说明，或立即拨打 119 / 110 / 120。"


def too_many_messages(until: datetime, tz: ZoneInfo) -> str:
    return (
        f"您的消息发得有点快，请稍等一下，{local_time(until, tz)} 之后再发。"
        "刚才的消息我没有处理，到时请重新发送；之前填写的内容都已保存。\n" + _URGENT_ALWAYS
    )


def too_many_tickets(limit: int, until: datetime, tz: ZoneInfo, *, at_submit: bool) -> str:
    if until.second or until.microsecond:  # (the minute shown is after it: 11:00:40 is told as 11:01)
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    head = (
        f"您这一小时内已经登记了 {limit} 张工单。为了让每位居民的诉求都能及时处理，"
        f"请在 {local_time(until, tz)} 之后再提交新的工单。"
    )
    if at_submit:
        keep = "您的诉求和地址都已保存，到时发送手机号或点「跳过」即可提交。"
    else:
        keep = "这条诉求我先为您保存，可以先确认内容、填写地址，到时再提交。"
    return f"{head}\n{keep}\n{_URGENT_ALWAYS}"


def duplicate_found(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    return (
        f"您在 {local_time(p.get('created_at'), tz)} 反映过同样的问题：工单 {_number_and_item(p)}，"
        f"目前<b>{esc(p['status_name'])}</b>。\n"
        "不用重复登记，有进展会第一时间通知您。如果这是另一件事，请点「仍要新建」。"
    )


def original_ticket(p: Mapping[str, Any], tz: ZoneInfo) -> str:
    who = (f"\n办理人：{esc(p['member_name'])}" if p.get("member_name")
           else f"\n⏳ 已指派给 {esc(p['assigned_to'])}，等待对方确认" if p.get("assigned_to") else "")
    return (
        f"工单 <b>{esc(p['number'])}</b> {item_of(p['category_name'], p['item_name'])}\n"
        f"状态：<b>{esc(p['status_name'])}</b>{who}\n"
        f"登记时间：{local_time(p.get('created_at'), tz)}\n诉求：「{quote(p['text'], 200)}」\n\n"
        "有进展会通知您，也可以随时发送 /my 查看。如果这是另一件事，请点「仍要新建」。"
    )


def linked_tickets(numbers: Iterable[str] | None) -> str:
    """The line under a member's offer or task card naming the neighbours' linked tickets."""
    numbers = list(numbers or [])
    if not numbers:
        return ""
    return f"\n🔗 附近居民反映的同一问题：{esc('、'.join(numbers))}，可一并查看处理。"


def ticket_linked(p: Mapping[str, Any]) -> str:
    return (
        f"🔗 又有居民反映了与您办理的工单 <b>{esc(p['number'])}</b>（{esc(p.get('item_name', ''))}）"
        f"相同的问题。同一问题的工单：{esc('、'.join(p.get('linked') or []))}，可一并查看处理。"
    )
