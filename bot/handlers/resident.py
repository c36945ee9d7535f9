"""Residents: choose an area once, describe a need (点单), confirm it, give an address and maybe a
phone, follow their tickets (/my) and rate the result (评价).

The request being described lives in the routing draft `intake` (never in memory), so a restart or
another bot process continues where the resident was.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardRemove, Update
from telegram.ext import ContextTypes

from bot import delivery, keyboards, numbers, texts
from bot.handlers import call_off, member
from bot.handlers.common import (
    INTAKE,
    STEP_IDLE,
    a_sign_by_the_model_alone,
    act,
    answer,
    callback_args,
    deps,
    display_name,
    edit,
    now,
    query,
    reply,
    says_only,
    sent_at,
    step_left,
    ticket_named,
)
from classifier import Classification, Classifier
from classifier.normalize import normalize, simplified
from classifier.taxonomy import Taxonomy
from routing import abuse, dispatch, drafts, duplicates, geography, members, outbox, tickets, views
from routing.models import GeoLevel, Member, NotificationKind, Ticket
from routing.models import TicketStatus as S
from routing.states import OPEN, UNRESOLVED, WITH_ASSIGNEE

NOT_UNDERSTOOD = "not_understood"  # a message judged not a request, kept for 登记为诉求
MIN_STATUS_NEED_CHARS = 12  # (之前反映的臭水沟 现在又臭得不行, read as a status query, may still be registered)
# (我的事怎么样了, 刚才那个单号是多少: her tickets are the answer)
_ASKS_AFTER = re.compile("怎么样|咋样|进度|到哪|有结果|办得?怎么|处理得?怎么|单号|编号|号码")
# When they will come, asked (他们啥时候来, 师傅几点到, 多久能修好): with one ticket open, its next step answers it.
_ASKS_WHEN = re.compile("(什么时候|啥时候|几点|多久|多长时间|哪天|何时|几时)(能|会|才|可以)?(来|到|上门|过来|修|弄|办)")
MIN_NEED_CHARS = 6  # shorter non-requests (测试, 谢谢, ？, a word) get no 登记为诉求 button, unless they tell a trouble
_TROUBLE_WORD = re.compile("坏|漏|堵|停电|停水|跳闸|不亮|不通|没电|没水|没气|没热水|不热|不转")  # (灯坏了, 漏水)
COMMENT = "comment"
RATING_WORDS = "rating_words"  # words typed under the rating card without stars: the comment of the stars given next
# The words after a rating are its comment only this long after it: later words are a new message (a new need).
COMMENT_WINDOW = timedelta(minutes=30)
GIVEN_UP = "given_up"  # a need given up (❌ 取消, 算了), kept a while: 按错了 / 还是要修的 takes it back (UNDO_WINDOW)
UNDO_WINDOW = timedelta(minutes=10)
_TAKES_BACK_GIVING_UP = re.compile("按错了|点错了|不取消|别取消|不要取消|还是(要|得|想|请|麻烦)?(修|办|登记|弄|来|报)|恢复")
# A message that names a building, unit or room already carries its address.
MIN_ADDRESS_CHARS = 4
# The address of last time asked for in words (跟上次一样, 还是上次那个地址, 还是之前那个, 老地址, 同上): what
# 使用上次的地址 does. The words end there, or with a particle (就行, 吧): not 上次是在我女儿家, 还是上次那个师傅来吧,
# 原来的地方拆迁了 (words after the place tell something else of it).
_PLACE_OF = "一样的地址|一样的地方|一样|地址|那个地址|那个地方|地方|那里|那儿|那边|那家"
_EARLIER = "上次|上回|原来|以前|之前"
_PARTICLES = r"[的了吧啊呀哈嘛哦呢，,。.！!~～\s]*"
_SAME_ADDRESS = re.compile(
    f"(({_EARLIER})(的那个|的|那个)({_PLACE_OF})?|({_EARLIER})({_PLACE_OF})|同上|老地址|老地方|还是那个(地址|地方)?"
    f"|还是那里|还是那儿){_PARTICLES}((就|也)?(行|好|可以|是了)|一样|谢谢|麻烦了|麻烦你了|麻烦您了)?{_PARTICLES}$")
# (上次修过没修好, 上次的地址不对, 原来那里拆了, 以前的搬走了: not the address of last time)
_NOT_SAME_ADDRESS = re.compile("[不没坏漏堵修拆搬卖]")
# Not knowing the address, or how to write it (我不知道地址, 地址不知道怎么写): help asked for, not an address.
_ADDRESS_NAMED = re.compile("地址|住址|门牌号?码?|房号")  # (taken out before places are looked for: 门牌's 门 is no gate)
_NOT_KNOWN = re.compile("不知道|不晓得|不会|不清楚|记不住|不记得|记不清|忘了|搞不清|说不清|写不来|不懂")
_NOT_KNOWN_ALONE = re.compile(rf"(我|我也|真的|实在|这个|这)*({_NOT_KNOWN.pattern}|记不得|搞不清楚|说不清楚)"
                              r"[了啊呀哦。.!！~～\s]*")
# Words of a place told with it (幸福里小区东门，门牌号不记得了: the member can find the gate and call): an address,
# however little. Other words (我问问我女儿, 等我儿子回来问问, 你们打电话问我吧) name none: help is what she needs.
_CLAUSES = re.compile("[，,。；;！!？?、\\s]+")
_ASKING_SOMEONE = re.compile("问|打电话|联系|回来")  # (我问问我女儿, 你们问社区吧, 等我儿子回来)
_PLACE_WORD = re.compile(
    r"小区|社区|楼|栋|幢|单元|(?<!上)门|路|街|巷|弄|村|苑|园|庄|院|大厦|公寓|广场|市场|超市|商场|旁边|对面|附近|隔壁"
    r"|边上|(?<![这那哪家心])里|\d|[一二三四五六七八九十两]号")
_HOW_LONG = re.compile("多久|几点|什么时候|多长时间")  # (a question of when: answered, not added)
# Details of the visit (when she is home, the door, the floor, who has the key): more of the need just registered;
# other words (我孩子发烧了) are read as they are.
_AT_HOME_IN_DIALECT = "屋头|屋企|屋里|勿勒"  # (我屋头没得人, 阿拉下半天勿勒屋里: at home, in Sichuan, Canton, Shanghai)
_VISIT_DETAIL = re.compile("点|上午|下午|晚上|早上|中午|周末|明天|后天|以后|之前|在家|有人|没人|门|楼|层|电话|敲|钥匙|邻居|物业"
                           f"|{_AT_HOME_IN_DIALECT}|没得人|冇人|唔喺|冇喺|下半天|上半天|明朝|听日")
LIFT = "property.elevator"
# Someone shut in the lift (我被困在电梯里了, 电梯卡在两层中间 里面有人).
_TRAPPED = re.compile("困在|被困|困住|困人|关人|关在|卡在.{0,8}(里|中间)|出不来|(里面|里头)有人")
# She will come back with it (等一下我问问我儿子地址怎么写, 稍等我查一下): no place named, the step waits.
_LATER_OR_ASKING = re.compile("等一?下|等等|稍等|等会|待会|一会儿?|回头|问问|问一下|去问|查一下|找找|找一下")
# Where that names no place a member could find (就在我家, 你们知道的).
_HOME_ONLY = re.compile(r"(就|就是)?(在)?(我|俺|咱)?(家|家里|屋里|这儿|这里|这边|那儿|那里)?(你们)?(知道的?|晓得的?)?"
                        r"[啊呀吧呢的了。.!！~～\s]*")
_DONE_ALREADY = re.compile("已经|打了|叫了|关了|开了|到了|来了")  # (已经打了119，阀门也关了: no advice again)
# A question asked back where the address is asked (什么地址, 地址写什么; not 门口那个什么超市旁边).
_ASKS = re.compile("[吗？?]$|^(什么|啥|哪个|哪里|怎么|咋)|(写|填|说|告诉)(什么|啥|哪)|(什么|啥|哪|怎么|咋)[呢嘛]$")
# What makes words read as a status query one asked (我那个单子怎么样了; 什么时候来), not when to come told (晚上再来).
# When to come told, not asked (什么时候来都行; 几点都可以); a question mark or 吗 asks all the same.
_ANY_TIME = re.compile("(什么时候|啥时候|几点|哪天|随时)[^，,。？?]*(都|也)(行|可以|方便|有人|在家|成|中(?!午)|没事|没问题|ok)", re.IGNORECASE)
_ASKED = re.compile("[吗？?]")  # (嘛 is said, not asked: 什么时候来都可以嘛)
# What short words under a card tell of its need when they point to no item (坏了, 一直响, 在三楼), and what makes them
# another matter: someone named, something else too, or someone in trouble (老伴走丢了, 门也坏了, 老公不动了).
_TROUBLE_OR_WHERE = re.compile("坏|漏|堵|滴|渗|裂|松|响|臭|味|烫|冒|闪|不亮|不通|不转|不动|不热|不凉|不了|不上|不开|不进|不出"
                               "|一直|老是|总是|经常|又|还是|楼|层|单元|门口|屋里|家里|厨房|卫生间|厕所|阳台|客厅|卧室")
_ANOTHER_MATTER = re.compile("老伴|老头|老太|老公|爱人|孩子|小孩|儿子|女儿|孙子|孙女|妈|爸|奶奶|爷爷|外婆|外公|姥|宝宝|邻居|他|她"
                             "|人|也|不动|倒|躺|喘|晕|哭|血")
_A_QUESTION = re.compile("[吗嘛呢？?]|怎么|什么|啥|哪|谁|多少|多久")  # (not 几: 好几天了 tells, 几点来 asks — 点 too)
_A_STATUS_QUESTION = re.compile("[吗嘛呢？?]|怎么|什么|啥|多久|进度|到哪|几时|何时|没有?[来到修]|了没")
# What now, once her need is registered (那现在咋办, 接下来呢, 我还要做什么吗, 就这样了吗), or who will come and how to
# reach them (师傅电话多少, 谁来修): her ticket's next step answers it — not the introduction, nor a piece of a new need.
_THEN = "现在|然后|接下来|下一步|之后|那"
_TO_DO = "咋办|怎么办|怎么弄|咋弄|咋整|怎么整|干嘛|干啥|干什么|做啥|做什么|做些什么|怎么做|准备什么|准备啥"
_WHAT_NEXT = re.compile(
    rf"(那|那么|好的?|哦|噢|嗯|行)?[，,。\s]*("
    rf"({_THEN})(呢|我?(还)?(该|要|得|需要|应该)?({_TO_DO}))"  # (接下来呢, 那现在咋办, 然后我干嘛)
    rf"|我?(还)?(该|要|得|需要|应该)?({_TO_DO})"  # (我该怎么办, 还要我做什么 without 我 first)
    rf"|还要我({_TO_DO})|(就这样|这样就行|这样就好|我?等着就[行好]|等通知就[行好]|我?等着)了?"
    r"|(师傅|党员|志愿者|他|她|对方|接单的人?)的?(电话|手机号?|联系方式)(是|号码是)?(多少|几号|啥|什么)?"
    r"|(谁|哪位|哪个师傅)(来|会来|上门|负责|接单|来修|来办)|(师傅|他|她|接单的人?)(叫|是)(啥|什么|谁)(名字)?"
    r")[呢啊呀吗嘛了吧哈，,。？?！!～~…\s]*")


# At the phone step: words that mean "no number" (the 跳过 button sends the first); a local number typed
# without its area code, which a member in the same city can still call; and the words around a number
# that only label it (what is left is kept with the request).
SKIP_WORDS = (texts.BTN_SKIP, "不用", "不留", "不方便", "不需要", "不要", "没有", "无", "不知道", "不记得", "记不住", "忘了",
              "冇", "唔使", "唔记得", "莫得")  # (Cantonese, Sichuanese: matched on the Simplified text, see simplified)
_DIGITS = re.compile(r"\d{5,}")
_COMING = re.compile("来|上门|派人")
_PHONE_LABEL = re.compile(
    "|".join(SKIP_WORDS) + r"|了|我的|我家|手机号?|电话|号码|座机|联系方式|是|[\s\d\-－+，,。.：:!！~～]"
)
MIN_SUPPLEMENT_CHARS = 3
# What a resident may say at the address or phone step that is not an answer to it.
_ASIDES = ("status", "thanks", "greeting")


# Answers older residents type instead of pressing a button. Under 「对吗？」: yes, no (change it), or cancel; at
# the address step or under 「对吗？」, giving up (那算了吧, 不用了已经好了) — not an address, and not despair either.
# (said once or again: 对对对, 是的是的; thanked after: 对的，谢谢 — the card asks 「对吗？没问题请点「确认」」)
_YES_WORDS = (
    "对|對|对的|對的|是|是的|好|好的|嗯|嗯嗯|没错|沒錯|没问题|沒問題|行|可以|确认|確認|确定|確定|ok|OK|Ok"
    "|就这样吧|就这样|那就这样吧|那就这样|就这么办"  # (that's it: not despair, 就这样吧 read alone)
    "|系|系呀|系啊|啱|冇错|冇问题|得|得嘞|中|妥了|要得|没得问题|好额"  # (Cantonese 係 (Simplified 系), 冇問題, northern 得嘞 / 中,
    # Sichuanese 要得 / 没得问题)
)
_NO_WORDS = "不对|不對|不是|错了|錯了|不准|修改|改一下|改|(我)?(说|写|打|搞|弄)错了"  # (我说错了: a correction)
_THANKS_AFTER = r"([，,。！!~～\s]*(谢谢|謝謝|谢谢你|谢谢您|麻烦了|麻煩了|辛苦了|唔该|多谢))?"
_YES = re.compile(rf"({_YES_WORDS})[啊呀啦嘞哦]?([，,\s]*({_YES_WORDS})[啊呀啦嘞哦]?)*{_THANKS_AFTER}[。！!~～\s]*")
_NO = re.compile(rf"({_NO_WORDS})([，,\s]*({_NO_WORDS}))*[。！!~～\s]*")
_GIVE_UP_WORDS = (
    "算了|算啦|不要了|不要啦|不用了|不报了|不修了|不弄了|不办了|不需要了|取消|取消吧|撤销|不用麻烦了"
    "|唔使|唔要|勿要了|莫得事|冇事"  # (Cantonese 唔使喇 "no need", 冇事喇 "it's fine now": not despair either)
)
_GIVE_UP = re.compile(
    rf"(那|那就|就|哎|唉|嗯|还是|先|我看还是)?[,，\s]*({_GIVE_UP_WORDS})"
    rf"([吧啊呀了啦喇嘞,，。！!\s~～]|{_GIVE_UP_WORDS}|已经好了|好了|没事了|谢谢|唔该|自己弄|我自己弄|我自己想办法)*"
)


def typed_answer(text: str) -> str | None:
    """What a short typed answer under 「对吗？」 means: "yes", "no" (change it), "cancel", or None. (Read in
    Simplified: 對, 確認, 謝謝 as typed in Traditional.)"""
    words = simplified(text).strip()
    if _GIVE_UP.fullmatch(words):
        return "cancel"
    if _YES.fullmatch(words):
        return "yes"
    return "no" if _NO.fullmatch(words) else None


# Under the card the bot was unsure of: its 其他 typed (都不是, 都不像), or an item by its place (第一个, 第2个).
_OTHER_TYPED = re.compile("(点)?(其他|其它|都不是|都不像|都不对)[吧啊呀的。！!~～\\s]*")
# (never a bare digit nor 一个: they may mean anything, and an item chosen may be an emergency's)
_NTH_TYPED = re.compile("(选|点)?第([1-9一二三四五六七八九])(个|项|条|种)?[吧啊呀的。！!~～\\s]*")


# The categories shown in place of the card (修改, 不对, 返回): none of the card's items nor a category's on screen.
_CATEGORIES_SHOWN = {"categories_shown": True, "shown_items": None}


def choice_typed(text: str, state: dict[str, Any]) -> str | None:
    """What words typed under the card the bot was unsure of choose: "oth" (其他, 都不是), "it:<label>" (第一个: the
    item shown there, or of the category pressed since), "no" (都不对 under a card the bot was sure of, or 第一个 once
    the categories replaced the card: they are shown), or None (under a card the bot was sure of, 确认 / 修改 are its
    words)."""
    words = simplified(text).strip()
    nth = _NTH_TYPED.fullmatch(words)
    place = "123456789一二三四五六七八九".index(nth.group(2)) % 9 if nth else 0
    if nth and (items := state.get("shown_items")):
        return f"it:{items[place]}" if place < len(items) else None
    if nth and state.get("categories_shown"):
        return "no"  # (the card's items were rejected and are off screen: the categories again, to press)
    if state.get("label") and (state.get("confident") or state.get("urgent")):
        return "no" if _OTHER_TYPED.fullmatch(words) else None  # (都不对: there was one item, and it is wrong)
    if _OTHER_TYPED.fullmatch(words):
        return "oth"
    shown = state.get("top3") or []
    if nth and place < len(shown):
        return f"it:{shown[place]}"
    return None


_STARS = re.compile(r"([1-5一二三四五两兩俩])\s*(星|颗星|顆星|粒星|分|[颗顆个粒]?⭐+)?[。！!~～ ]*")  # (两: two; 粒: Cantonese)
_STAR_EMOJI = re.compile(r"(⭐\s*){1,5}[。！!~～ ]*")  # (the rating buttons' own ⭐⭐⭐⭐⭐, typed)
# A star count followed by one of these is a name, not a rating (三星电视, 五星小区, 三星的冰箱; 一星期: a week).
_STAR_NAMES = "期|的(?![吧啊呀哈了，,。.！!~～\\s]|$|评|好评)|电视|冰箱|空调|手机|洗衣机|显示器|笔记本|小区|花园|酒店|宾馆|饭店|级|城|广场|公寓|大厦|家园|苑|路|街"
# A star count inside a few words (5星好评, 给五星, 一星，灯还是不亮, 5分吧): 分 only at the end of a phrase (not 5分钟).
_STAR_COUNT = re.compile(rf"(?<![0-9])([1-5一二三四五两俩])\s*(?:(?:星|颗星|粒星|[颗个粒]?⭐+)(?!{_STAR_NAMES})"
                         r"|分(?=$|[吧啊呀哈了，,。.！!~～\s]))")
# A star count that opens the message, its reason after a separator (一星，灯还是不亮，一开灯就跳闸): a rating at any length
# (一星期… has no separator after 星).
_STARS_FIRST = re.compile(  # (not 三星 冰箱不制冷了: a brand before its appliance)
    rf"([1-5一二三四五两俩])\s*(?:星|颗星|粒星|[颗个粒]?⭐+|分)[，,。.！!~～\s]+(?!{_STAR_NAMES})\S")
# A star count in words of any length, its reason before or after it (挺好的 就是来晚了点 给4星吧; 给4星，不过他把地板弄脏了;
# 师傅来得挺快 4星 就是没带鞋套): a separator or 给/打/评/个 before it (not 三星 after a word: 我家冰箱是三星), no name
# after it (三星的冰箱, 五星小区, 一星期); 分 only closing the words (not 5分钟).
_STARS_TOLD = re.compile(
    r"(?:^|[，,。.！!~～\s]|给|打|评|个)\s*([1-5一二三四五两俩])\s*"
    rf"(?:(?:星|颗星|粒星|[颗个粒]?⭐+)(?!{_STAR_NAMES})|分(?=[吧啊呀哈了，,。.！!~～\s]*$))的?[吧啊呀哈]*")
# The words that carry a star count on either side of it (那就给, 吧): not the comment.
_CARRIERS_BEFORE = " ，,。.！!~～　我就那个给給打评評"
_CARRIERS_AFTER = " ，,。.！!~～吧啊呀哈了"
_RATING_WORDS = re.compile(  # (words of a verdict on the work: the stars are shown again, 1–2 reopen it)
    "满意|滿意|好评|好評|差评|差評|打分|颗星|粒星|还行|還行|一般般|满分|很好|挺好|不错|蛮好"
    "|没修好|没弄好|没有修好|还没好|还是不亮|还是坏|还是不行|还是漏|还在漏"
    f"|[1-5一二三四五两兩俩]星(?!{_STAR_NAMES})"
)
# The words around a star count that only carry it (给五星吧): what else is left is the rating's comment.
_AROUND_STARS = re.compile(r"^[给打我就吧啊呀哈了，,。.！!~～\s]+|[给打吧啊呀哈了，,。.！!~～\s]+$")
RATING_WORDS_MAX_CHARS = 12  # (a longer message is a need of its own, even one that says 不满意)


def _star_words(text: str) -> str:
    """Words typed about a rating as they are read: Simplified, trimmed, ⭐️ as ⭐ (its emoji presentation selector)."""
    return simplified(text).strip().replace("\ufe0f", "")


def _count(numeral: str) -> int:
    return int(numeral) if numeral.isdigit() else 2 if numeral in "两兩俩" else "一二三四五".index(numeral) + 1


def stars_typed(text: str) -> int | None:
    """Stars typed instead of pressed (5, 五星, 4分, one count in a few words: 5星好评, or opening words of any length:
    一星，灯还是不亮，一开灯就跳闸), or 0 for
    short words of a rating that give none (很满意, 不满意 灯还是不亮, 没修好: the buttons are shown again), None for
    other words."""
    # (５星 typed in full width, 五顆星 in Traditional; ⭐️: the star with its emoji presentation selector)
    words = _star_words(text)
    if _STAR_EMOJI.fullmatch(words):
        return words.count("⭐")
    if match := _STARS.fullmatch(words):
        return _count(match.group(1))
    if match := _STARS_FIRST.match(words):
        return _count(match.group(1))
    if (match := _STARS_TOLD.search(words)) and _told_count(words) and not _BESIDES_TOLD.search(words) and not (
            disputes_the_work(words)):  # (给5星 就是师傅走了以后水管又漏了: the stars asked again, her words kept)
        return _count(match.group(1))
    short = len(words) <= RATING_WORDS_MAX_CHARS
    if short and len(counts := {_count(n) for n in _STAR_COUNT.findall(words)}) == 1:  # (5星好评，五星: one count, twice)
        return counts.pop()
    rated = short and bool(_RATING_WORDS.search(words)) and not _BESIDES_TOLD.search(words)  # (满意，另外水管也漏了: a need)
    return 0 if rated or disputes_the_work(words) or dispute_and_need(words) else None


# The work told as not done, of a ticket just marked done (师傅根本没来过，怎么就办结了？灯还是不亮): under the rating card,
# words of its rating however long or short — not a need of its own, nor a question about the ticket; unless another
# need is told besides (另外厨房水管也漏了, 还有卫生间的灯也坏了, 楼下王奶奶家的水管也还在漏: that one is registered).
_FALSE_DONE = ("没(有)?来过|没(有)?人来|(根本|压根|一直|到现在|至今)(都|也|就)?没(有)?(人)?(来|管)|人(都|也)没来|来都没来"
               "|没见(到)?(人|师傅)|没(有)?上(过)?门|没进(过)?门|(怎么|咋)(就)?(办结|结了|完成)|就办结了|糊弄|敷衍|瞎填|乱填|瞎搞"
               "|没人管")
_DISPUTED = re.compile(f"{_FALSE_DONE}|没有?修好|没弄好|根本没(修|弄|管|处理)|(还是|一直|又|还)不(亮|行|通|转|出水)|(还是|又)坏"
                       "|(还是|还在|又)漏")
# (the 办结 itself said to be false: under the card however the classifier reads the words, not another item's need)
_DONE_FALSELY = re.compile(_FALSE_DONE)
_BESIDES_WORDS = ("另外", "还有", "顺便", "再就是")
_BESIDES_TOLD = re.compile("另外|还有(?!点|些|没有|没人)|顺便|再就是|[^，,。！!？?\\s]{2,}也(还)?(坏|漏|不亮|堵|不通|不行|在漏)")
DISPUTE_MAX_CHARS = 200


def disputes_the_work(text: str) -> bool:
    """Whether words typed under the rating card say the work was not done (see _DISPUTED), and nothing besides."""
    words = _star_words(text)
    return len(words) <= DISPUTE_MAX_CHARS and bool(_DISPUTED.search(words)) and not _BESIDES_TOLD.search(words)


def disputes_the_done(text: str) -> bool:
    """Whether words under the rating card say the 办结 was false (师傅根本没来过, 怎么就办结了), nothing besides: they are
    the rating's whatever item the classifier reads in the rest (灯还是不亮，开关一按就跳闸)."""
    return disputes_the_work(text) and bool(_DONE_FALSELY.search(_star_words(text)))


def dispute_and_need(text: str) -> tuple[str, str] | None:
    """Words under the rating card that say the 办结 was false, then tell another need after 另外 / 还有 / …也坏了
    (师傅根本没来过，还有卫生间的灯也坏了): the two parts, as typed — the first is the rating's, the second a need to
    register; None for other words."""
    typed = text.strip()
    plain = simplified(typed)  # (as long as what was typed: its positions are the typed words')
    besides = _BESIDES_TOLD.search(plain)
    if besides is None or len(plain) > DISPUTE_MAX_CHARS:
        return None
    cut = besides.start()
    if not besides.group().startswith(_BESIDES_WORDS):  # (…卫生间的灯也坏了: from its clause on)
        cut = max(plain.rfind(mark, 0, cut) for mark in "，,。；; ") + 1
    disputed, need = typed[:cut].strip(" ，,。；;"), typed[cut:].strip(" ，,。；;")
    return (disputed, need) if disputed and need and disputes_the_done(disputed) else None


_SLIP = re.compile("点错|按错|手滑|点歪")  # (the stars pressed by mistake, said in any words)
# 打错了 / 搞错了 said of herself: only in a few words or with the stars meant (师傅搞错了，修的是隔壁楼的灯 is the complaint).
_SLIP_SAID = re.compile("(我|不好意思|抱歉|对不起)?[，,。 ]*(打错|弄错|搞错)")
SLIP_MAX_CHARS = 6
# The words of a correction around the stars meant (点错了，应该是五星): what else is left is the new rating's comment.
_SLIP_WORDS = re.compile(r"(不好意思|抱歉|对不起)?[，, ]*我?(点错|按错|打错|弄错|搞错|手滑|点歪)了?"
                         r"|应该是|应该|本来想|本来要|想打|要打|(?<=[，, ])是(?=\s|$)")
# The stars meant with the verbs and particles that carry them (我想给五星, 要五星, 本来是想点五星的).
_STARS_MEANT = re.compile(rf"我?(本来|其实)?就?是?(想|要)?(给|点|打|评|改成|改为)?\s*(?:{_STAR_COUNT.pattern})\s*[的吧啊呀哈了]*")
# What is left of a correction's words when nothing else was said (a 想, a 要 的): no comment.
_CORRECTION_SCRAPS = re.compile(r"[我想要给点打评改成为是本来其实那就的吧啊呀哈了，,。.！!~～\s]*")


# A low rating meant, said in words with the slip after a good one (点错了，应该是差评，灯根本没修好): the lowest.
_LOW_MEANT = re.compile("(?<!不是)(?<!不算)差评|不满意|最低|没有?修好|没弄好|根本没|还是不|还是坏|还在漏")
# Words under the rating card that the work was not done or not well (the stars are still asked): kept, said so.
_UNHAPPY = re.compile(f"{_LOW_MEANT.pattern}|没人?来|(?<!不)太?差劲?|不行")


def _told_count(words: str) -> int:
    """The one star count in words (点错了，应该是五星，师傅修得很好 → 5), else 0."""
    counts = {_count(n) for n in _STAR_COUNT.findall(words)}
    return counts.pop() if len(counts) == 1 else 0


def slipped_low(text: str) -> int:
    """The 1–2 stars words say a good rating was a slip for (点错了，应该是一星; 点错了，应该是差评 → 1), else 0."""
    words = _star_words(text)
    if not says_slip(words):
        return 0
    low = _told_count(words) or (1 if _LOW_MEANT.search(words) else 0)
    return low if low <= 2 else 0


def says_slip(text: str) -> bool:
    """Whether words say the stars were pressed by mistake (点错了，应该是五星; 搞错了), not that the work was wrong."""
    words = _star_words(text)
    return bool(_SLIP.search(words) or (_SLIP_SAID.match(words) and (
        len(words) <= SLIP_MAX_CHARS or _told_count(words))))


def corrected_stars(text: str, rated: int, asked: bool = False) -> int | None:
    """The stars words at the comment step correct the rating to (点错了，应该是五星; 5星 typed right after 1 ⭐; a bare
    5, or a count in a few words as 那就五星吧, when 「您想打几星？」 was `asked`), 0 for a slip said without them (点错了),
    None for no correction."""
    words = _star_words(text)
    if says_slip(words):
        return _told_count(words)
    if asked and (match := _STARS.fullmatch(words)):
        return _count(match.group(1))
    if asked and len(words) <= RATING_WORDS_MAX_CHARS and (told := _told_count(words)):
        return told  # (五星吧, 那就五星吧, 五星，谢谢: the answer in a few words)
    return stars_typed(words) if stars_alone(words) and stars_typed(words) != rated else None


def correction_words(text: str) -> str:
    """The words typed with a correction besides it (点错了，应该是五星，师傅修得很好 → 师傅修得很好): the new comment."""
    words = _star_words(text)
    rest = _AROUND_STARS.sub("", _SLIP_WORDS.sub(" ", _STARS_MEANT.sub(" ", words))).strip(" ，,。.！!")
    return "" if _CORRECTION_SCRAPS.fullmatch(rest) else rest


def stars_alone(text: str) -> bool:
    """Whether words are nothing but a star count with its unit (五星, 5星, ⭐⭐⭐⭐⭐): no address or phone, even at those
    steps (a bare 5 may be one)."""
    words = _star_words(text)
    return bool(_STAR_EMOJI.fullmatch(words) or ((match := _STARS.fullmatch(words)) and match.group(2)))


def stars_first(text: str) -> bool:
    """Whether words open with a star count and then give its reason (一星，一开灯就跳闸): a rating even when the reason
    reads as a request of the same trouble."""
    return bool(_STARS_FIRST.match(_star_words(text)))


def words_with_stars(text: str) -> str:
    """The words typed with a star count (一星，灯还是不亮 → 灯还是不亮; 给五星吧 → none): the rating's comment."""
    words = _star_words(text)
    if _STAR_EMOJI.fullmatch(words) or _STARS.fullmatch(words):
        return ""
    match = _STARS_TOLD.search(words) or _STAR_COUNT.search(words)
    if match is None:
        return words
    # (给4星 就是来晚了 → 就是来晚了; 师傅来得挺快 4星 就是没带鞋套 → 师傅来得挺快，就是没带鞋套: the words as typed,
    # full width and Traditional kept, where reading them kept their places)
    typed = text.strip()
    said = typed if len(typed) == len(words) else words
    before, after = said[:match.start()].rstrip(_CARRIERS_BEFORE), said[match.end():].lstrip(_CARRIERS_AFTER)
    return "，".join(part for part in (before, after) if part)


# Under the duplicate question: the same matter denied (不一样, 不是一样的, 不太一样, 不是那件事; not 是不是那个, asked).
_NOT_THAT_ONE_WORDS = "不(是|太|大|完全|怎么)?一样|(?<!是)不是(那|这)(件|个)"
_NOT_THAT_ONE = re.compile(_NOT_THAT_ONE_WORDS)
# The words of 仍要新建 there, or that it is another matter (是另一件事, 不是一回事, 不太一样).
_NEW_ANYWAY = re.compile(f"新建|另一件|另外一件|不是一回事|不是一件事|不是同一|两回事|{_NOT_THAT_ONE_WORDS}")


# The other answer there: the same matter (是同一件事, 一样的, 就是那件事), or no new one (不用新建了, 不是另一件事);
# never when the same is denied (不是一样的: the negation looks further back than one character).
_SAME_MATTER = re.compile(
    "(?<!不是)(同一件|同一个|一回事)|一样|就是(那|这)(件|个)"
    "|(不|不用|不要|别|没|没有|无需|不需要)(再)?(新建|是另一件|是另外一件|另一件|另外一件)")


def new_anyway(text: str) -> bool:
    """Whether short words under 「如果这是另一件事，请点「仍要新建」」 say so: what 仍要新建 does."""
    words = simplified(text).strip()
    if _NOT_THAT_ONE.search(words) and _ASKED.search(words):
        return False  # (不是一样的吗？ asks back whether it is the same: neither answer, the question stays)
    return (len(words) <= MAX_PIECE_CHARS and bool(_NEW_ANYWAY.search(words)) and not _GIVE_UP.fullmatch(words)
            and not same_matter(words))


def same_matter(text: str) -> bool:
    """Whether short words under that question say it is the matter already reported: what 好的 / 算了 do there."""
    words = simplified(text).strip()
    return (len(words) <= MAX_PIECE_CHARS and bool(_SAME_MATTER.search(words))
            and not _NOT_THAT_ONE.search(words))


_WITHDRAWN = re.compile("不报|不修|不弄|不办|取消|撤销|好了|没事|冇事|莫得事")
_LET_IT_GO = re.compile("算了|算啦")  # (at the phone step, with no 不用: the request, not the phone)  # (at the phone step, 不用了 alone skips the phone)


def gives_up(text: str, step: str) -> bool:
    """Whether words at the address or phone step give the request up (那算了吧, 算了 不报了, 不用了已经好了); at
    the phone step only words that withdraw the request itself (不用了 there means no phone)."""
    words = simplified(text).strip()
    return bool(_GIVE_UP.fullmatch(words)) and (
        step == "address" or bool(_WITHDRAWN.search(words)) or (bool(_LET_IT_GO.search(words)) and "不用" not in words))


# The words around an address told on its own (地址是…, 我家在…, 就在…): not a need.
_ADDRESS_WORDS = re.compile(r"[\s，,。.：:！!~～]|地址|住址|我们家|我家|我的|家住|住在|住|就在|在|就是|是|这里|这边")


_YES_FIRST = re.compile(rf"({_YES_WORDS})[，,。！!\s]+")
# A correction of the address (不对，是5号楼; 不是3号楼，是5号楼): a separator after the no-word (not 改革路5号).
_NO_FIRST = re.compile(rf"({_NO_WORDS})[，,。！!\s]+|不是(?=\d|[一二三四五六七八九十两]+\s*[号栋幢单])")
# What an address has none of and a need almost always has (坏了, 不亮, 没水, 漏, 堵…): 3号楼2单元电梯也坏了 is a need.
_ROOM_NUMBER = re.compile(r"(?<!\d)\d{3,4}(?!\d)")
_THING_OF = re.compile(r"(号楼|栋|幢|单元|室|\d)的")
_NEED_WORDS = re.compile("[了不没坏漏堵修要想需请帮吗呢吵臭]|着火|冒烟")
# ...and after a house number, where the need goes on (…2单元楼道里好大煤气味: not 烟厂宿舍3号楼, whose 烟 names the place)
_NEED_AFTER_WHERE = re.compile(f"{_NEED_WORDS.pattern}|[味烟响滴渗晕摔疼痛]")


# The need shown said to be wrong, with the right one (不是楼道灯，是厨房水管漏水了): a retelling that
# replaces the card, not another need kept for after it.
# (不对，… with its separator is already a typed no: says_no_first)
_CORRECTS_NEED = re.compile("^不是[^，,。；;是]{1,10}[，,。；;\\s]*(而|其实|应该)?是.")
# Said without the second 是 (不是楼道灯，厨房水管漏水了; 不是楼道灯的问题，…): only when the words denied are the need
# shown (不是我说，… opens a sentence and denies nothing).
# (不是光楼道灯，… / 不是只有 / 不只: not only that need — another besides it, not a correction)
_DENIES_NEED = re.compile("^不是(?!光|只|仅|单|就)([^，,。；;]{1,10}?)(的问题|的事情|的事|的)?[，,。；;\\s]+.")


def corrects_need(text: str, shown: str = "") -> bool:
    """Whether words under 「对吗？」 say the need shown is wrong and tell the right one (不是楼道灯，是厨房水管漏水了;
    不是楼道灯，厨房水管漏水了 when `shown`, the card's words and item, has 楼道灯)."""
    words = simplified(text).strip()
    if _CORRECTS_NEED.search(words):
        return True
    denied, shown = (found := _DENIES_NEED.match(words)) and found.group(1), simplified(shown)
    return bool(denied) and (denied in shown or any(denied[i:i + 2] in shown for i in range(len(denied) - 1)))


# The words that only say the need shown was wrong (不对 是…, 不是电视 是…): what follows is the need told right.
_CORRECTION_LEAD = re.compile(rf"^(?:(?:{_NO_WORDS})[，,。！!\s]+(?:应该|其实)?是?|不是[^，,。；;是]{{1,10}}[，,。；;\s]*(?:而|其实|应该)?是)")


def without_correction(text: str) -> str:
    """The need told in a correction, without the words that correct (不对 是厨房水管漏了 → 厨房水管漏了; 不是电视 是冰箱不
    制冷 → 冰箱不制冷): what the member reads. The words as typed when nothing is left."""
    typed = text.strip()
    lead = _CORRECTION_LEAD.match(simplified(typed))
    rest = typed[lead.end():].strip(" ，,。") if lead else ""
    # (不是很确定，是不是燃气漏了: a doubt, not a correction — 是不是 stays)
    return rest if len(rest) >= 2 and not simplified(rest).startswith(("不是", "否")) else typed


def says_no_first(text: str) -> bool:
    """Whether words open with a no (不对，…; 不是…): under 「对吗？」, a correction."""
    return bool(_NO_FIRST.match(simplified(text).strip()))


def address_only(text: str) -> tuple[str, bool, bool] | None:
    """An address told on its own under 「对吗？」 (地址是幸福里小区3号楼2单元502, 在幸福里3号楼2单元502), or after a yes
    (对的，地址是…), or as a correction (不对，是5号楼): the address without those words, whether a yes came first, and
    whether a correction did; None for other words. (Whether the words are a need told with its address,
    3号楼2单元电梯坏了, the router asks the classifier.) Read in Simplified; the address kept as typed (乾县 stays)."""
    typed = text.strip()
    plain = simplified(typed)
    yes = _YES_FIRST.match(plain)
    no = None if yes else _NO_FIRST.match(plain)
    lead = yes or no
    words, plain_words = (typed[lead.end():], plain[lead.end():]) if lead else (typed, plain)
    if trailing := numbers.number_after_address(plain_words):
        if numbers.phone_in(trailing.group()):
            return None  # (和平里3号楼2单元302 84561234: her phone beside it, see phone_only)
        # (…501 1391234567: a number mistyped is no part of where; the phone step asks for it)
        words, plain_words = words[:trailing.start()], plain_words[:trailing.start()]
    part = numbers.address_in(words)
    if part is None or numbers.dialled_phone_in(part):
        return None  # (和平里3号楼2单元501 13912345678: her phone beside it, see phone_only)
    plain_part = simplified(part)
    rest = plain_words
    for clause in plain_part.split("，"):  # (address_in joins its clauses with ，)
        rest = rest.replace(clause, "", 1)
    if _ADDRESS_WORDS.sub("", rest) or _NEED_WORDS.search(plain_part) or (no and _THING_OF.search(plain_part)):
        return None  # (不对，是5号楼的电梯: a correction of the need, not of where)
    said = re.match(r"(我的|我们家|我家)?(地址|住址)?(是|系|在|就在|住在|家住)?[：:\s]*", plain_part)  # (係: is)
    address = part[said.end():].strip()
    return (address, yes is not None, no is not None) if address else None


# The words that only say whose number it is (我家电话是, 我儿子电话, 座机, 有事打我电话), and a correction of one told
# before (电话错了，是…).
_PHONE_TOLD = re.compile(
    r"(我们家|我家|家里|我的|我|俺|有事)?的?(儿子|女儿|闺女|孙子|孙女|老伴|爱人|老公|老婆|孩子|家里人)?的?(打|联系|找)?(我)?的?"
    r"(手机号码|手机号|手机|电话号码|电话|号码|联系电话|联系方式|座机号?|固话)?(写|说|打)?(错了)?[，,。\s]*(是|系|：|:)?")
_PHONE_LABEL_WORDS = re.compile("手机|电话|号码|座机|固话|联系方式")
_PHONE_LABEL_AFTER = re.compile(  # (…502 电话, …501 我女儿电话)
    "[，,\\s]*(我的|我|我家|我们家)?(儿子|女儿|闺女|老伴|爱人|老公|老婆|孩子|家里人)?的?(联系)?"
    "(手机号码|手机号|手机|电话号码|电话|座机)(是|：|:)?$")
# Beside a number told under the card: who she is (我叫王秀英, 王阿姨, 联系人张阿姨) and thanks or haste (谢谢, 麻烦了,
# 尽快来) are left out (offers show the request's words); anything else said goes with the request (下午在家, 1楼,
# 我是独居老人), unless the whole message is a need (the router reads it as one).
_WHEN_HOME = re.compile(r"((上午|下午|中午|晚上|白天|早上|周末|平时|工作日)?([\d一二三四五六七八九十两]+点)?(以后|之后|后|以前|之前|前)?"
                        r"(都|一般)?(在家|有人|方便|都行|可以))|随时(都)?(可以|行|方便)")
_NAMED = re.compile(r"(我|本人)(叫|姓)[^，,。\d]{1,6}|联系人[:：]?(?![^，,。]*[不没在是])[\u4e00-\u9fff]{2,3}"
                    r"|[小老]?[\u4e00-\u9fff](阿姨|叔叔|大爷|大妈|奶奶|爷爷|师傅|先生|女士|老师|大姐|大哥)")
_COURTESY = re.compile(r"(谢谢|谢了|多谢|麻烦了|麻烦你了|麻烦您了|辛苦了|唔该|尽快|快点|尽快来|早点来|快来)[吧啊呀了哈!！~～]*")
_CORRECTS = re.compile("不是|不对|说错了|是")  # (a clause that corrects the need: 不是灯坏了, 是电梯)
_PHONE_CLAUSES = re.compile(r"[，,。；;！!]+")  # (not spaces: 138 1234 5678)
_PHONE_ASIDE_CHARS = 40  # (more beside the number: not only a phone told)


class PhoneTold(NamedTuple):
    phone: str
    yes: bool  # (a yes came first: 对的，我电话…)
    aside: str  # (when she is home, another number: goes with the request)
    address: str  # (where, told beside it: 电话138…，12-2-1203)


def phone_only(text: str) -> PhoneTold | None:
    """A phone number told under 「对吗？」 or when the address is asked (我电话13812345678, 我家座机66668888, 对的，我
    儿子电话是…; 不对，电话是139… to correct one told before), with what was said beside it; None for other words — the
    need corrected or told (不对，是电梯，电话138…), an address alone (12-2-1203), a meter's number (电表号12345678)."""
    plain = simplified(text.strip())
    yes = _YES_FIRST.match(plain)
    lead = yes or _NO_FIRST.match(plain)
    phone, aside, address = None, [], ""
    for clause in (c.strip() for c in _PHONE_CLAUSES.split(plain[lead.end():] if lead else plain)):
        number, rest = phone_in(clause)
        if phone is None and number is not None and (numbers.PHONE_NUMBER.search(number)
                                                     or _PHONE_LABEL_WORDS.search(clause)
                                                     or (numbers.number_after_address(clause)
                                                         and address_only(rest.strip()))):  # (…302 84561234)
            told = _PHONE_TOLD.match(rest.strip())  # (the first number is hers: what is before it says whose)
            after = rest.strip()[told.end():].strip() if told else rest.strip()
            # (13812345678 幸福里3号楼2单元502, 地址是…502 电话138…: her address beside it, no comma between)
            where = address_only(_PHONE_LABEL_AFTER.sub("", after)) if after and not address else None
            if where:
                address, after = where[0], ""
            if after and not (_WHEN_HOME.fullmatch(after) or _COURTESY.fullmatch(after)):
                return None  # (楼道灯坏了 13812345678: the need, told with a number)
            phone = number
            if after and _WHEN_HOME.fullmatch(after):
                aside.append(after)
        elif not clause or _NAMED.fullmatch(clause) or _COURTESY.fullmatch(clause) or _PHONE_TOLD.fullmatch(clause):
            continue
        elif not address and (where := address_only(clause)):
            address = where[0]
        elif not _WHEN_HOME.fullmatch(clause) and ((lead and not yes) or (phone is None and _CORRECTS.match(clause))):
            return None  # (不对，是电梯，电话138…; 不是灯坏了，是…: the need corrected)
        else:
            aside.append(clause)
    said = "，".join(aside)
    if phone is None or len(said) > _PHONE_ASIDE_CHARS:
        return None
    return PhoneTold(phone, yes is not None, said, address)


def only_where_and_phone(told: PhoneTold) -> bool:
    """Whether a phone told under 「对吗？」 came with nothing but where (ending with its house number) and whose number
    it is: no words besides that could tell a danger (…501 我女儿电话138…, not …501 有人砸我家门 138…)."""
    return not told.aside and (not told.address or numbers.ends_with_house_number(told.address))


def another_need_beside(beside: Classification, label: str | None) -> bool:
    """Whether the words told beside a phone (read alone: the number would hide them) are an emergency or another need
    than `label`'s, even one the bot is unsure of (老人在家摔倒了, 楼上楼下都在漏水) — not more of it (3楼楼道灯不亮)."""
    return bool(beside.urgent_signals) or of_another_item(beside, label, even_unsure=True)


def phone_in(text: str) -> tuple[str | None, str]:
    """A phone number typed at the phone step (digits or Chinese numerals), and the rest of the message."""
    phone = numbers.phone_in(text)
    if phone is None:
        return None, text.strip()
    if phone in text:  # (as typed: the room before it stays, 302 84561234)
        return phone, " ".join(text.replace(phone, " ", 1).split())
    return phone, numbers.without_phones(text)


# ── area (社区 / 网格) ────────────────────────────────────────────────────────────────────────────
AREA_THEN_STATS = "stats"  # (a resident asked /stats before choosing: show them once the grid is saved)


async def ask_area(
    update: Update, context: ContextTypes.DEFAULT_TYPE, then: str | None = None, lead: str | None = None
) -> None:
    """Show the communities (or the grids, when there is one community), after `lead`."""
    choices = await query(context, geography.area_choices, None)
    await reply(update, f"{lead}\n{texts.CHOOSE_AREA}" if lead else texts.CHOOSE_AREA, keyboards.areas(choices, then))


def _area_gone(session: Session, telegram_id: int, state: dict[str, Any], now_: Any) -> bool:
    """Whether the resident's grid left the geography file: the draft is kept, back at the area step."""
    if members.home_grid(session, members.ensure_person(session, telegram_id, now_)) is not None:
        return False
    drafts.save_draft(session, telegram_id, INTAKE, state | {"step": "area"}, now_)
    return True


async def _ask_area_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Their grid left the file: the request is kept, and once an area is chosen it goes on (an urgent one opened)."""
    await reply(update, texts.AREA_GONE, ReplyKeyboardRemove())
    await ask_area(update, context)


def _choose_area(session: Session, telegram_id: int, name: str, code: str, now_: Any) -> dict[str, Any]:
    node = geography.get_node(session, code)
    if node.level != GeoLevel.grid:
        pending = drafts.get_draft(session, telegram_id, INTAKE)
        if pending is not None and pending.get("step") == "area":  # (her grid may then be typed the short way)
            drafts.save_draft(session, telegram_id, INTAKE, pending | {"area_community": node.code}, now_)
        return {"grids": geography.area_choices(session, node.code)}
    members.set_home_grid(session, telegram_id, node.code, now_)
    community = geography.get_node(session, node.community_code) if node.community_code else node
    pending = drafts.get_draft(session, telegram_id, INTAKE)
    if pending is not None and pending.get("step") == "area":  # (its card is shown now: it waits for 确认)
        pending["step"] = "confirm"
        drafts.save_draft(session, telegram_id, INTAKE, pending, now_)
        if pending.get("urgent"):  # (opened with the area, before any answer that Telegram may lose)
            pending = _open_urgent_ticket(session, telegram_id, name, pending["token"], now_)
    elif not (pending is not None and pending.get("ticket_id") and pending.get("step") in ("address", "phone")):
        pending = None  # (else an urgent ticket opened by an earlier press whose answer was lost: told again)
    return {"grid": node.name, "community": community.name, "pending": pending}


async def area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A community opens its grids; a grid is saved, and a request typed before continues."""
    await answer(update)
    code, *rest = callback_args(update)
    then = rest[0] if rest else None
    if code == keyboards.CHANGE_AREA:
        await edit(update, texts.CHOOSE_AREA, keyboards.areas(await query(context, geography.area_choices, None)))
        return
    user = update.effective_user
    result = await act(context, _choose_area, user.id, display_name(user), code, now())
    if "grids" in result:
        await edit(update, texts.CHOOSE_AREA_AGAIN, keyboards.areas(result["grids"], then))
        return
    pending = result["pending"]  # (a need told before the area was chosen)
    await edit(update, texts.area_saved(result["grid"], result["community"], need_told=pending is not None))
    if then == AREA_THEN_STATS:
        from bot.handlers.coordinator import stats_command

        await stats_command(update, context)
    if pending:
        await _show_understanding(update, context, pending)


def _area_in_words(session: Session, telegram_id: int, text: str, now_: Any) -> dict[str, Any]:
    """Words typed where the area buttons wait (我住和平路小区5号楼): the one community or grid they name (code and name,
    or none), and the address they tell, kept for the need waiting (not asked again after the area)."""
    plain = simplified(text)
    state = drafts.get_draft(session, telegram_id, INTAKE)
    at_step = state is not None and state.get("step") == "area"
    # (第一网格 once her community was named: its grid, told the short way)
    within = state.get("area_community") if at_step else None
    named = geography.areas_named(session, plain) or (geography.grids_named_within(session, within, plain) if within else [])
    grids = [n for n in named if n.level == GeoLevel.grid]
    chosen = grids if grids else [n for n in named if n.level == GeoLevel.community]
    area = (chosen[0].code, chosen[0].name) if len(chosen) == 1 else None
    address = numbers.address_in(text)
    kept = bool(address and at_step and not state.get("address"))
    if kept:  # (the community named is kept by _choose_area, as when pressed)
        state["address"] = address
        drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return {"area": area, "address": address if kept else None}


async def area_words(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Words typed instead of pressing an area button: the community they name opens its grids (a grid named is chosen),
    as pressed; else the buttons again. An address told is kept for the need."""
    user = update.effective_user
    found = await act(context, _area_in_words, user.id, text, now())
    kept = texts.address_kept(found["address"]) if found["address"] else ""
    if found["area"] is None:
        await ask_area(update, context, lead=kept + texts.CHOOSE_AREA_WITH_BUTTONS)
        return
    code, name = found["area"]
    result = await act(context, _choose_area, user.id, display_name(user), code, now())
    if "grids" in result:
        await reply(update, f"{kept}{texts.area_named(name)}\n{texts.CHOOSE_AREA_AGAIN}", keyboards.areas(result["grids"]))
        return
    await reply(update, kept + texts.area_saved(result["grid"], result["community"], need_told=result["pending"] is not None))
    if result["pending"]:
        await _show_understanding(update, context, result["pending"])


# ── a new request ─────────────────────────────────────────────────────────────────────────────────
def _new_intake(
    session: Session, telegram_id: int, name: str, state: dict[str, Any], now_: Any, written_at: Any = None,
    registered: bool = False,
) -> dict[str, Any]:
    """Save the request as the intake draft; find the resident's own open ticket for the same need,
    or whether they have opened too many tickets this hour (urgent requests skip both: their ticket is opened here,
    before any answer that Telegram may refuse, its time limits from `written_at`: the resident has waited since).
    `registered`: the words were kept for 登记为诉求; they are forgotten only now, once the intake holds them (a failure
    before leaves the button working)."""
    person = members.ensure_person(session, telegram_id, now_, name=name)
    drafts.clear_draft(session, telegram_id, PIECES)  # (told: the words before it are not read with what follows)
    if registered:
        drafts.clear_draft(session, telegram_id, NOT_UNDERSTOOD)
    found: dict[str, Any] = {"has_area": members.home_grid(session, person) is not None, "duplicate": None,
                             "limited_until": None}
    if found["has_area"] and not state["urgent"] and not state.get("duplicate_answered"):
        original = duplicates.find_own_duplicate(session, telegram_id, state["label"], state["text"], now_)
        if original is not None:
            state["duplicate_of"] = original.id
            found["duplicate"] = duplicates.own_ticket(session, telegram_id, original.id)
        else:
            # A warning ahead: the check at submission counts again, under the person's lock.
            found["limited_until"] = abuse.ticket_limit_until(session, telegram_id, now_, lock=False)
    state["step"] = "duplicate" if found["duplicate"] else "confirm" if found["has_area"] else "area"
    if not found["has_area"] and state["urgent"]:
        # (no grid, no ticket yet: the top coordinators hear of it now, once — the ticket follows the area's button)
        earlier = drafts.get_draft(session, telegram_id, INTAKE) or {}
        told_before = earlier.get("alerted") and earlier.get("text") == state["text"]  # (the same words again)
        state["alerted"] = bool(told_before) or tickets.alert_unplaced(
            session, telegram_id, state["text"], state["hotlines"], now_, resident_name=person.name or name)
        found["alerted"] = state["alerted"]
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    if found["has_area"] and state["urgent"]:
        own = duplicates.own_open_emergency(session, telegram_id, state["label"], state["text"], now_)
        if own is not None:  # (the same emergency told on: its words go to the ticket open for it)
            tickets.add_contact(session, own.id, telegram_id, now_, supplement=state["text"],
                                attachments=state["attachments"])
            drafts.clear_draft(session, telegram_id, INTAKE)
            found["told_on"] = f"#{own.number}"
            return found
        found["opened"] = _open_urgent_ticket(session, telegram_id, name, state["token"], written_at or now_)
    return found


def address_told_with(text: str) -> str | None:
    """Where, in the words of a need told with it (see numbers.address_in): up to its last house number when the need's
    words follow in the same clause (幸福里6号楼的楼道灯坏了 → 幸福里6号楼; 3号楼2单元502楼道灯不亮 → 3号楼2单元502)."""
    part = numbers.address_in(text)
    spans = numbers.house_numbers(part) if part else []
    if not spans:
        return part
    end = max(stop for _, stop in spans)
    return part[:end].rstrip(" ，,的") if _NEED_AFTER_WHERE.search(simplified(part[end:])) else part


def _intake_state(result: Classification, text: str, attachments: list[str]) -> dict[str, Any]:
    return {
        "token": secrets.token_hex(3),
        "text": text,
        "normalized": result.text,
        "label": result.label,
        "confidence": result.confidence,
        "top3": [label for label, _ in result.top3],
        "urgent": result.urgent,
        "hotlines": list(result.hotlines),
        "self_harm": "self_harm" in result.urgent_signals,
        "confident": result.confident,
        "attachments": attachments,
        "address": address_told_with(text),
        "phone": numbers.dialled_phone_in(text),  # (楼道灯坏了，我电话138…: not asked again)
    }


async def new_request(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, attachments: list[str],
    then: dict[str, Any] | None = None, address: str | None = None, waiting: dict[str, Any] | None = None,
    phone: str | None = None, corrected: bool = False,
) -> None:
    """Classify what the resident wrote and show what was understood (or answer a non-request); `then`: a need in
    progress that this one (an emergency) went before, taken up after it; `address`: where this one is, told
    already (and `phone`, told under the card this one corrects; `corrected`: the words correct the need confirmed, 不对
    是…); `waiting`: a need shown with 「对吗？」 and not confirmed (short words that are no request go on telling it:
    楼道灯 / 坏了 / 好几天了; thanks or a question are answered, and reminded of it). Two needs in one message
    (灯坏了，另外水管也漏了) are two requests: the second is taken up after the first."""
    classifier = deps(context).classifier
    attachments = attachments[: tickets.MAX_ATTACHMENTS]  # (an album of ten and one more: the first ten)
    later = None
    if then is None and (needs := two_needs(classifier, text)):
        text, later = needs
        then = {"text": later}
        phone = phone or numbers.dialled_phone_in(later)  # (…，另外电梯也老是停，我电话158…: hers, for this need too)
    result = classifier.classify(text)
    corrects = waiting is not None and corrects_need(text, _card_words(context, waiting))
    if (corrects or corrected) and (told := without_correction(text)) != text and (
            classifier.classify(told).label == result.label):
        text = told  # (不对 是厨房水管漏了, 不是电视 是冰箱不制冷: the need, without the words that correct the card)
    if waiting and attachments and not of_another_item(result, waiting.get("label")):
        await _photo_under_card(update, context, waiting, text, result, attachments)
        return
    # (another need told under a card the bot was sure of: kept for after it, not put in its place — a need retold
    # under a card the bot was unsure of, or said to be the right one, 不是楼道灯，是…, still replaces it)
    if waiting and waiting.get("confident") and not result.urgent and not corrects and await _another_need(
            update, context, waiting, text, result, attachments):
        return
    if waiting and not attachments and result.kind == "other" and _a_piece(waiting, text):
        await _tell_more(update, context, waiting, text)
        return
    if (waiting and not attachments and result.kind == "request" and not result.confident and _a_piece(waiting, text)
            and _surer_together(classifier.classify(f"{waiting['text']}，{text}"))):
        await _tell_more(update, context, waiting, text)  # (煤气, then 味道好大: a gas leak, not a new unsure card)
        return
    if waiting and not attachments and result.kind != "request" and cannot_work_it(text):
        await reply(update, texts.CARD_HOW)  # (这个怎么按 under 「对吗？」: words do what its buttons do)
        return
    if (waiting and not attachments and waiting.get("confident") and not waiting.get("urgent") and not result.urgent
            and result.kind in ("other", "request") and not corrects
            and _a_detail(classifier, text, waiting.get("label"))
            and _same_need_together(classifier.classify(f"{waiting['text']}，{text}"), waiting.get("label"))):
        await _tell_more(update, context, waiting, text)  # (我家水龙头, then 坏了 / 一直滴水: more of it, kept)
        return
    if waiting and not attachments and result.kind in (*_ASIDES, "other") and len(text) <= MAX_PIECE_CHARS:
        # Answered, and reminded of the need waiting (its buttons, whichever are shown: 确认, the items, the categories).
        if result.kind != "other":
            await _answer_talk(update, context, result.kind)
        await reply(update, texts.NEED_NOT_SUBMITTED)
        return
    # Words right after an emergency was registered — more of it (快点, 求求你们), or talk — go to its ticket: a crisis's
    # heard gently first (没事了, 别管我了 after 我不想活了: never a call-off), another's after the call-off's questions.
    words_alone = not waiting and not attachments  # (no need waiting under 「对吗？」, no photo: words to read as they are)
    follow_up = words_alone and (
        result.kind != "request" or (bool(result.urgent_signals) and not result.confident and len(text) <= MAX_PIECE_CHARS))
    emergency = await query(context, _open_emergency, update.effective_user.id, now()) if follow_up else None
    if emergency and emergency[2] and result.urgent and "self_harm" not in result.urgent_signals:
        emergency = None  # (孩子发高烧抽搐了 after 不想活了: another emergency, registered as one, not the crisis's words)
    if emergency and emergency[2]:
        await act(context, tickets.add_contact, emergency[0], update.effective_user.id, now(), supplement=text)
        if result.urgent:  # (我现在在楼顶: the lines again, before the gentle words)
            await reply(update, texts.urgent_advice(result.hotlines))
        await reply(update, texts.HEARD_GENTLY)
        return
    if (words_alone and len(text) <= MAX_PIECE_CHARS and a_sign_by_the_model_alone(classifier, result, text)
            and not complains(text)):
        # (我不想报了, 算了吧我自己弄, 不想等了 — and nothing more — with a ticket open: about that ticket, called off or
        # chased, not a crisis ticket; the crisis line is said gently all the same. 不想等了 药都买好了 is a crisis.)
        if call_off.only_calls_off(text) and await call_off.offer_call_off(update, context, text,
                                                                           lead=texts.IF_HURTING):
            return
        if chases(text) and says_only(text, _CHASING) and await _passed_on(update, context, text):
            await reply(update, texts.IF_HURTING)
            return
    when = (result.kind == "status" and len(result.text) < MIN_STATUS_NEED_CHARS and bool(_ASKS_WHEN.search(result.text))
            and not chases(text))  # (他几点来啊我等一上午了: a 催办, below)
    if words_alone and result.kind != "request" and not result.urgent_signals and (asks_what_next(text) or when) and (
            told := await query(context, _ticket_to_tell, update.effective_user.id, emergency, when)) and not (
            when and points_elsewhere(classifier, text, told["label"])):
        # (暖气什么时候来 after the lamp: a question of an outage, not of the lamp's visit — her tickets, as before)
        if told["urgent"]:  # (那现在咋办 after a gas leak: what to do till help comes, first; its lines read again)
            lines = classifier.classify(told["text"]).hotlines or deps(context).taxonomy.hotlines_of(told["label"])
            await reply(update, texts.urgent_advice(lines))
        await reply(update, texts.what_next(told))
        return
    if words_alone and not result.urgent_signals and not result.confident and tells_of_the_visit(text) and (
            told := await query(context, _ticket_being_done, update.effective_user.id)):
        await reply(update, texts.visit_under_way(told))  # (他在修了, 师傅到门口了: no card, no 不客气)
        return
    if words_alone and result.kind == "other" and acknowledges(text) and (
            told := await query(context, _ticket_to_tell, update.effective_user.id, emergency)):
        await reply(update, texts.noted(told))  # (好的 / 收到 / 晓得了 after registering: not the introduction)
        return
    if (words_alone and result.kind != "request" and call_off.calls_off(text) and not complains(text)
            and await call_off.offer_call_off(update, context, text)):
        return  # (算了不用来了 我儿子修好了, after a ticket: not a need to register)
    if (words_alone and result.kind != "request" and call_off.settles_emergency(text)
            and await call_off.offer_call_off(update, context, text, urgent_only=True)):
        return  # (没事了 是我闻错了, after a gas ticket: its coordinators would still come)
    if emergency and result.kind not in ("thanks", "greeting", "status"):
        await act(context, tickets.add_contact, emergency[0], update.effective_user.id, now(), supplement=text)
        if result.urgent:
            await reply(update, texts.urgent_advice(result.hotlines))
        await reply(update, texts.added_to_emergency(emergency[1]))
        return
    if words_alone and await _passed_on(update, context, text, result.kind):
        return
    if words_alone and not result.confident and not result.urgent and complains(text) and (
            number := await act(context, _complaint, update.effective_user.id, text, now())):
        await reply(update, texts.complaint_told(number))  # (我要投诉王师傅 态度太差了: to its coordinators)
        return
    when_to_come = words_alone and result.kind in ("other", "status", "greeting") and tells_when_to_come(text)
    if (when_to_come or (words_alone and result.kind == "other" and tells_more(text))) and (
            added := await act(context, _visit_detail_added, update.effective_user.id, text,
                               pointed_items(classifier, text) if _A_JOB.search(simplified(text)) else [],
                               sent_at(update))):
        # (我下午两点以后才在家, 能不能改明天来, right after 「已为您登记工单」 or hours later, while it is not done: the
        # member who comes needs it)
        await reply(update, texts.visit_detail_added(added["number"], added["address"], added["phone"], when_to_come))
        return
    if not waiting and attachments and then is None and not result.urgent and (
            number := await act(context, _added_to_fresh_ticket, update.effective_user.id, text, sent_at(update),
                                attachments, result.label if result.kind == "request" else None)):
        await reply(update, texts.added_to_ticket(number, "照片"))  # (漏水的地方 with a photo, right after registering)
        return
    if (words_alone and result.kind == "other" and len(text) <= MAX_LOOSE_PIECE_CHARS
            and _a_loose_piece(text) and await _told_in_pieces(update, context, text)):
        return
    if words_alone and then is None and not result.urgent_signals and not result.confident and _AGAIN.search(
            simplified(text)) and len(text) <= MAX_LOOSE_PIECE_CHARS and (
            done := await query(context, _done_lately, update.effective_user.id, now())) and (
            again := _the_same_again(classifier, done, text)):
        # (又漏了 after her pipe ticket was done: that need again, read with its words — not talk, not a new guess)
        await reply(update, texts.broken_again(done, deps(context).tz))
        await _start_intake(update, context, again, f"{done['text']}，{text}", [])
        return
    if result.kind == "request" and words_alone and then is None and (
            pieces := await query(context, _earlier_pieces, update.effective_user.id, sent_at(update))):
        # (我老伴, then 没气了: read alone 水电气暖, together an emergency; 电梯, then 又停了: sure together)
        joined = "，".join([*pieces, text])
        together = classifier.classify(joined)
        if together.urgent_signals or (together.confident and not result.confident):
            text, result = joined, together
    if result.kind != "request" and not attachments:
        markup = None
        # (a question after her tickets alone, 我的事怎么样了, gets them without the button: nothing there to register)
        asks_after = result.kind == "status" and len(result.text) < MIN_STATUS_NEED_CHARS and bool(
            _ASKS_AFTER.search(result.text))
        if result.kind != "greeting" and not asks_after and (
                len(result.text) >= MIN_NEED_CHARS or _TROUBLE_WORD.search(result.text)):
            # The classifier can be wrong (之前反映的臭水沟 现在又臭得不行 reads as a status query): the
            # resident may still register it as a need.
            markup = await _register_anyway_button(update, context, text)
        await _answer_talk(update, context, result.kind, markup)
        return
    await _start_intake(update, context, result, text, attachments, then, address, keep={"phone": phone} if phone else None)
    if later:  # (after the first need's card, or its emergency's advice: 119 is said first)
        await reply(update, texts.second_need_noted(later))


MAX_PIECE_CHARS = 12  # (words under 「对吗？」 this short and no request of their own go on telling the need)
PIECES = "pieces"  # short words that are no request yet, kept a moment: 我老伴 / 在厕所 / 摔了 are read together
PIECES_WINDOW = timedelta(minutes=3)
MAX_PIECES = 4
MAX_LOOSE_PIECE_CHARS = 20


def _a_loose_piece(text: str) -> bool:
    """Whether short words may be a piece of a need told in pieces: not a step's word (跳过), a question (你是机器人吗) or
    an acknowledgement (嗯, 收到)."""
    plain = simplified(text).strip()
    return not (plain.startswith(SKIP_WORDS) or _ASKS.search(plain) or member.acknowledges(plain))


def _earlier_pieces(session: Session, telegram_id: int, written: datetime) -> list[str]:
    """The short words told just before (within PIECES_WINDOW), oldest first."""
    kept = drafts.get_draft(session, telegram_id, PIECES) or {}
    fresh = kept.get("at") and written - datetime.fromisoformat(kept["at"]) <= PIECES_WINDOW
    return list(kept.get("texts", [])) if fresh else []


def _with_earlier_pieces(session: Session, telegram_id: int, text: str, written: datetime) -> str | None:
    """The words told in pieces just before (within PIECES_WINDOW of each other) and these, joined — or None when there
    were none; these are kept as the latest piece either way."""
    pieces = [*_earlier_pieces(session, telegram_id, written), text][-MAX_PIECES:]
    drafts.save_draft(session, telegram_id, PIECES, {"texts": pieces, "at": written.isoformat()}, written)
    return "，".join(pieces) if len(pieces) > 1 else None


async def _told_in_pieces(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    """Short words that are no request alone, read with the pieces told just before them (我老伴 / 摔了 / 起不来了;
    煤气 / 味道好大): a need (an emergency) when together they are one; else a word that the bot is listening (the
    greeting is said once). False for a first piece (answered as any talk)."""
    joined = await act(context, _with_earlier_pieces, update.effective_user.id, text, sent_at(update))
    if joined is None:
        return False
    result = deps(context).classifier.classify(joined)
    if result.kind != "request":
        markup = None
        if len(result.text) >= MIN_NEED_CHARS or _TROUBLE_WORD.search(result.text):
            markup = await _register_anyway_button(update, context, joined)  # (the classifier can be wrong)
        await reply(update, texts.LISTENING, markup)
        return True
    await _start_intake(update, context, result, joined, [])
    return True


def _a_piece(waiting: dict[str, Any], text: str) -> bool:
    """Whether short words under the card the bot was unsure of go on telling its need (楼道灯, then 坏了): not when
    the bot understood it (老伴走丢了 after 楼道灯坏了好几天了 is another matter), nor a phone or words giving it up (as a
    whole: 好了两天又坏了 is a piece)."""
    return (
        len(text) <= MAX_PIECE_CHARS
        and not (waiting.get("confident") or waiting.get("urgent"))
        and numbers.phone_in(text) is None
        and not _GIVE_UP.fullmatch(simplified(text).strip())
    )


def _a_detail(classifier: Classifier, text: str, label: str | None) -> bool:
    """Whether short words under the card the bot was sure of (its `label`) tell more of its need: words that point to
    its item (关不上 under the lock, 一直滴水 under the tap) or to none but tell a trouble or where (坏了, 在三楼) — not
    another matter (快递柜坏了 points to another item; 老伴走丢了, 老公不动了 name someone), a phone, words giving it up, a
    step's word, a question (这个怎么按), an acknowledgement, nor 等一下 (she will come back to it)."""
    plain = simplified(text).strip()
    if (len(plain) > MAX_PIECE_CHARS or numbers.phone_in(text) is not None or _GIVE_UP.fullmatch(plain)
            or not _a_loose_piece(plain) or _A_QUESTION.search(plain) or _LATER_OR_ASKING.search(plain)):
        return False
    pointed = pointed_items(classifier, text)
    return label in pointed or (not pointed and bool(_TROUBLE_OR_WHERE.search(plain))
                                and not _ANOTHER_MATTER.search(plain))


def _same_need_together(joined: Classification, label: str | None) -> bool:
    """Whether a need and words after it, read together, are still that need (or an emergency: read as one)."""
    return bool(joined.urgent_signals) or (joined.kind == "request" and joined.label == label)


def _surer_together(joined: Classification) -> bool:
    """Whether an unsure need and short words after it, read together, are an emergency or a need the bot is sure of."""
    return bool(joined.urgent_signals) or joined.confident


def pointed_items(classifier: Classifier, text: str) -> list[str]:
    """The items words point to, whatever their kind (see Classifier.likely_items), as labels."""
    return [label for label, _ in classifier.likely_items(text)]


def points_elsewhere(classifier: Classifier, text: str, label: str | None) -> bool:
    """Whether words point to items, none of them `label` (又漏气了 after the lamp; 暖气什么时候来 beside it)."""
    pointed = pointed_items(classifier, text)
    return bool(pointed) and label not in pointed


def of_another_item(read: Classification | None, label: str | None, *, even_unsure: bool = False) -> bool:
    """Whether words are a request of an item other than `label` (a new need, not more of that one): a confident one,
    or with `even_unsure` any."""
    return read is not None and read.kind == "request" and (read.confident or even_unsure) and read.label != label


def corrects_confirmed_need(context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str,
                            read: Classification | None) -> bool:
    """Whether words at the address or phone step correct the need she confirmed, not where or another need: 不对 是
    楼道灯坏了 (another item), or 不是电视 是冰箱不制冷 (the item may stay; its words do not). Told again, with a card."""
    if state.get("ticket_id") or read is None or read.kind != "request" or numbers.address_in(text) is not None:
        return False  # (不是3号楼，是5号楼: where, corrected; an urgent ticket's steps keep theirs)
    return (says_no_first(text) and of_another_item(read, state.get("label"))) or corrects_need(
        text, _card_words(context, state))


def _add_to_need(session: Session, telegram_id: int, token: str, photos: list[str], words: str,
                 now_: Any) -> dict[str, Any] | None:
    """Photos (and the words sent with them) added to the intake; the intake now, None when it is no longer this one."""
    if not _add_photos(session, telegram_id, token, photos, now_):
        return None
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if words:
        state["text"] = tickets.with_supplement(state["text"], words)
        drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return state


async def _photo_under_card(update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: dict[str, Any], text: str,
                            result: Classification, photos: list[str]) -> None:
    """A photo with words under 「对吗？」 (就是这个灯，你们看看): the photo goes with the need waiting, its words read on
    with the need (a piece of one the bot was unsure of) or added to it (a greeting or thanks is not); the card again."""
    if result.kind == "other" and _a_piece(waiting, text):
        attachments = [*(waiting.get("attachments") or []), *photos][: tickets.MAX_ATTACHMENTS]
        await _tell_more(update, context, {**waiting, "attachments": attachments}, text)
        return
    words = "" if result.kind in _ASIDES else text
    state = await act(context, _add_to_need, update.effective_user.id, waiting["token"], photos, words, now())
    if state is None:
        await reply(update, texts.STALE_BUTTON)
        return
    await reply(update, texts.PHOTO_ADDED)
    await _show_understanding(update, context, state)


async def _tell_more(update: Update, context: ContextTypes.DEFAULT_TYPE, waiting: dict[str, Any], text: str) -> None:
    """The need waiting under 「对吗？」 told on (楼道灯, then 坏了): read again with these words, its card shown anew."""
    told = f"{waiting['text']}，{text}"
    then = {"text": waiting["next_text"], "attachments": waiting.get("next_attachments"),
            "next_text": waiting.get("next_then"), "address": waiting.get("next_address")} if waiting.get("next_text") else None
    await _start_intake(update, context, deps(context).classifier.classify(told), told, waiting.get("attachments") or [],
                        then, waiting.get("address"), keep={"duplicate_answered": waiting.get("duplicate_answered")})


# A need said to be another (not 也: 停车也不方便，师傅来了停在外面就行 is about the visit)
_ANOTHER_WORDS = "另外|还有就是|还有|再有|再就是|顺便|同时"
_ANOTHER = re.compile(_ANOTHER_WORDS)
_ANOTHER_NEED = re.compile(rf"[，,。；;！!\s]*({_ANOTHER_WORDS})[，,：:\s]*")
MIN_NEED_PART_CHARS = 4


# Another need said so, at the start of a sentence (谢谢师傅！另外…, 还有个事…), not 还有问题 (still a problem).
_ANOTHER_NEED_SAID = re.compile(r"(^|[，,。！!；;\s])(另外|再有|再就是|对了|还有(个|一个|件|一件)?事)")


def without_another(text: str) -> str:
    """Words of another need without the 另外/还有… that said so (另外厨房水管也漏了 → 厨房水管也漏了: read alone, as told)."""
    lead = _ANOTHER_NEED.match(text)
    rest = text[lead.end():].strip() if lead else text
    return rest if len(rest) >= MIN_NEED_PART_CHARS else text


def tells_another_need(text: str) -> bool:
    """Whether words say they tell another need (另外…, 还有个事…): after a rating, not its comment (the reason for
    the stars names other items too: 只换了灯泡，线路有问题，一开灯就跳闸; 还有问题 is the same need, still)."""
    return bool(_ANOTHER_NEED_SAID.search(simplified(text).strip()))


# Work told as done (顺便把下水道也通了, 水管也不漏了): more praise, unless something is wrong again or still (又, 还是).
_DONE = re.compile("(?<![不没])(好|通|完|干净|亮)了|不再?(堵|漏|渗|滴|吵|臭)了|(?<![不没])(换|装|修|弄|清|扫|擦|搞)(好|完|干净)?了")
_STILL_WRONG = re.compile("又|还是|还没|还不(?!错)|但是|可是|不过")


# Words about the visit rated (师傅把地板弄脏了，垃圾也不带走): its comment, whatever item the classifier reads in them.
_ABOUT_THE_VISIT = re.compile("师傅|他们?|工人|来的人|上门|你们|修的|弄的|干活|办结|评价|星")


def needs_other_hands(read: Classification | None, label: str | None, taxonomy: Taxonomy, text: str) -> bool:
    """Whether words at a rating's comment step are a need of their own (楼下垃圾好几天没人收了 after 1 ⭐ for the TV), not
    the reason for the stars: sure, told as trouble, of an item that none of the rated item's skills serve (一开灯就跳闸
    after the lamp's is its electrician's: a reason), and not about the visit."""
    if read is None or read.kind != "request" or not read.confident or read.label == label:
        return False
    if label not in taxonomy.items or read.label not in taxonomy.items or _ABOUT_THE_VISIT.search(simplified(text)):
        return False
    if not tells_trouble(text):  # (顺便把门口的下水道也通了: praise for work done besides)
        return False
    return not set(taxonomy.items[read.label].skills) & set(taxonomy.items[label].skills)


def tells_trouble(text: str) -> bool:
    """Whether words tell a need as one (厨房水管漏水了, 空调不制冷了, 下水道又堵了), not praise for work done besides
    (顺便把门口的下水道也通了, 灯泡也换了): after a comment on a good rating, only these leave the comment step. (Any
    trouble, not a list of them: 不制冷, 打不开 … are told in more ways than a list holds.)"""
    words = simplified(text).strip()
    return bool(_STILL_WRONG.search(words) or not _DONE.search(words))


def two_needs(classifier: Any, text: str) -> tuple[str, str] | None:
    """A message that tells two needs (另外, 还有, 顺便…), each a confident request of its own item or an emergency: the
    one to take first (an emergency first) and the other; None for one need (灯坏了 还有点闪: 还有 is no second need)."""
    for match in _ANOTHER_NEED.finditer(text):
        first, second = text[: match.start()].strip(), text[match.end():].strip()
        if min(len(first), len(second)) < MIN_NEED_PART_CHARS:
            continue
        a, b = classifier.classify(first), classifier.classify(second)
        # (an emergency's half counts however sure its item: 另外我老伴摔倒了起不来 is no part of the lamp's ticket)
        if a.kind == b.kind == "request" and (a.confident or a.urgent_signals) and (b.confident or b.urgent_signals) \
                and a.label != b.label:
            # (an address told once, anywhere in the message, is each need's: 灯坏了，另外垃圾没人清，幸福里3号楼)
            # (only an address told on its own: 3号楼楼道灯坏了 is the first need's words, not the second's address)
            address = numbers.address_in(text)
            if address is not None and classifier.classify(address).kind != "request":
                first, second = (part if numbers.address_in(part) else f"{part}，{address}" for part in (first, second))
            return (second, first) if b.urgent and not a.urgent else (first, second)
    return None


# Words that urge or complain about a ticket not done (都三天了还没人来, 投诉, 怎么还不来, 你们到底管不管): 催办.
# (about the visit or the work only: not 我家老人没人管, 我想投诉物业, 说好的周末停水 — a need or a notice)
_CHASING = re.compile("太慢|不想等了|等不及了|等不了了|还没人?来|还不来|没人来|怎么还没(人)?(来|修|弄|办|处理|好|到)|还没(修|弄|办|处理)好?"
                      "|(都|等了|等了?一)[^，,。]{0,4}(天|小时|上午|下午|半天)了|催一下|催催|(?<!要)催办|管不管")
_CHASE_ENDED = re.compile("终于|修好了|弄好了|来了|谢谢|感谢")  # (我都等了一上午了，终于修好了: thanks)


CRISIS_HEARD = timedelta(days=1)  # words after a crisis ticket this soon are hers to the people who follow it up
URGENT_FOLLOW_UP = timedelta(hours=2)  # ...and after another emergency, this soon (快点, 求求你们: more of it)
# A photo (with its need's words) this soon after a need was registered is more of it, added to its ticket; details of
# the visit (我下午两点以后才在家) are added whenever, while it is not done.
JUST_REGISTERED = timedelta(minutes=15)


def _open_emergency(session: Session, telegram_id: int, now_: datetime) -> tuple[int, str, bool] | None:
    """The resident's emergency ticket registered lately (CRISIS_HEARD for a crisis, else URGENT_FOLLOW_UP) and not done
    yet — a crisis before any other —: its id, number and whether it is a crisis (signs of self-harm); None when there
    is none."""
    found = []
    for ticket in tickets.list_resident_tickets(session, telegram_id, limit=5):
        in_crisis = call_off.crisis(ticket.urgent, ticket.label)
        if ticket.urgent and ticket.status in UNRESOLVED and (
                now_ - ticket.created_at <= (CRISIS_HEARD if in_crisis else URGENT_FOLLOW_UP)):
            found.append((ticket.id, f"#{ticket.number}", in_crisis))
    return next((one for one in found if one[2]), found[0] if found else None)


# The member there or at work, told by the resident (他在修了, 师傅到门口了, 人到了): no need of her own.
_VISIT_UNDER_WAY = re.compile(
    r"(他|她|师傅|人|修的人|工人|党员|志愿者|.{1,3}师傅)?(已经|正在|在|刚|刚刚)?"
    r"(来了|到了|来修了|在修|修着|在弄|弄着|在干活|干着|在看|上门了|到门口了|到楼下了|进门了|进屋了|来啦|到啦)"
    r"[了呢啦哈]?[。.！!~～\s]*")


def tells_of_the_visit(text: str) -> bool:
    """Whether words only tell that the member came or is at work (see _VISIT_UNDER_WAY)."""
    return _VISIT_UNDER_WAY.fullmatch(simplified(text).strip()) is not None


def _ticket_being_done(session: Session, telegram_id: int) -> dict[str, Any] | None:
    """Her newest ticket a member has accepted and not finished, as a payload; None when there is none."""
    ticket = next((t for t in tickets.list_resident_tickets(session, telegram_id, limit=5) if t.status in WITH_ASSIGNEE),
                  None)
    return views.ticket_payload(session, ticket) if ticket is not None else None


# A word that only acknowledges (好, 收到, 晓得了, 要得), as residents say it besides member.acknowledges' words.
_ALSO_ACKNOWLEDGED = re.compile("(晓得|懂|明白|清楚)了?|[哦噢喔]+|中|要得|得嘞|是的?|好吧|行吧|那好|那行|ok了", re.IGNORECASE)


def acknowledges(text: str) -> bool:
    """Whether words only acknowledge what the bot said (好的, 嗯嗯, 收到, 晓得了)."""
    plain = simplified(text).strip().rstrip("。.！!~～ ")
    return member.acknowledges(plain) or bool(_ALSO_ACKNOWLEDGED.fullmatch(plain))


def asks_what_next(text: str) -> bool:
    """Whether words ask what happens now that a need is registered, or who will come (see _WHAT_NEXT)."""
    return _WHAT_NEXT.fullmatch(simplified(text).strip()) is not None


def _ticket_to_tell(session: Session, telegram_id: int, emergency: tuple[int, str, bool] | None,
                    only: bool = False) -> dict[str, Any] | None:
    """What a question of what now is about: her emergency registered lately, else her newest ticket not closed (one
    done and waiting for her stars too); its payload with her phone, or None when she has none (`only`: or several
    not done — asked when they come, her tickets' list answers which is which)."""
    mine = [t for t in tickets.list_resident_tickets(session, telegram_id, limit=5) if t.status in OPEN]
    if only and sum(t.status in UNRESOLVED for t in mine) > 1:
        return None
    ticket = session.get(Ticket, emergency[0]) if emergency is not None else next(iter(mine), None)
    return views.ticket_payload(session, ticket, private=True) if ticket is not None else None


# A complaint of the work or the member (我要投诉王师傅 态度太差了 还收了我两百块钱, 人都没见到就说办完了 goes to the rating).
# (about the visit or whoever came — 师傅, 来的人, his name —: 我要投诉楼上装修 is a need, 举报 someone else's doing too)
_COMPLAINT = re.compile("投诉|态度(太|很|特别|非常|极其|真)?(差|恶劣|不好|蛮横|凶)|(收|要)了?我?[^，,。]{0,5}(钱|费)"
                        "|乱收费|骂人|骂我|凶我|吼我|耍横|不文明|索要|红包|换(个|一个|一位)?(师傅|人)")  # (我想换个师傅)
COMPLAINT_WITHIN = timedelta(days=7)  # (a ticket done this long ago is still the one a complaint is about)


def complains(text: str) -> bool:
    return bool(_COMPLAINT.search(simplified(text)))


def _complaint(session: Session, telegram_id: int, text: str, now_: datetime) -> str | None:
    """A complaint passed on to the coordinators of the ticket it is about — the one named (#A1234), else her newest one
    a member took, done within COMPLAINT_WITHIN or not done —: its number (None when she has none)."""
    mine = [t for t in tickets.list_resident_tickets(session, telegram_id, limit=20) if t.assignee_id is not None and (
        t.status in UNRESOLVED or now_ - t.updated_at <= COMPLAINT_WITHIN)]
    ticket = ticket_named(text, mine) or next(iter(mine), None)
    if ticket is None:
        return None
    who = session.get(Member, ticket.assignee_id)
    if not (_ABOUT_THE_VISIT.search(simplified(text)) or (who is not None and who.display_name and who.display_name in text)):
        return None  # (我要投诉楼上天天装修: not about the work, nor whoever came)
    tickets.complain(session, ticket.id, telegram_id, text, now_)
    return f"#{ticket.number}"


def tells_more(text: str) -> bool:
    """Whether words tell more of a need just registered — details of the visit (我下午两点以后才在家) —: not an
    acknowledgement (好的, 收到), a question (你是机器人吗, 大概多久), a word or two, nor other news (我孩子发烧了)."""
    plain = simplified(text).strip()
    return (len(plain) >= MIN_NEED_CHARS and not member.acknowledges(plain) and not _ASKS.search(plain)
            and not _HOW_LONG.search(plain) and _VISIT_DETAIL.search(plain) is not None)


def _added_to_fresh_ticket(session: Session, telegram_id: int, text: str, now_: datetime,
                           photos: Sequence[str] = (), read_as: str | None = None) -> str | None:
    """Add words (and photos) to the resident's ticket registered within JUST_REGISTERED and not done yet: its number
    (None when there is none, or when the words read as a request of another item, `read_as`: 卫生间天花板在滴水 with
    its photo, after the lamp)."""
    latest = next(iter(tickets.list_resident_tickets(session, telegram_id, limit=1)), None)
    if latest is None or latest.status not in UNRESOLVED or now_ - latest.created_at > JUST_REGISTERED:
        return None
    if read_as is not None and read_as != latest.label:
        return None
    tickets.add_contact(session, latest.id, telegram_id, now_, supplement=text, attachments=photos)
    return f"#{latest.number}"


# When to come, asked or told (能不能改明天来, 今天能来不, 下午来可以吗, 改到周六吧): for the member, who arranges it.
_DAY_OR_HOUR = r"(今天|明天|后天|改天|上午|下午|晚上|早上|中午|周[一二三四五六日末天]|星期.|礼拜.|\d+点|[一二三四五六七八九十两]+点)"
_WHEN_TO_COME = re.compile(rf"{_DAY_OR_HOUR}.{{0,3}}(来|过来|上门)|改(到|成|在)?{_DAY_OR_HOUR}")


MAX_WHEN_TO_COME_CHARS = 80  # (voice input runs on: 喂你好我跟你说啊那个师傅说今天下午来但是…能不能让他明天早上来啊…)


def tells_when_to_come(text: str) -> bool:
    """Whether words ask or tell when the member should come (see _WHEN_TO_COME), not a chase (还没来)."""
    plain = simplified(text).strip()
    return len(plain) <= MAX_WHEN_TO_COME_CHARS and bool(_WHEN_TO_COME.search(plain)) and not chases(plain)


# A trouble back again (又漏了, 又坏了, 昨天修的又不行了, 还是不亮): after a ticket done lately, that need again.
_AGAIN = re.compile("(又|还是|又开始)(坏|漏|堵|不亮|不行|不好|不通|不转|不热|没水|没电|跳闸|响|滴|渗|臭|停)")
AGAIN_WITHIN = timedelta(days=30)


def _the_same_again(classifier: Classifier, done: dict[str, Any], text: str) -> Classification | None:
    """A trouble back again (又漏了) read with the done ticket's words, when that is its need again: the words point to
    no other item (又漏气了 after the lamp does: read as it is) and together they read as that item, no emergency."""
    if points_elsewhere(classifier, text, done["label"]):
        return None
    together = classifier.classify(f"{done['text']}，{text}")
    return together if together.label == done["label"] and not together.urgent_signals else None


def _done_lately(session: Session, telegram_id: int, now_: datetime) -> dict[str, Any] | None:
    """Her newest ticket, when it was done (办结, or closed after it) within AGAIN_WITHIN and nothing newer is open."""
    latest = next(iter(tickets.list_resident_tickets(session, telegram_id, limit=1)), None)
    done_at = latest and (latest.resolved_at or latest.closed_at)
    if latest is None or latest.status not in (S.resolved, S.closed) or done_at is None or now_ - done_at > AGAIN_WITHIN:
        return None
    return views.ticket_payload(session, latest) | {"done_at": done_at}


# Her own phone or address told as changed or wrong (我电话换了139…, 地址写错了 是5号楼1单元): into the ticket's fields —
# not a number or a place of someone else's (楼上邻居电话139…, 我女儿搬到5号楼了, 有人打电话139…说是师傅).
_MY_PHONE_CHANGED = re.compile("(电话|手机|号码|手机号|联系方式)(号码?)?(换了|改了|变了|换成|改成|改为|不对|写错|填错)"
                               "|(换|改)了?(个|新)?(电话|手机|号码|手机号)")
_ADDRESS_CORRECTED = re.compile("写错|填错|说错|不对|应该是|改成|改为|换成")
_SOMEONE_ELSES = re.compile("女儿|儿子|邻居|物业|有人|他|她|楼上|楼下|隔壁|对门|师傅|老伴|老公|爱人|家人|亲戚|朋友|转账")
# Hours after registering, only when to come, where she is, or how to reach her goes on the ticket (下午我不在家,
# 我电话换了…) — not a trouble or someone in danger (我家门也坏了, 门口有人躺着: read as they are).
_WHEN_OR_HOW_TO_REACH = re.compile(
    f"上午|下午|晚上|早上|中午|周末|今天|明天|后天|点|在家|{_AT_HOME_IN_DIALECT}|电话|手机|号码|钥匙|地址|来|上门")
_NOT_A_DETAIL_LATER = re.compile("坏|漏|堵|不亮|不通|躺|倒|不动|晕|喘|血|救|火|烟|味")
_A_JOB = re.compile("帮我|帮忙|搬|换个|装个|修个|通个")  # (周六来帮我搬个柜子: a job of its own)


def _visit_detail_added(session: Session, telegram_id: int, text: str, pointed: list[str], now_: datetime
                        ) -> dict[str, Any] | None:
    """Add a detail of the visit (我下午两点以后才在家, 今天能来不, 我电话换了139…, 地址写错了 是5号楼) to her newest
    ticket not done yet — hours after registering too when it tells when, where she is or how to reach her —, her own
    new phone or corrected address into its fields: its number and what changed. None when she has no ticket not done,
    or the words ask a job of their own that does not point to its item (`pointed`: the items a job's words point
    to)."""
    latest = next(iter(tickets.list_resident_tickets(session, telegram_id, limit=1)), None)
    if latest is None or latest.status not in UNRESOLVED:
        return None
    words = simplified(text)
    if _A_JOB.search(words) and latest.label not in pointed:  # (改天来帮忙换个锁 after the lamp: another need)
        return None
    if now_ - latest.created_at > JUST_REGISTERED and (
            _NOT_A_DETAIL_LATER.search(words) or not _WHEN_OR_HOW_TO_REACH.search(words)):
        return None
    own = not _SOMEONE_ELSES.search(words)
    phone = numbers.dialled_phone_in(text) if own and _MY_PHONE_CHANGED.search(words) else None
    told = numbers.address_in(text) if own and _ADDRESS_CORRECTED.search(words) else None
    address = (numbers.corrected_address(latest.address, told) if latest.address else told) if told else None
    tickets.add_contact(session, latest.id, telegram_id, now_, supplement=text, address=address, phone=phone)
    return {"number": f"#{latest.number}", "address": address, "phone": phone}


def chases(text: str) -> bool:
    """Whether words urge or complain about a ticket not done yet (see _CHASING), not thanks for it at last."""
    words = simplified(text)
    return bool(_CHASING.search(words)) and not _CHASE_ENDED.search(words)


async def _passed_on(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, kind: str | None = None) -> bool:
    """Words that chase (`chases`; read as talk, when `kind` is known) passed on as a 催办 (see `_chase`), and she told
    so with her tickets; False for other words, or when she has no ticket not done."""
    if (kind is not None and kind not in ("status", "other")) or not chases(text):
        return False
    pointed = pointed_items(deps(context).classifier, text)  # (修灯的…: the lamp's, of several)
    chased = await act(context, _chase, update.effective_user.id, text, pointed, now())
    if chased is None:
        return False
    row, told = chased
    await reply(update, texts.chase_told(row["number"], row.get("member_name")) if told
                else texts.chase_told_lately(row["number"]))
    await _answer_talk(update, context, "status")
    return True


def _chase(session: Session, telegram_id: int, text: str, labels: list[str], now_: datetime
           ) -> tuple[dict[str, Any], bool] | None:
    """The ticket a 催办 is about — the one named (#A1234), else the newest not done of the items its words point to
    (`labels`: 修灯的怎么还没人来 → 照明楼道), else her newest not done — passed on to its coordinators and member (False:
    it was, lately); None when she has none open."""
    mine = [t for t in tickets.list_resident_tickets(session, telegram_id, limit=20) if t.status in UNRESOLVED]
    named = ticket_named(text, mine)
    ticket = named or next((t for t in mine if t.label in labels), mine[0] if mine else None)
    if ticket is None:
        return None
    told = tickets.chase_ticket(session, ticket.id, telegram_id, text, now_)
    row = views.ticket_payload(session, ticket)
    if not row.get("member_name"):  # (the member a coordinator assigned it to, asked and told too)
        row["member_name"] = dispatch.pending_assignee(session, ticket.id)
    return row, told


async def _answer_talk(
    update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a message that is no request: a status query with the resident's tickets, the others by their kind."""
    if kind == "status":
        rows, _ = await query(context, _my_rows, update.effective_user.id, now())
        # (修好了吗 from a member with none of a resident's: where his work is, not 「您还没有工单」, as /my says)
        is_member = not rows and await query(context, members.find_member, update.effective_user.id) is not None
        await reply(update, texts.MY_NONE_MEMBER if is_member else texts.my_tickets(rows, deps(context).tz), markup)
    else:
        await reply(update, texts.NON_REQUEST[kind], markup)


async def _register_anyway_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str
) -> InlineKeyboardMarkup:
    """The 登记为诉求 button, its text kept as the resident's draft (one per resident: the latest)."""
    token = secrets.token_hex(3)
    state = {"token": token, "text": text}
    await act(context, drafts.save_draft, update.effective_user.id, NOT_UNDERSTOOD, state, now())
    return keyboards.register_anyway(token)


def _not_understood(session: Session, telegram_id: int, token: str) -> str | None:
    """The text kept for 登记为诉求, if the button belongs to it (forgotten with the intake that takes it: one use)."""
    state = drafts.get_draft(session, telegram_id, NOT_UNDERSTOOD)
    return state["text"] if state and state.get("token") == token else None


async def register_anyway(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """登记为诉求: a message judged not a request becomes one; the resident picks its category."""
    text = await query(context, _not_understood, update.effective_user.id, token)
    if text is None:
        intake = await query(context, drafts.get_draft, update.effective_user.id, INTAKE)
        if intake and intake.get("registered") == token and intake.get("step") in ("confirm", "area"):
            # (pressed again after its card was lost: the request her words became waits there)
            await (_show_understanding(update, context, intake) if intake["step"] == "confirm"
                   else ask_area(update, context))
            return
        await edit(update, texts.STALE_BUTTON)
        return
    await edit(update, texts.REGISTER_ANYWAY)
    classifier = deps(context).classifier
    result = classifier.classify(text)
    if result.kind != "request":  # the items its words point to, to choose from (else the categories)
        result = dataclasses.replace(result, top3=classifier.likely_items(text))
    await _start_intake(update, context, result, text, [], keep={"registered": token}, registered=True)


async def _start_intake(
    update: Update, context: ContextTypes.DEFAULT_TYPE, result: Classification, text: str,
    attachments: list[str], then: dict[str, Any] | None = None, address: str | None = None,
    keep: dict[str, Any] | None = None, registered: bool = False,
) -> None:
    """Save the request as the intake draft and ask for what is missing (area) or show it. An urgent item the
    classifier only guesses (no urgent words, not confident: 想给老人装个燃气报警器) is asked first, as any unsure need:
    choosing it makes the request urgent then (see _intake_action). `registered`: the words kept for 登记为诉求,
    forgotten in the same transaction."""
    if result.urgent and not result.urgent_signals and not result.confident:
        result = dataclasses.replace(result, urgent=False, hotlines=())
    state = _intake_state(result, text, attachments)
    if then and then.get("text"):  # (the need this one went before: its words, photos, address and the need it kept)
        state.update(next_text=then["text"], next_attachments=then.get("attachments") or [],
                     next_then=then.get("next_text"), next_address=then.get("address"))
    if address:
        state["address"] = address
    state.update(keep or {})  # (what the resident answered already: 仍要新建)
    user = update.effective_user
    found = await act(context, _new_intake, user.id, display_name(user), state, now(), sent_at(update), registered)
    if result.urgent:  # (after the draft and its ticket are saved: a refused send loses nothing)
        await reply(update, texts.urgent_advice(result.hotlines))
    if result.label == LIFT and _TRAPPED.search(simplified(text)):
        await reply(update, texts.TRAPPED_IN_LIFT)  # (被困电梯里了: what to do while help comes, urgent or not)
    if found.get("told_on"):
        await reply(update, texts.added_to_emergency(found["told_on"]))
        return
    if found.get("opened"):
        await _tell_opened(update, context, found["opened"])
        return
    if not found["has_area"]:
        lead = (texts.URGENT_AREA_LEAD_GENTLY if state["self_harm"] else texts.URGENT_AREA_LEAD) if found.get(
            "alerted") else None
        await ask_area(update, context, lead=lead)
        return
    if found["duplicate"]:
        markup = keyboards.duplicate(state["token"])
        await reply(update, texts.duplicate_found(found["duplicate"], deps(context).tz), markup)
        return
    if found["limited_until"]:
        limit, tz = deps(context).settings.TICKETS_PER_HOUR, deps(context).tz
        await reply(update, texts.too_many_tickets(limit, found["limited_until"], tz, at_submit=False))
    await _show_understanding(update, context, state)


async def _show_understanding(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]
) -> None:
    if state.get("urgent"):
        if state.get("ticket_id"):
            await _tell_opened(update, context, state)
        else:
            await _open_urgent(update, context, state)
        return
    taxonomy = deps(context).taxonomy
    token = state["token"]
    if state["label"] and (state["confident"] or state["urgent"]):
        item = taxonomy.items[state["label"]]
        await reply(
            update, texts.understood(item.category_name, item.name, state["text"]), keyboards.confirm(token)
        )
        return
    choices = [
        (label, texts.btn_item(taxonomy.items[label].category_name, taxonomy.items[label].name))
        for label in state["top3"]
    ]
    if choices:
        await reply(update, texts.unsure(state["text"]), keyboards.candidates(token, choices))
    else:
        await reply(update, texts.unsure(state["text"]), keyboards.categories(token, _categories(context)))


def _card_words(context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> str:
    """The words of the card shown for a need: what it told, its category and item (names, not codes)."""
    return " ".join((state["text"], *views.item_names(state.get("label"), deps(context).taxonomy)))


def _categories(context: ContextTypes.DEFAULT_TYPE) -> list[tuple[str, str]]:
    return list(deps(context).taxonomy.categories.items())


# ── the buttons under a request: 确认 / 修改 / 取消 / 其他 / an item ──────────────────────────────────
def _update_intake(
    session: Session, telegram_id: int, token: str, changes: dict[str, Any], now_: Any
) -> dict | None:
    """Apply changes to the intake draft if the pressed button belongs to it; None when stale."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("token") != token:
        return None
    state.update(changes)
    if state.get("step") == "address" and state.get("address"):
        state["step"] = "phone"
    if state.get("ticket_id") and (changes.get("address") or changes.get("phone")):  # (an urgent ticket: told at once)
        tickets.add_contact(session, state["ticket_id"], telegram_id, now_, address=changes.get("address"),
                            phone=changes.get("phone"))
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    state["last_address"], state["last_phone"] = _last_contact(session, telegram_id)
    return state


def _cancel_intake(session: Session, telegram_id: int, token: str, now_: datetime, *, undoable: bool = True
                   ) -> dict[str, Any] | None:
    """The intake given up (取消, 算了), kept a while to be taken back (GIVEN_UP, unless not `undoable`); None when the
    answer is stale. What it kept for after it comes with it unless it was left (STEP_IDLE): yesterday's second need
    is not started today."""
    for flow, state, touched in drafts.list_drafts(session, telegram_id):
        if flow == INTAKE and state.get("token") == token:
            drafts.clear_draft(session, telegram_id, INTAKE)
            if step_left(touched, now_):
                return {}
            if undoable and not state.get("ticket_id"):
                kept = {key: value for key, value in state.items() if key not in _what_follows(state)}
                drafts.save_draft(session, telegram_id, GIVEN_UP, kept, now_)
            return state
    return None


MAX_UNDO_CHARS = 16  # (哎呀 按错了 还是要修的: longer words tell something of their own — 停水了，什么时候恢复供水)


def takes_back_giving_up(text: str) -> bool:
    """Whether short words say a need was given up by mistake (哎呀 按错了 还是要修的, 算了 还是修吧)."""
    plain = simplified(text).strip()
    return len(plain) <= MAX_UNDO_CHARS and bool(_TAKES_BACK_GIVING_UP.search(plain))


def _restore_intake(session: Session, telegram_id: int, state: dict[str, Any], now_: datetime) -> dict[str, Any] | None:
    """The need given up, back at its step (a question given up at is asked again: 「对吗？」 for the duplicate one);
    None when another need is being told meanwhile."""
    drafts.clear_draft(session, telegram_id, GIVEN_UP)
    if drafts.get_draft(session, telegram_id, INTAKE) is not None:
        return None
    restored = state | ({} if state.get("step") in ("confirm", "area", "address", "phone") else {"step": "confirm"})
    drafts.save_draft(session, telegram_id, INTAKE, restored, now_)
    return restored


async def giving_up_taken_back(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    """按错了 / 还是要修的 right after a need was given up: it is back, at the step it was given up at."""
    restored = await act(context, _restore_intake, update.effective_user.id, state, now())
    if restored is None:
        await reply(update, texts.NEED_NOT_SUBMITTED)
        return
    if restored["step"] == "area":
        await ask_area(update, context, lead=texts.INTAKE_RESTORED)
        return
    await _ask_again(update, context, restored, texts.INTAKE_RESTORED)


def _last_contact(session: Session, telegram_id: int) -> tuple[str | None, str | None]:
    """The address and the phone she left with her last tickets (offered at their steps: not typed again), read once."""
    recent = tickets.list_resident_tickets(session, telegram_id, limit=5)
    return next((t.address for t in recent if t.address), None), next((t.phone for t in recent if t.phone), None)



async def intake_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认, 修改, 取消, 其他, a category, an item, or 使用上次的地址."""
    await answer(update)
    token, action, *rest = [*callback_args(update), ""]
    await _intake_action(update, context, token, action, rest)


async def answer_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], meaning: str,
                       photos: list[str] | None = None) -> None:
    """对 / 不对 / 取消 typed under 「对吗？」, the request given up at the area or address step (那算了吧), or 好的 / 算了
    under 「仍要新建」 (the ticket already open will do), or 仍要新建 / 是另一件事 there: what the button would do (a photo sent with the words goes
    with the request)."""
    token = state["token"]
    if photos and meaning not in ("cancel", "keep_original"):
        await act(context, _add_photos, update.effective_user.id, token, photos, now())
    if meaning in ("cancel", "keep_original"):
        cancelled = await act(context, _cancel_intake, update.effective_user.id, token, now(),
                              undoable=meaning == "cancel")
        shown = texts.DUPLICATE_KEPT if meaning == "keep_original" else texts.INTAKE_GIVEN_UP
        await reply(update, shown, ReplyKeyboardRemove())  # (given up at the phone step: its keyboard goes too)
        if cancelled:
            await next_need(update, context, cancelled)
    elif meaning == "oth" or meaning.startswith("it:"):  # (其他 / 第一个 typed under the card the bot was unsure of)
        action, _, label = meaning.partition(":")
        await _intake_action(update, context, token, action, [label])
    elif meaning == "new":  # (仍要新建 typed under the duplicate question)
        await reply(update, texts.DUPLICATE_NEW)
        await _intake_action(update, context, token, "new", [""])
    elif meaning == "no":
        await act(context, _update_intake, update.effective_user.id, token, _CATEGORIES_SHOWN, now())
        await reply(update, texts.CHOOSE_CATEGORY, keyboards.categories(token, _categories(context)))
    elif state.get("label") and (state.get("confident") or state.get("urgent")):
        await _intake_action(update, context, token, "ok", [""])
    else:  # (the bot was unsure and offered items: 对 says none of them)
        await reply(update, texts.PICK_AN_ITEM)
        await _show_understanding(update, context, state)


async def _intake_action(
    update: Update, context: ContextTypes.DEFAULT_TYPE, token: str, action: str, rest: list[str]
) -> None:
    """What a button under a request does (typed answers too: `edit` then changes nothing, the replies follow)."""
    taxonomy = deps(context).taxonomy
    user_id = update.effective_user.id
    if action == "chg":
        # (the card's items are no longer on screen: 第二个 typed now means no item of it)
        if await act(context, _update_intake, user_id, token, _CATEGORIES_SHOWN, now()) is None:
            await edit(update, texts.STALE_BUTTON)
            return
        await edit(update, texts.CHOOSE_CATEGORY, keyboards.categories(token, _categories(context)))
        return
    if action in ("dup", "new"):
        await _duplicate_choice(update, context, token, action)
        return
    if action == "reg":
        await register_anyway(update, context, token)
        return
    if action == "cat" and rest[0] in taxonomy.categories:
        entries = [(i.label, i.name) for i in taxonomy.items.values() if i.category == rest[0]]
        # (the category's items replace the categories on screen: 第一个 typed now picks the first of them)
        shown = {"categories_shown": False, "shown_items": [label for label, _ in entries]}
        if await act(context, _update_intake, user_id, token, shown, now()) is None:
            await edit(update, texts.STALE_BUTTON)
            return
        await edit(update, texts.choose_item(taxonomy.categories[rest[0]]), keyboards.items(token, entries))
        return
    if action == "no":
        cancelled = await act(context, _cancel_intake, user_id, token, now())
        await edit(update, texts.STALE_BUTTON if cancelled is None else texts.INTAKE_CANCELLED)
        if cancelled:
            await next_need(update, context, cancelled)
        return
    changes: dict[str, Any]
    if action == "ok":
        changes = {"step": "address"}
    elif action == "it" and rest[0] in taxonomy.items:
        changes = {"step": "address", "label": rest[0]}
        if taxonomy.items[rest[0]].time_class == "urgent":  # (chosen: 燃气泄漏 the bot had not read as such)
            changes |= {"urgent": True, "hotlines": list(taxonomy.hotlines_of(rest[0])) or ["110"]}
    elif action == "oth":
        changes = {"step": "address", "label": None}
    elif action == "addr":
        changes = {"step": "phone", "use_last_address": True}
    else:
        await edit(update, texts.STALE_BUTTON)
        return
    state = await act(context, _update_intake, user_id, token, changes, now())
    if state is None:
        await edit(update, texts.STALE_BUTTON)
        return
    if action == "addr":
        state = await act(context, _update_intake, user_id, token, {"address": state["last_address"]}, now())
    opened = None
    if state.get("urgent") and (not state.get("ticket_id") or action != "addr"):
        # (opened before any answer that Telegram may refuse; told again on a press repeated — not 使用上次的地址)
        opened = state if state.get("ticket_id") else await act(
            context, _open_urgent_ticket, user_id, display_name(update.effective_user), token, now())
    if action != "addr":
        names = views.item_names(state.get("label"), taxonomy)
        await edit(update, texts.confirmed(names[0], names[1], state["text"]))
    if opened is not None:
        await reply(update, texts.urgent_advice(state.get("hotlines") or ()))
        await _tell_opened(update, context, opened)
        return
    await _next_step(update, context, state)


async def _next_step(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    if state["step"] == "address":
        markup = keyboards.last_address(state["token"]) if state.get("last_address") else None
        await reply(update, texts.ask_address(state.get("last_address")), markup)
    elif state["step"] == "phone" and state.get("phone"):  # (told under 「对吗？」: not asked again)
        await phone_given(update, context, state["phone"])
    elif state["step"] == "phone":
        await reply(update, texts.ASK_PHONE, keyboards.share_phone(state.get("last_phone")))


# ── the same need again: 查看原工单 / 仍要新建 (issue #6) ─────────────────────────────────────────────
def _duplicate_step(
    session: Session, telegram_id: int, token: str, action: str, now_: Any
) -> dict[str, Any] | None:
    """For a draft waiting at the duplicate question: the earlier ticket (dup), or go on (new)."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("token") != token or state.get("step") != "duplicate":
        return None
    if action == "dup":
        original = duplicates.own_ticket(session, telegram_id, int(state["duplicate_of"]))
        if original is not None:
            return {"state": state, "original": original}
    state.update(step="confirm", duplicate_answered=True)
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return {"state": state, "original": None}


async def _duplicate_choice(
    update: Update, context: ContextTypes.DEFAULT_TYPE, token: str, action: str
) -> None:
    """查看原工单 shows the open ticket (仍要新建 stays); 仍要新建 goes on as a new request."""
    result = await act(context, _duplicate_step, update.effective_user.id, token, action, now())
    if result is None:
        await edit(update, texts.STALE_BUTTON)
    elif result["original"] is not None:
        text = texts.original_ticket(result["original"], deps(context).tz)
        await edit(update, text, keyboards.duplicate(token, view=False))
        await next_need(update, context, result["state"])  # (a second need told with this one: its turn now)
    else:
        await edit(update, texts.DUPLICATE_NEW)
        await _show_understanding(update, context, result["state"])


# ── address and phone, then the ticket ────────────────────────────────────────────────────────────
async def _aside(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> bool:
    """Answer a status query or thanks typed in the middle of an intake (a greeting needs no answer but the step's
    question); False if it is none of these."""
    if kind not in _ASIDES:
        return False
    if kind != "greeting":
        await _answer_talk(update, context, kind)
    return True


async def _ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                     lead: str | None = None) -> None:
    """The intake step's question again (the address, or a phone), after `lead`: by default, what is still missing
    (for an urgent ticket already opened: that it is opened)."""
    opened = bool(state.get("ticket_id"))
    if state.get("step") == "confirm":  # (the card again, its buttons last)
        await reply(update, lead or texts.NEED_NOT_SUBMITTED)
        await _show_understanding(update, context, state)
    elif state.get("step") == "area":  # (no card yet: the community and grid come first)
        await ask_area(update, context, lead=lead or texts.CHOOSE_AREA_WITH_BUTTONS)
    elif state.get("step") == "address":
        lead = lead or (texts.URGENT_STILL_NEEDS_ADDRESS if opened else texts.STILL_NEEDS_ADDRESS)
        last = (await query(context, _last_contact, update.effective_user.id))[0]
        markup = keyboards.last_address(state["token"]) if last else None
        await reply(update, f"{lead}\n{texts.ask_address(last)}", markup)
    else:
        lead = lead or (texts.URGENT_STILL_NEEDS_PHONE if opened else texts.STILL_NEEDS_PHONE)
        await reply(update, f"{lead}\n{texts.PHONE_HOW}", keyboards.share_phone())


def _what_follows(state: dict[str, Any]) -> dict[str, Any]:
    """What an intake keeps for after it: the next need's words and photos, and the need that one kept."""
    return {key: state.get(key) for key in ("next_text", "next_attachments", "next_then", "next_address")}


def _ticket_of(
    session: Session, telegram_id: int, name: str, state: dict[str, Any], now_: Any, phone: str | None = None
) -> Ticket:
    """The ticket of an intake draft (an urgent one as soon as it is understood; any other once it has a phone)."""
    person = members.ensure_person(session, telegram_id, now_, name=name)
    return tickets.submit_ticket(
        session, telegram_id, state["text"], now_, label=state.get("label"), grid_code=members.home_grid(session, person),
        address=state.get("address") or "", phone=phone, attachments=state.get("attachments") or [],
        urgent=bool(state.get("urgent")), confidence=state.get("confidence"),
        normalized_text=state.get("normalized", ""), resident_name=name,
        receipt=not state.get("urgent"),  # (an urgent ticket is told at once, in its own words: _open_urgent)
    )


def _open_urgent_ticket(
    session: Session, telegram_id: int, name: str, token: str, now_: Any
) -> dict[str, Any] | None:
    """An urgent request is a ticket at once, its coordinators alerted (product.md): the intake goes on only to add
    where and a phone to it. None when the draft is no longer this one."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("token") != token:
        return None
    if _area_gone(session, telegram_id, state, now_):  # (opened by _choose_area once the area is chosen)
        return state | {"area_gone": True}
    ticket = _ticket_of(session, telegram_id, name, state, now_, state.get("phone"))  # (a phone told under the card)
    step = "address" if not state.get("address") else "phone" if not state.get("phone") else "done"
    state.update(ticket_id=ticket.id, number=f"#{ticket.number}", step=step)
    if step == "done":  # (where and a phone told before it was opened: nothing left to ask)
        drafts.clear_draft(session, telegram_id, INTAKE)
    else:
        drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    state["last_address"] = _last_contact(session, telegram_id)[0]
    return state


async def _open_urgent(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    """Open the urgent ticket now and tell it."""
    user = update.effective_user
    opened = await act(context, _open_urgent_ticket, user.id, display_name(user), state["token"], now())
    if opened is None:
        await reply(update, texts.STALE_BUTTON)
        return
    await _tell_opened(update, context, opened)


async def _tell_opened(update: Update, context: ContextTypes.DEFAULT_TYPE, opened: dict[str, Any]) -> None:
    """Say the urgent ticket is opened, and ask where (gently, to someone in crisis) or for a phone."""
    if opened.get("area_gone"):
        await _ask_area_again(update, context)
        return
    await reply(update, texts.urgent_opened(opened["number"], opened.get("self_harm", False)))
    if opened["step"] == "done":
        await next_need(update, context, opened)
    elif opened["step"] == "phone":
        await reply(update, texts.ASK_PHONE, keyboards.share_phone())
    elif opened.get("self_harm"):
        await reply(update, texts.ASK_WHERE_GENTLY)
    else:
        markup = keyboards.last_address(opened["token"]) if opened.get("last_address") else None
        await reply(update, f"{texts.ASK_WHERE_URGENT}\n{texts.ask_address(opened.get('last_address'))}", markup)


def _declines(text: str) -> bool:
    """Whether words at an urgent ticket's address step decline to say where (跳过, 不想说, 不方便…), as a whole
    answer (无锡路 88 号 starts with 无 and is an address)."""
    words = simplified(text).strip().strip("。.!！~")
    return words in (*SKIP_WORDS, "不想说") or (len(words) <= 6 and words.startswith((*SKIP_WORDS[1:], "不想说")))


async def _emergency_called_off(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                                text: str) -> bool:
    """Words at an urgent ticket's where or phone step that it is over or not wanted (没事了 是我闻错了, 不用来了): the
    question whether to call it off, not an address or more words for it."""
    if not state.get("ticket_id") or state.get("self_harm") or numbers.address_in(text) is not None:
        return False  # (someone in crisis saying 不用来了，别管我了 is heard, not asked to withdraw it)
    if _declines(text) and not _COMING.search(text):
        return False  # (不用了 there declines to say where, as 跳过; 不用来了 does not want anyone to come)
    if not (call_off.calls_off(text) or call_off.settles_emergency(text)):
        return False
    return await call_off.offer_call_off(update, context, text, urgent_only=True)


def _supplement_opened(session: Session, telegram_id: int, state: dict[str, Any], text: str, now_: Any) -> None:
    """Words about the emergency told at the address step of a ticket already opened: added to it."""
    tickets.add_contact(session, state["ticket_id"], telegram_id, now_, supplement=text)


_NOT_A_WORD = re.compile(r"[\W_]+")


def _words_of(text: str) -> str:
    """The words alone (no punctuation, spaces, case or script): 厨房水管漏水了！ and 厨房水管漏水了 are the same."""
    return _NOT_A_WORD.sub("", normalize(text))


def _kept_once(kept: list[str], text: str) -> list[str]:
    """The needs kept with `text` added, unless they have its words already (told twice, with another ！ or an update
    sent again); text that says more than one kept replaces it (厨房水管漏水了 → 厨房水管漏水了，很急)."""
    words = _words_of(text)
    if any(words in _words_of(told) for told in kept):
        return kept
    return [*(told for told in kept if _words_of(told) not in words), text]


def _keep_next_need(session: Session, telegram_id: int, token: str, text: str, now_: Any,
                    photos: list[str] | None = None) -> bool:
    """Keep another need told at the address step (or under 「对吗？」, with its photos) with the intake, to be taken
    up once it is submitted."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("token") != token:
        return False
    told = " ".join(text.split())  # (one line: a line break separates the needs kept)
    state["next_text"] = "\n".join(_kept_once([*filter(None, (state.get("next_text") or "").split("\n"))], told))
    if photos:
        had = state.get("next_attachments") or []
        state["next_attachments"] = [*had, *(p for p in photos if p not in had)][: tickets.MAX_ATTACHMENTS]
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return True


async def _another_need(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str,
                        result: Classification, photos: list[str] | None = None) -> bool:
    """Another need (a confident request of another item, or one said to be another) told under 「对吗？」 or at the
    address or phone step: kept (with `photos`) for after this one, and the step asked again; False for other words.
    At the phone step only a need said to be another (另外, 还有…, …也漏了): words there are mostly about the visit
    (下午三点以后家里才有人，敲门大声点)."""
    # (另外我家水管也漏了, 对了还有…, 卫生间水管也漏水了: said to be another, it is one even when the bot is unsure of it)
    said = bool(_ANOTHER.search(text) or tells_another_need(text) or _BESIDES_TOLD.search(simplified(text)))
    if state.get("ticket_id") or not of_another_item(result, state.get("label"), even_unsure=said):
        return False
    if state.get("step") == "phone" and not said:
        return False
    await act(context, _keep_next_need, update.effective_user.id, state["token"], text, now(), photos)
    await _ask_again(update, context, state, texts.another_need_later(text, state.get("step", "address")))
    return True


def _add_photos(session: Session, telegram_id: int, token: str, photos: list[str], now_: Any) -> bool:
    """Add photos sent at the address or phone step to the intake's attachments."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("token") != token:
        return False
    state["attachments"] = [*(state.get("attachments") or []), *photos][: tickets.MAX_ATTACHMENTS]
    if state.get("ticket_id"):  # (an urgent ticket, opened at once: the photo goes to it now)
        tickets.add_contact(session, state["ticket_id"], telegram_id, now_, attachments=photos)
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return True


# Words at a step that she cannot work it (我不会弄, 这个怎么按, 看不懂): told how, not kept as the need's or as where.
_CANNOT_WORK_IT = re.compile("不会(弄|用|按|点|发|操作|搞)|(怎么|咋|如何)(弄|发|按|点|操作|搞)|看不懂|搞不(来|懂|明白)"
                             "|弄不(来|懂|明白)|不懂(怎么|这个)|不知道(怎么|咋)(弄|发|按|点|操作)")
CANNOT_WORK_IT_MAX_CHARS = 20


def cannot_work_it(text: str) -> bool:
    """Whether short words at a step say she does not know how to answer it (我不会弄, 这个怎么按)."""
    words = simplified(text).strip()
    return len(words) <= CANNOT_WORK_IT_MAX_CHARS and bool(_CANNOT_WORK_IT.search(words))


def address_unknown(text: str) -> bool:
    """Whether words at the address step say the resident does not know it or how to write it (我不知道地址), and
    tell nothing else but whom she will ask (我问问楼下邻居): any other words are a place, however little
    (幸福里小区东门，门牌号不记得了; 门牌号不记得了，就在菜场后面: the member can find it and call)."""
    plain = simplified(text).strip()
    if len(plain) <= MAX_PIECE_CHARS and _NOT_KNOWN_ALONE.fullmatch(plain):
        return True  # (不知道, 我也不知道, 记不得了: the address is what was asked)
    if not (_ADDRESS_NAMED.search(plain) and _NOT_KNOWN.search(plain)):
        return False
    for clause in filter(None, (c.strip() for c in _CLAUSES.split(plain))):
        if _NOT_KNOWN.search(clause):
            if _PLACE_WORD.search(_ADDRESS_NAMED.sub("", clause)):
                return False  # (门牌号记不清了在菜市场旁边)
        elif not _ASKING_SOMEONE.search(clause):
            return False
    return True


def address_later(text: str) -> bool:
    """Whether words at the address step say she will come back with it (等一下我问问我儿子) and name no place."""
    plain = simplified(text).strip()
    return bool(_LATER_OR_ASKING.search(plain)) and not _PLACE_WORD.search(_ADDRESS_NAMED.sub("", plain))


def _same_address(text: str) -> bool:
    """Whether short words at the address step ask for the address of last time (跟上次一样, 老地址)."""
    plain = simplified(text).strip()
    return len(plain) <= MAX_PIECE_CHARS and bool(_SAME_ADDRESS.search(plain)) and not _NOT_SAME_ADDRESS.search(plain)


async def address_given(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str, photos: list[str]
) -> None:
    """The resident typed the address (or asked after an earlier ticket: answered, the address asked again; or told
    another need: kept for after this one, the address asked again)."""
    if photos:
        await act(context, _add_photos, update.effective_user.id, state["token"], photos, now())
    told = phone_only(text)
    if told and told.aside and another_need_beside(deps(context).classifier.classify(told.aside), state.get("label")):
        told = None  # (电话138…，厨房水管也漏了: another need, read as such below)
    if told and told.address:  # (电话138…，12-2-1203: both)
        changes = {"address": told.address, "phone": told.phone} | _aside_added(state, told.aside)
        moved = await act(context, _update_intake, update.effective_user.id, state["token"], changes, now())
        if moved is not None:
            await _next_step(update, context, moved)
        return
    if told:  # (我电话138…: her phone, not where)
        await phone_at_address_step(update, context, state, told)
        return
    if await _emergency_called_off(update, context, state, text):
        return
    where = numbers.address_in(text)  # (the house number told, if any: most answers below are told by its absence)
    if state.get("ticket_id") and where is None and (_declines(text) or address_unknown(text)):
        moved = await act(context, _update_intake, update.effective_user.id, state["token"], {"step": "phone"}, now())
        if moved is not None:  # (where is not asked twice of someone urgent; a phone kept is not asked again)
            await _next_step(update, context, moved)
        return
    if state.get("ticket_id") and state.get("self_harm") and where is None:
        # (someone in crisis answering with how they feel: heard, added to the ticket, never taken for an address)
        await act(context, _supplement_opened, update.effective_user.id, state, text, now())
        await reply(update, texts.HEARD_GENTLY)
        return
    if where is None and _same_address(text):
        last = (await query(context, _last_contact, update.effective_user.id))[0]
        if last is None:
            await _ask_again(update, context, state, texts.NO_LAST_ADDRESS)
            return
        await reply(update, texts.last_address_used(last))
        await _intake_action(update, context, state["token"], "addr", [""])
        return
    if where is None and (address_unknown(text) or (
            cannot_work_it(text) and deps(context).classifier.classify(text).kind != "request")):
        # (neither the address nor another need; 我不会弄 — 新买的血压计不会用 is a need, kept for after this one)
        await _ask_again(update, context, state, texts.ADDRESS_HELP)
        return
    if where is None and not state.get("ticket_id") and address_later(text) and not (
            _ANOTHER.search(text)):
        await reply(update, texts.ADDRESS_LATER)  # (等一下我问问我儿子: the step waits for it)
        return
    if where is None and _HOME_ONLY.fullmatch(simplified(text).strip()):
        await reply(update, texts.ADDRESS_TOO_SHORT)  # (就在我家, 你们知道的: no place a member could find)
        return
    if where is None:
        result = deps(context).classifier.classify(text)
        if await _passed_on(update, context, text, result.kind) or await _aside(update, context, result.kind):
            await _ask_again(update, context, state)  # (a 催办 of an earlier ticket passed on, or answered: the step again)
            return
        plain = simplified(text).strip()
        asks = bool(_ASKS.search(plain)) or asks_what_next(plain)
        if state.get("ticket_id") and (result.kind == "request" or asks):
            # (已经打了119, 消防车到了, 我该怎么办？: told of the emergency; the advice again when its words read urgent
            # again or ask what to do: the first may not have reached them)
            await act(context, _supplement_opened, update.effective_user.id, state, text, now())
            if asks or (result.urgent and not _DONE_ALREADY.search(plain)):
                await reply(update, texts.urgent_advice(state.get("hotlines") or ()))
            await _ask_again(update, context, state, texts.ADDED_TO_URGENT)
            return
        if result.kind == "request" and result.confident and result.label == state.get("label"):
            await _ask_again(update, context, state, texts.SAME_NEED_IN_PROGRESS)  # (told again: not kept twice)
            return
        if await _another_need(update, context, state, text, result):
            return
        if asks_what_next(plain):  # (那现在咋办: not registered yet, the address is what is missing)
            await _ask_again(update, context, state)
            return
        if _ASKS.search(plain):  # (什么地址, 地址写什么: a question back is no address)
            await _ask_again(update, context, state, texts.ADDRESS_EXPLAINED)
            return
    rest = text.replace(where, " ", 1).strip(" ，,。；;") if where else ""
    if rest and await _passed_on(update, context, rest):
        text = where  # (都三天了还没人来，我家在和平路小区5号楼: the 催办 passed on, the address kept alone)
    if len(text.strip()) < MIN_ADDRESS_CHARS and where is None:  # (3号楼 is enough: her grid is known)
        if numbers.names_a_place(text):  # (和平里, then 3号楼: told in pieces, the estate kept for the building after it)
            await act(context, _update_intake, update.effective_user.id, state["token"],
                      {"address_piece": text.strip()}, now())
        await reply(update, texts.ADDRESS_TOO_SHORT)
        return
    # (…501 1391234567: where kept, the number asked again; not …2101 电表号 12345678, the meter's)
    mistyped = numbers.number_after_address(text) if where else None
    address = text.rstrip()[:mistyped.start()].strip() if mistyped else text.strip()
    if (piece := state.get("address_piece")) and not numbers.names_a_place(address):
        address = f"{piece}{address}"
    changes = {"address": address[:300], "step": "phone"}
    state = await act(context, _update_intake, update.effective_user.id, state["token"], changes, now())
    if state is not None:
        if mistyped:
            await reply(update, texts.PHONE_INCOMPLETE)
        await _next_step(update, context, state)


async def address_told_early(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                             photos: list[str] | None = None) -> None:
    """An address typed under 「对吗？」 before 确认 (or a place shared at the questions before it): kept for the
    address step (not asked again)."""
    address = state["early_address"]
    if state.get("correcting") and state.get("address"):  # (不对，是5号楼 after the address told with the need)
        address = numbers.corrected_address(state["address"], address)
    await _told_early(update, context, state, {"address": address}, texts.address_noted(address), photos)


async def phone_told_early(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                           photos: list[str] | None = None) -> None:
    """A phone number typed under 「对吗？」 (我电话138…, 对的，电话是…): kept for the phone step, which is then not
    asked; the few words beside it (下午在家) go with the request, or, when they are another need (`another_need`:
    电话138…，另外厨房水管也漏了), are kept for after it."""
    told: PhoneTold = state["early_phone"]
    later = without_another(told.aside) if state.get("another_need") else ""
    changes = {"phone": told.phone} | _aside_added(state, "" if later else told.aside) | (
        {"address": told.address} if told.address else {})
    noted = texts.phone_noted(told.phone) + (f"\n{texts.address_noted(told.address)}" if told.address else "") + (
        f"\n{texts.second_need_noted(later)}" if later else "")
    if later:  # (a photo sent with it shows the other need: it goes with that one)
        await act(context, _keep_next_need, update.effective_user.id, state["token"], later, now(), photos)
    await _told_early(update, context, state, changes, noted, None if later else photos)


def _aside_added(state: dict[str, Any], aside: str) -> dict[str, Any]:
    """What was said beside a phone (下午在家), added to the request the intake holds."""
    return {"text": tickets.with_supplement(state["text"], aside)} if aside and state.get("text") else {}


async def _told_early(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                      changes: dict[str, Any], noted: str, photos: list[str] | None) -> None:
    """What a later step asks, told before 确认: kept, said so, the card shown again; after a yes (对的，地址是…), 确认
    as well. A photo sent with it goes with the request."""
    if photos:
        await act(context, _add_photos, update.effective_user.id, state["token"], photos, now())
    kept = await act(context, _update_intake, update.effective_user.id, state["token"], changes, now())
    if kept is None:
        await reply(update, texts.STALE_BUTTON)
        return
    await reply(update, noted)
    if kept.get("step") != "confirm":  # (a place shared at the duplicate or community question: its buttons wait)
        await reply(update, texts.NEED_NOT_SUBMITTED)
    elif state.get("confirmed"):
        await answer_typed(update, context, kept, "yes")
    else:
        await _show_understanding(update, context, kept)


async def photo_at_step(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                        photos: list[str]) -> None:
    """A photo without words while a request is described (an album's next photo, one sent at the address or phone
    step): added to the request; at the address or phone step, the step asked again."""
    await act(context, _add_photos, update.effective_user.id, state["token"], photos, now())
    if state.get("step") in ("address", "phone"):
        await _ask_again(update, context, state, texts.PHOTO_ADDED)
    else:
        await reply(update, texts.PHOTO_ADDED)


PHOTOS = "photos"  # photos sent before their words, kept PHOTOS_KEPT for the request those words make
PHOTOS_KEPT = timedelta(minutes=30)


def _keep_photos(session: Session, telegram_id: int, photos: list[str], now_: Any) -> None:
    kept = drafts.get_draft(session, telegram_id, PHOTOS) or {"attachments": []}
    kept["attachments"] = [*kept["attachments"], *photos][: tickets.MAX_ATTACHMENTS]
    drafts.save_draft(session, telegram_id, PHOTOS, kept, now_)


def photos_kept(session: Session, telegram_id: int, flows: list[tuple[str, dict[str, Any], datetime]],
                now_: datetime) -> list[str]:
    """The photos a resident sent before their words (within PHOTOS_KEPT; `flows`: their drafts), taken for the
    request being made."""
    for flow, state, touched in flows:
        if flow == PHOTOS:
            drafts.clear_draft(session, telegram_id, PHOTOS)
            return list(state.get("attachments") or []) if now_ - touched <= PHOTOS_KEPT else []
    return []


async def photos_first(update: Update, context: ContextTypes.DEFAULT_TYPE, photos: list[str]) -> None:
    """A photo with no words and no request in progress: on the ticket she has just registered (JUST_REGISTERED), else
    kept, and the words asked for."""
    if number := await act(context, _added_to_fresh_ticket, update.effective_user.id, "", sent_at(update), photos):
        await reply(update, texts.added_to_ticket(number, "照片") + "\n" + texts.PHOTO_OF_ANOTHER_NEED)
        return
    await act(context, _keep_photos, update.effective_user.id, photos, now())
    await reply(update, texts.PHOTO_WAITS_FOR_WORDS)


async def unsupported_at_step(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    """A sticker, voice or file at the address or phone step: what the step needs, asked again."""
    await _ask_again(update, context, state, texts.UNSUPPORTED_AT_STEP)


def _draft_at_phone(session: Session, telegram_id: int, now_: Any, supplement: str = "") -> dict[str, Any] | None:
    """The intake draft waiting for a phone (None if there is none), with `supplement` added to its request and
    saved (kept even if the ticket limit then holds the draft back)."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("step") != "phone":
        return None
    if supplement and state.get("ticket_id"):  # (an urgent ticket, opened at once: the words go to it)
        tickets.add_contact(session, state["ticket_id"], telegram_id, now_, supplement=supplement)
    elif supplement:
        state["text"] = tickets.with_supplement(state["text"], supplement)
        drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return state


def place_of(message: Message | None) -> str | None:
    """A place shared (a venue: its name and address; a location: where on the map) as an address's words."""
    if message is None:
        return None
    if message.venue is not None:
        return f"{message.venue.title} {message.venue.address}".strip()
    if message.location is not None:
        return texts.shared_location(message.location.latitude, message.location.longitude)
    return None


def _address_at_phone(
    session: Session, telegram_id: int, now_: Any, part: str, correcting: bool = False
) -> str | None:
    """More of the address told at the phone step (幸福里小区, then 3号楼, then 2单元502): added to it, or put in place
    of what it corrects (不对，是5号楼); the address now (None without such a draft, or for an urgent ticket's, whose
    words go to the ticket)."""
    state = drafts.get_draft(session, telegram_id, INTAKE)
    if state is None or state.get("step") != "phone" or state.get("ticket_id"):
        return None
    address = state.get("address") or ""
    if not correcting and "".join(part.split()) in "".join(address.split()):
        return address  # (told already: a re-sent update, or sent again after a lost answer, is not added twice)
    changed = numbers.corrected_address(address, part) if correcting and address else f"{address} {part}"
    state["address"] = changed.strip()[:300]
    drafts.save_draft(session, telegram_id, INTAKE, state, now_)
    return state["address"]


def _submit(
    session: Session, telegram_id: int, name: str, phone: str | None, now_: Any, supplement: str = ""
) -> dict[str, Any] | None:
    """Create the ticket from the intake draft and forget the draft, in one transaction."""
    if (opened := drafts.get_draft(session, telegram_id, INTAKE)) and opened.get("ticket_id"):
        if opened.get("step") != "phone":
            return None
        tickets.add_contact(session, opened["ticket_id"], telegram_id, now_, phone=phone, supplement=supplement)
        drafts.clear_draft(session, telegram_id, INTAKE)
        return {"number": opened["number"], "contact_added": True, **_what_follows(opened)}
    state = _draft_at_phone(session, telegram_id, now_, supplement)
    if state is None:
        return None
    if _area_gone(session, telegram_id, state, now_):
        return {"area_gone": True}
    if not state.get("urgent"):  # urgent requests are never held back
        until = abuse.ticket_limit_until(session, telegram_id, now_)
        if until is not None:
            return {"limited_until": until}  # the draft stays as it is
    ticket = _ticket_of(session, telegram_id, name, state, now_, phone)
    drafts.clear_draft(session, telegram_id, INTAKE)
    return {"number": f"#{ticket.number}", "label": ticket.label, "urgent": ticket.urgent,
            **_what_follows(state)}


async def phone_given(
    update: Update, context: ContextTypes.DEFAULT_TYPE, phone: str | None, supplement: str = ""
) -> None:
    """A shared contact, a typed number, or 跳过: the ticket is created (its number comes from the outbox)."""
    user = update.effective_user
    result = await act(context, _submit, user.id, display_name(user), phone, now(), supplement)
    if result and result.get("area_gone"):
        await _ask_area_again(update, context)
        return
    if result is None:
        await reply(update, texts.STALE_BUTTON, ReplyKeyboardRemove())
    elif result.get("limited_until"):
        limit, tz = deps(context).settings.TICKETS_PER_HOUR, deps(context).tz
        await reply(update, texts.too_many_tickets(limit, result["limited_until"], tz, at_submit=True),
                    keyboards.share_phone())
    elif result.get("contact_added"):
        await reply(update, texts.contact_added_for_resident(result["number"]), ReplyKeyboardRemove())
    if result and not result.get("limited_until"):
        await next_need(update, context, result)


async def next_need(update: Update, context: ContextTypes.DEFAULT_TYPE, done: dict[str, Any]) -> None:
    """Another need kept with an intake now done (submitted or cancelled): its turn."""
    if done.get("next_text"):
        await delivery.deliver_now(context)  # (the first one's number before the second one's card)
        await reply(update, texts.NEXT_NEED, ReplyKeyboardRemove())
        # (two needs kept, one per line — 另外水管也漏了 at the address step, 另外灯也不亮了 at the phone's —: one at a time)
        first, _, rest = done["next_text"].partition("\n")
        then = ({"text": rest, "next_text": done.get("next_then")} if rest
                else {"text": done["next_then"]} if done.get("next_then") else None)
        await new_request(update, context, without_another(first), done.get("next_attachments") or [], then,
                          done.get("next_address"))


async def contact_shared(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact shared: her own (the 📱 button) or a card from the address book (her son's, to be called instead). Its
    number is the request's phone, kept for the phone step when it comes before it."""
    phone = card_phone(update.effective_message.contact)
    state = await query(context, drafts.get_draft, update.effective_user.id, INTAKE)
    if not state:
        await reply(update, texts.NON_REQUEST["other"], ReplyKeyboardRemove())
        return
    step = state.get("step")
    if step == "phone":
        await phone_given(update, context, phone)
    elif phone and step == "confirm":
        await _told_early(update, context, state, {"phone": phone}, texts.phone_noted(phone), None)
    elif phone and step == "address":
        await phone_at_address_step(update, context, state, PhoneTold(phone, False, "", ""))
    elif step == "address":
        await _ask_again(update, context, state, texts.PHONE_AFTER_ADDRESS)
    else:  # (the area or the duplicate question: its buttons wait)
        await reply(update, texts.NEED_NOT_SUBMITTED)


def card_phone(contact: Any) -> str | None:
    """A contact card's number as the card gives it (+1 415…, 010…: already a number, not words to read). Whose it is
    stays out of the request: its words reach every member offered the ticket."""
    return re.sub(r"[\s\-－()（）.]", "", contact.phone_number or "")[:40] or None


async def phone_at_address_step(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                                told: PhoneTold) -> None:
    """A phone sent (a card) or typed (我电话138…，下午在家) when the address is asked: kept for the phone step (an
    urgent ticket's: given to the ticket at once), what was said beside it added to the request, the address asked
    again."""
    phone = told.phone
    changes = {"phone": phone} | _aside_added(state, told.aside)
    kept = await act(context, _update_intake, update.effective_user.id, state["token"], changes, now())
    if kept is None:
        await reply(update, texts.STALE_BUTTON)
        return
    await _ask_again(update, context, kept, texts.phone_noted(phone))


async def phone_typed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str, photos: list[str]
) -> None:
    """At the phone step: a number typed by hand, 跳过, or words to add to the request (never dropped; nor are
    photos sent with them)."""
    if photos:
        await act(context, _add_photos, update.effective_user.id, state["token"], photos, now())
    if text.strip().startswith(texts.BTN_LAST_PHONE):  # (the number she left last time: its button pressed)
        await phone_given(update, context, (await query(context, _last_contact, update.effective_user.id))[1], "")
        return
    phone, rest = phone_in(text)
    if phone is None and await _emergency_called_off(update, context, state, rest):
        return
    result = deps(context).classifier.classify(rest)
    if phone is None and result.kind != "request" and cannot_work_it(rest):
        # (我不会弄: no words for the need — 燃气灶打不着火 不会弄 is a need, read below)
        await reply(update, texts.PHONE_HOW_GENTLY, keyboards.share_phone())
        return
    if phone is None and await _another_need(update, context, state, rest, result):
        return
    part = numbers.address_in(rest) if phone is None else None
    lead = _NO_FIRST.match(simplified(rest).strip()) if phone is None else None
    if part is None and lead and _ROOM_NUMBER.search(rest):
        part = rest.strip()[lead.end():]  # (不对，是602: a room alone, corrected)
    correcting = part is not None and lead is not None
    if part and (address := await act(context, _address_at_phone, update.effective_user.id, now(), part, correcting)):
        left = rest.replace(part, " ", 1).strip(" ，,。；;")  # (the words told with it: 白天家里没人，晚上6点以后再来)
        if correcting:
            await reply(update, texts.address_corrected(address), keyboards.share_phone())
        elif len(_PHONE_LABEL.sub("", simplified(left))) >= MIN_SUPPLEMENT_CHARS:
            await act(context, _draft_at_phone, update.effective_user.id, now(), left)
            await reply(update, texts.address_and_supplement_added(address, left), keyboards.share_phone())
        else:
            await reply(update, texts.address_added(address), keyboards.share_phone())
        return
    if phone is None and not state.get("self_harm") and asks_what_next(rest):
        # (那现在咋办: not registered yet, the phone is what is left; for an emergency, what to do till help comes)
        if state.get("ticket_id"):
            await reply(update, texts.urgent_advice(state.get("hotlines") or ()))
        await _ask_again(update, context, state)
        return
    kind = result.kind
    if not state.get("self_harm") and await _passed_on(update, context, rest, kind):
        # (都三天了还没人来: an earlier ticket's, not words for this one; a phone typed with it is this one's)
        if phone is None:
            await _ask_again(update, context, state)
        else:
            await phone_given(update, context, phone, "")
        return
    plain = simplified(rest)  # (手機號碼, 沒有, 冇電話: the labels and skip words read in Simplified)
    worth_keeping = len(_PHONE_LABEL.sub("", plain)) >= MIN_SUPPLEMENT_CHARS and kind not in ("thanks", "greeting")
    supplement = rest if worth_keeping else ""
    if phone is not None or plain.lstrip("我俺咱").startswith(SKIP_WORDS):
        await phone_given(update, context, phone, supplement)
    elif _DIGITS.search(rest):
        if supplement:
            await act(context, _draft_at_phone, update.effective_user.id, now(), supplement)
        await reply(update, texts.PHONE_INCOMPLETE, keyboards.share_phone())
    elif state.get("self_harm") and state.get("ticket_id") and worth_keeping:
        # (someone in crisis telling how they feel, not a form's answer: heard, added to the ticket, as at the where step)
        if await act(context, _draft_at_phone, update.effective_user.id, now(), supplement):
            await reply(update, texts.HEARD_GENTLY, keyboards.share_phone())
        else:
            await reply(update, texts.HEARD_GENTLY, ReplyKeyboardRemove())
    elif supplement and (kind != "status" or not _A_STATUS_QUESTION.search(plain)
                         or (bool(_ANY_TIME.search(plain)) and not _ASKED.search(plain))):  # (晚上再来; 什么时候来都行)
        if await act(context, _draft_at_phone, update.effective_user.id, now(), supplement):
            await reply(update, texts.supplement_added(supplement), keyboards.share_phone())
        else:
            await reply(update, texts.STALE_BUTTON, ReplyKeyboardRemove())
    else:  # a question after an earlier ticket, thanks, or a word: answered, and the phone asked again
        await _aside(update, context, kind)
        await _ask_again(update, context, state)


# ── a need left unfinished ─────────────────────────────────────────────────────────────────────────
INTAKE_REMINDER_AFTER = timedelta(hours=1)  # a need left at its address or phone step this long is recalled, once


def remind_unfinished(session: Session, now_: datetime) -> int:
    """Recall a need left at its address or phone step (an older resident puts the phone down, believing it reported):
    one reminder, while the step still takes the answer (STEP_IDLE); the step's time is kept. How many were sent."""
    sent = 0
    for telegram_id, state, touched in drafts.idle_drafts(session, INTAKE, now_ - STEP_IDLE,
                                                          now_ - INTAKE_REMINDER_AFTER):
        if state.get("reminded") or state.get("ticket_id") or state.get("step") not in ("address", "phone"):
            continue  # (an urgent ticket is open already; a card not confirmed is no report she believes made)
        drafts.save_draft(session, telegram_id, INTAKE, {**state, "reminded": True}, touched)
        outbox.notify(session, telegram_id, NotificationKind.intake_reminder, now_,
                      payload={"text": state["text"], "step": state["step"]})
        sent += 1
    return sent


# ── /my and rating ────────────────────────────────────────────────────────────────────────────────
def _my_rows(session: Session, telegram_id: int, now_: datetime) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The resident's tickets, and the need they are telling if it waits at its card, address or phone."""
    rows = []
    for ticket in tickets.list_resident_tickets(session, telegram_id):
        payload = views.ticket_payload(session, ticket)
        payload["created_at"] = ticket.created_at
        rows.append(payload)
    return rows, intake_at(drafts.list_drafts(session, telegram_id), ("area", "confirm", "address", "phone"), now_)


def intake_at(flows: list[tuple[str, dict[str, Any], datetime]], steps: tuple[str, ...],
              now_: datetime) -> dict[str, Any] | None:
    """The resident's intake draft (among `flows`, drafts.list_drafts) when it waits at one of `steps` and is not left
    (STEP_IDLE)."""
    for flow, state, touched in flows:
        if flow == INTAKE and state.get("step") in steps:
            return None if step_left(touched, now_) else state
    return None


async def my_tickets(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/my: the resident's tickets and where each stands (a member without any: where theirs to do are), then the need
    still being told, with its step asked again."""
    rows, waiting = await query(context, _my_rows, update.effective_user.id, now())
    is_member = not rows and not waiting and await query(
        context, members.find_member, update.effective_user.id) is not None
    await reply(update, texts.MY_NONE_MEMBER if is_member else texts.my_tickets(rows, deps(context).tz,
                                                                                 telling=waiting is not None),
                call_off.call_off_markup(rows))
    if waiting is not None and waiting.get("step") == "area":  # (a newcomer's need waits for the community)
        await ask_area(update, context, lead=texts.CHOOSE_AREA_WITH_BUTTONS)
    elif waiting is not None:
        await _ask_again(update, context, waiting)


def _rate(session: Session, telegram_id: int, ticket_id: int, stars: int, now_: Any, comment: str = "", *,
          comment_step: bool = True) -> tuple[str, bool]:
    """Rate the ticket and (unless another step waits for words) open the comment step: what the resident is told,
    and whether it was rated — not when it was already (an older prompt's button pressed after the reminder's, or a
    double tap): closed, or reopened by a low rating and being redone."""
    ticket = tickets.get_ticket(session, ticket_id)
    if ticket.rating is not None and ticket.status != S.resolved and ticket.resident_id == telegram_id:
        return (texts.RATED_ALREADY if ticket.status == S.closed else texts.RATED_REOPENED), False
    kept = drafts.get_draft(session, telegram_id, RATING_WORDS) or {}
    if not comment and kept.get("ticket_id") == ticket_id:
        comment = kept["words"]  # (灯还是不亮 typed before the stars pressed: their reason)
    drafts.clear_draft(session, telegram_id, RATING_WORDS)
    tickets.rate_ticket(session, ticket_id, telegram_id, stars, now_, comment=comment[:1000])
    label = ticket.label  # (words of another need after the stars are no comment)
    if comment_step:
        drafts.save_draft(session, telegram_id, COMMENT,
                          {"ticket_id": ticket_id, "await": "comment", "label": label, "stars": stars}, now_)
    return texts.rated(stars, f"#{ticket.number}", ask_comment=comment_step), True


def _skip_comment(session: Session, telegram_id: int, ticket_id: int) -> str:
    """Close the comment step; the rating card's words without its question, and thanks (what was rated, and that
    the ticket was reopened, stay in the chat)."""
    drafts.clear_draft(session, telegram_id, COMMENT)
    ticket = session.get(Ticket, ticket_id)
    rating = tickets.latest_rating(session, ticket_id) if ticket and ticket.resident_id == telegram_id else None
    if rating is None:
        return texts.COMMENT_SKIPPED
    return texts.rated(rating.stars, f"#{ticket.number}", ask_comment=False) + "\n" + texts.COMMENT_SKIPPED


async def rating_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """1–5 ⭐ (then an optional comment), or 跳过 the comment."""
    await answer(update)
    ticket_id, choice = ([*callback_args(update), "", ""])[:2]
    if choice == "skip" and ticket_id.isdigit():
        await edit(update, await act(context, _skip_comment, update.effective_user.id, int(ticket_id)))
        return
    if not ticket_id.isdigit() or not choice.isdigit():
        await edit(update, texts.STALE_BUTTON)
        return
    told, rated = await act(context, _rate, update.effective_user.id, int(ticket_id), int(choice), now())
    await edit(update, told, keyboards.skip_comment(int(ticket_id)) if rated else None)


async def rating_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any]) -> None:
    """Stars typed under 「请为这次服务打个分」 count as pressed (the words with them are the comment; at an intake's
    address or phone step, its question is asked again); words of a rating get the buttons again."""
    ticket_id, stars, intake = state["ticket_id"], state["stars"], state.get("intake")
    if not stars:
        words = state["comment"]
        if words:
            await act(context, _keep_rating_words, update.effective_user.id, ticket_id, words, now())
        # (师傅根本没来过: the coordinators hear it now, stars or none; told once in two hours)
        told = bool(words) and disputes_the_done(words) and await act(
            context, tickets.dispute_done, ticket_id, update.effective_user.id, words, now())
        unhappy = _UNHAPPY.search(_star_words(words)) or disputes_the_work(words)
        lead = texts.rating_words_kept(words, told) + "\n" if words and unhappy else ""
        await reply(update, lead + texts.RATE_WITH_BUTTONS + "\n" + texts.rate_prompt(state["number"], state["item_name"]),
                    keyboards.rating(ticket_id))
        if besides := state.get("besides"):  # (the need told after the dispute: registered as any)
            await _start_intake(update, context, deps(context).classifier.classify(besides), besides, [])
        return
    # (rated when written: the comment window runs from then, as the next words' windows do — after downtime too)
    told, rated = await act(context, _rate, update.effective_user.id, ticket_id, stars, sent_at(update),
                            state["comment"], comment_step=intake is None)
    await reply(update, told, keyboards.skip_comment(ticket_id) if rated and intake is None else None)
    if intake is not None:
        await _ask_again(update, context, intake)


def _keep_rating_words(session: Session, telegram_id: int, ticket_id: int, words: str, now_: Any) -> None:
    """Words of a rating without stars (很满意, 师傅根本没来 灯还是不亮): kept, in the order told, for the stars given next."""
    kept = drafts.get_draft(session, telegram_id, RATING_WORDS) or {}
    told = kept.get("words", "") if kept.get("ticket_id") == ticket_id else ""
    if f"\n{words}\n" not in f"\n{told}\n":
        told = f"{told}\n{words}" if told else words
    drafts.save_draft(session, telegram_id, RATING_WORDS, {"ticket_id": ticket_id, "words": told[:1000]}, now_)


def _photo_to_rated(session: Session, telegram_id: int, ticket_id: int, photos: list[str], now_: Any) -> bool:
    """A photo after the stars goes to the ticket when it is open again (a low rating reopened it: the coordinators
    and whoever takes it see it); False for a closed one (nothing to add it to)."""
    ticket = tickets.get_ticket(session, ticket_id)
    if ticket.status in (S.closed, S.cancelled):
        return False
    tickets.add_contact(session, ticket_id, telegram_id, now_, attachments=photos)
    return True


async def photo_after_rating(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any],
                             photos: list[str]) -> None:
    """A photo in the rating's comment window: on the reopened ticket, or thanks; the window stays open."""
    added = await act(context, _photo_to_rated, update.effective_user.id, int(state["ticket_id"]), photos, now())
    await reply(update, texts.PHOTO_ADDED_TO_REOPENED if added else texts.PHOTO_AFTER_RATING)


def _comment(session: Session, telegram_id: int, state: dict[str, Any], comment: str, now_: Any) -> str:
    """Add the words to the rating's comment; the step stays open for the window (a reason told in two messages is
    one), but thanks after a comment close it (好的，谢谢 is no reason to pass on). Words that correct a low rating
    pressed by mistake (点错了，应该是五星) rate again while nobody has acted on the reopened ticket."""
    ticket_id = int(state["ticket_id"])
    rating = tickets.latest_rating(session, ticket_id)
    if rating is not None and rating.comment and member.acknowledges(comment):
        drafts.clear_draft(session, telegram_id, COMMENT)
        return texts.COMMENT_SKIPPED
    asked = bool(state.get("asked_stars"))  # (「您想打几星？」 was asked: a bare 5 answers it)
    stars = corrected_stars(comment, rating.stars, asked) if rating is not None and rating.stars <= 2 else None
    if stars is not None and tickets.rating_correctable(session, tickets.get_ticket(session, ticket_id)):
        if not stars:
            _keep_step(session, telegram_id, {**state, "asked_stars": True}, now_)
            return texts.ASK_CORRECTED_STARS
        if stars >= 3:
            ticket = tickets.correct_rating(session, ticket_id, telegram_id, stars, now_,
                                            comment=correction_words(comment))
            drafts.clear_draft(session, telegram_id, COMMENT)
            return texts.rating_corrected(stars, f"#{ticket.number}")
    # (点错了，应该是一星 after 5 ⭐: the work not done; the closed ticket stays so, the coordinators follow it up)
    slipped_to = (slipped_low(comment) or None) if rating is not None and rating.stars >= 3 else None
    tickets.comment_rating(session, ticket_id, telegram_id, comment, now_, slipped_to=slipped_to)
    _keep_step(session, telegram_id, {**state, "commented": comment, "asked_stars": False}, now_)
    if slipped_to:
        return texts.SLIP_TO_LOW_TOLD
    return texts.RATING_NOT_CORRECTABLE if stars is not None and stars >= 3 else texts.COMMENT_SAVED


def _keep_step(session: Session, telegram_id: int, state: dict[str, Any], now_: Any) -> None:
    """Save the comment step's state with its time kept: the window runs from the stars, not from the last words."""
    kept = drafts.draft_with_time(session, telegram_id, COMMENT)
    rated = kept[1] if kept else now_
    drafts.save_draft(session, telegram_id, COMMENT, state, rated)


# Words that decline the optional comment, as the 跳过 button does (跳过, 不用了, 没有了, 不说了), not 没有修好.
_NO_COMMENT = re.compile(
    "(" + "|".join(SKIP_WORDS) + r"|不说|没了|没什么|没啥)[了啦吧]?[，,。.!！~～\s]*(谢谢[您你]?)?[。.!！~～\s]*")


def declines_comment(text: str) -> bool:
    """Whether words at the comment step skip it (跳过 typed instead of pressed): saved as no comment."""
    return bool(_NO_COMMENT.fullmatch(simplified(text).strip()))


def commented_well(state: dict[str, Any]) -> bool:
    """Whether a comment was given on a rating of 3–5 ⭐ (no reason in parts to wait for: a need told next is new)."""
    return bool(state.get("commented")) and int(state.get("stars") or 0) >= 3


def awaits_comment(touched: datetime, now_: datetime) -> bool:
    """Whether a comment draft still waits for words: saved at the rating (a comment keeps that time) within
    COMMENT_WINDOW."""
    return now_ - touched <= COMMENT_WINDOW


async def comment_given(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], text: str, photos: list[str] = ()
) -> None:
    """The optional words after a rating; 跳过 typed closes the step as the button does. The same words again (a
    re-sent update, or sent after a lost answer) are thanked for again: saved once. A photo sent with them (灯还是不亮，
    你们看) goes to the reopened ticket, as one sent alone."""
    if photos:
        await act(context, _photo_to_rated, update.effective_user.id, int(state["ticket_id"]), list(photos), now())
    if declines_comment(text):
        await act(context, drafts.clear_draft, update.effective_user.id, COMMENT)
        await reply(update, texts.COMMENT_SKIPPED)
        return
    comment = text.strip()[:1000]
    if comment == state.get("commented"):
        await reply(update, texts.COMMENT_SAVED)
        return
    await reply(update, await act(context, _comment, update.effective_user.id, state, comment, now()))
