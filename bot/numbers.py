"""House and phone numbers in what residents type: where the address is, which number is a phone, and what offers
must not show. Residents write numbers in digits or, older ones and voice input, in Chinese numerals (三号楼二单元
五零二, 一三八一二三四五六七八); a bare N号 is a house number only beside a place (和平路1号), else a day (25号才能来)."""

from __future__ import annotations

import re

from classifier.normalize import simplified

_CN = "零〇一二两三四五六七八九十百千幺"
_CN_DIGITS = dict(zip("零〇一二两三四五六七八九幺", "0012234567891", strict=True))
_NUMBER = rf"(?:\d+|[{_CN}]+)"
_BUILDING = "号楼|号院|栋|幢|单元|室|弄|巷"
# A building, unit or room number (N号楼, N#楼 as estate signs write it, N单元, N室, a room-sized N房/N户, a room
# after its building, unit (N门 in the north) or floor: 5栋302, 2单元五零二, 5#楼2-301, 1门402, 6楼602, B座1203), or a
# bare N号.
_HOUSE = re.compile(
    rf"{_NUMBER}\s*(?:{_BUILDING}|号)"
    rf"|\d+\s*#\s*楼?"
    rf"|\d{{3,4}}\s*[房户]"
    rf"|(?:(?<=单元)|(?<=号楼)|(?<=号院)|(?<=[栋幢])|(?<=\d门)|(?<=\d楼)|(?<=#)|(?<=#楼))"
    rf"(?:[\s\-/]*(?:\d+(?:[-－]\d+)?|[零〇一二三四五六七八九幺]{{2,4}})"
    rf"|\s*的\s*(?:\d{{3,4}}|[零〇一二三四五六七八九幺]{{3,4}}))"
    # (after 的 only a room-sized number: 3号楼的502, not 5栋的2部电梯)
    rf"|(?<=[A-Za-z0-9]座)\s*\d+"
    # (a number after 门牌号 / 房号, whatever its shape: 门牌号3-502)
    rf"|(?:(?<=门牌号)|(?<=门牌)|(?<=房号)|(?<=房间号)|(?<=门牌号码)|(?<=房间号码))[\s:：是为]*\d+(?:[-－—]\d+)*"
)
_BUILDING_ROOM = re.compile(r"(?<![\d\-－—])\d{1,3}[-－—]\d{3,4}(?![\d\-－—])")
_DOOR_LABEL = re.compile("门牌|房号|房间号")
# A door number in numerals after its label (门牌五零二, 房号是五〇二: voice input writes them so).
_LABELLED_DOOR_IN_NUMERALS = re.compile("(?:门牌号?|房号|房间号)[是为:：\\s]*([零〇一二三四五六七八九幺]{3,4})")
HOTLINES = frozenset({"110", "119", "120", "122", "114", "12345", "12315", "12369"})  # (阳光花园，119: no room)
# (an estate's name right before: 幸福里3-502, 幸福里小区，3-502 — not 不知道，200-300)
_AN_ESTATE_BEFORE = re.compile(
    "(小区|花园|苑|家园|公寓|大厦|新村|(?<![家这那哪心公千万英院城村])里|(?<![医学法住剧影])院|\\d\\s*[栋幢座]|号楼)\\s*$")
_AFTER_A_BUILDING = re.compile(r"(?:单元|号楼|号院|[栋幢座]|\d门|\d楼|#)\s*$")  # (3号楼2单元502号: a room)
_PLACE_BEFORE = re.compile("(路|街|道|巷|弄|村|组|小区|花园|苑|园|里|院|公寓|大厦|广场|社区|住)\\s*$")
_BUILDING_AFTER = re.compile(r"\s*(?:\d+\s*)?(?:单元|栋|幢|楼|室)")  # (3号2单元502: a building's number)
_A_BUILDING = re.compile(r"一\s*[栋幢]")  # (一栋楼 is "a building", not building one)
ADDRESS_SHORT = re.compile(r"(?<![\d-])\d{1,3}[-－—]\d{1,2}[-－—]\d{3,4}(?![\d-])")  # building-unit-room: 3-2-502
# A mobile number however it is grouped (13812345678, 138 1234 5678, 138-1234-5678), or a landline.
PHONE_NUMBER = re.compile(
    r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)|(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)"
)
# The same grouped in other ways residents type (138－1234－5678 in full width, 138.1234.5678): hidden in offers too.
_SEPARATOR = r"\s*[-－—.．·・]\s*"
_GROUPED_PHONE = re.compile(
    rf"(?<!\d)1[3-9]\d(?:{_SEPARATOR}\d{{4}}){{2}}(?!\d)"
    r"|(?<!\d)1[3-9]\d(?:\s*[,，、]\s*\d{4}){2}(?!\d)"  # (voice input writes the pauses: 139，1234，5678)
    rf"|(?<!\d)0\d{{2,3}}{_SEPARATOR}(?:\d{{7,8}}|\d{{3,4}}{_SEPARATOR}\d{{4}})(?!\d)"
)
LOCAL_NUMBER = re.compile(r"(?<!\d)\d{7,8}(?!\d)")  # a local number without its area code
# Any number of seven digits or more, however grouped (87654321, 010 8765 4321): a phone, or an account or ID
# number. Dates and times are not numbers to hide (2024-10-01 10:30).
_LONG_NUMBER = re.compile(r"(?<![\d])\+?\d(?:[-\s]?\d){6,}(?![\d])")
_DATE_OR_TIME = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[:：]\d{2}")
# A phone read out in numerals (一三八 一二三四 五六七八): a mobile's eleven and no twelfth (一直 after it is no digit:
# 一 before a word is not one), else a run of seven or more.
_CN_MOBILE = re.compile(
    "[一幺][\\s\\-,，、]*[三四五六七八九](?:[\\s\\-,，、]*[零〇一二三四五六七八九幺]){9}"
    # (a twelfth numeral right after the eleventh, followed by another or ending the text; not 一楼, 一个人, nor
    # numerals after a space or comma: 一三八…七八 二零一室)
    "(?![零〇一二三四五六七八九幺](?:[零〇一二三四五六七八九幺]|[\\s,，。.!！?？]*$))"
)
_CN_PHONE = re.compile("[零〇一二三四五六七八九幺](?:[\\s\\-]*[零〇一二三四五六七八九幺]){6,}")
# A mobile told half in digits, half in numerals (138一二三四5678: voice input mixes them): eleven of either.
_A_DIGIT = "[0-9零〇一二三四五六七八九幺]"
_MIXED_MOBILE = re.compile(rf"(?<!{_A_DIGIT})[1一幺][\s\-]*[3-9三四五六七八九](?:[\s\-]*{_A_DIGIT}){{9}}(?!{_A_DIGIT})")
_CLAUSE = re.compile(r"[,，。.!！?？;；\n]")
_ROOM_ALONE = re.compile(r"(?:\d{3,4}|[零〇一二三四五六七八九幺]{3,4})\s*[室房号]?")  # (幸福里3号楼2单元，502)
# A room that begins the need's clause after the estate (幸福里小区，502 的灯坏了): written in digits, a floor and a door of
# 01–40 (not 1200的暖气费, 699的套餐, 800的停车费) and no year (2024的新规定), and no money after its 的 (押金, 补贴).
_ROOM_THEN_NEED = re.compile(
    r"(?!19\d\d|20\d\d)[1-9]\d?(?:0[1-9]|[1-3]\d|40)\s*[室房号]?(?=\s*(?:家)?的(?!钱|费|押金|补贴|套餐|工资|罚款|红包|快递))"
)


def _is_house_number(clause: str, match: re.Match[str]) -> bool:
    """Whether a match of _HOUSE is a house number: a bare N号 only after a place word (else a day of the month, a
    count: 物业说25号才能来) or before a unit (3号2单元), and not 一栋楼 (a building)."""
    found = match.group()
    if _A_BUILDING.fullmatch(found.strip()):
        return False
    if not found.endswith("号"):
        return True
    before = clause[: match.start()]
    room_sized = bool(re.match(r"\s*(?:\d{3,4}|[零〇一二三四五六七八九幺]{3,4})\s*号", found))  # (not a day: 6号楼18号前)
    return bool(_PLACE_BEFORE.search(before) or (room_sized and _AFTER_A_BUILDING.search(before))
                or _BUILDING_AFTER.match(clause, match.end()))


def _a_place_before(before: str) -> bool:
    """A place word right before a number in its clause (人民路3-502, 翠竹园3-502; not 不知道200-300)."""
    return bool(_PLACE_BEFORE.search(before)) and not before.rstrip().endswith("知道")


def house_numbers(text: str) -> list[tuple[int, int]]:
    """The spans of building, unit and room numbers in a text (see _HOUSE; Traditional and full width read too:
    3號樓2單元502)."""
    text = simplified(text)
    spans: list[tuple[int, int]] = []
    start, previous = 0, ""  # (per clause: a place word in one clause says nothing of the next)
    for part in _CLAUSE.split(text):
        told_alone = _ROOM_ALONE.fullmatch(part.strip()) or _BUILDING_ROOM.fullmatch(part.strip())
        after_a_house = bool(spans) and spans[-1][1] >= start - 1  # (3号楼2单元，120: a ground-floor room)
        if told_alone and (after_a_house or (_AN_ESTATE_BEFORE.search(previous) and part.strip() not in HOTLINES)):
            spans.append((start, start + len(part)))  # (a room told after a comma: 3号楼2单元，502; 幸福里小区，3-502)
        room = _ROOM_THEN_NEED.match(part) if _AN_ESTATE_BEFORE.search(previous) else None
        if room and room.group().strip() not in HOTLINES:
            spans.append((start + room.start(), start + room.end()))  # (幸福里小区，502 的灯坏了)
        spans += [(start + m.start(), start + m.end()) for m in _HOUSE.finditer(part) if _is_house_number(part, m)]
        spans += [(start + m.start(), start + m.end()) for m in ADDRESS_SHORT.finditer(part)]
        spans += [(start + m.start(1), start + m.end(1)) for m in _LABELLED_DOOR_IN_NUMERALS.finditer(part)]
        # (building-room written short after a place or a door-number label: 幸福里3-502, 门牌号：幸福里3-502)
        spans += [(start + m.start(), start + m.end()) for m in _BUILDING_ROOM.finditer(part)
                  if _a_place_before(part[: m.start()]) or _DOOR_LABEL.search(part[: m.start()])]
        start, previous = start + len(part) + 1, part
    return spans


_LIVES_AT = re.compile("^(我|我们|我家|俺|俺家)?(住在|家住|家在|住|在|地址是|地址)?[:：\\s]*")


def _an_estate_clause(clause: str) -> bool:
    """A clause that names an estate (我住幸福里小区, 阳光花园), not one that tells something of it (堆满了整个小区)."""
    name = _LIVES_AT.sub("", clause.strip(), count=1)
    return len(name) <= 8 and "了" not in name and bool(_AN_ESTATE_BEFORE.search(name))


def address_in(text: str) -> str | None:
    """The clause of a message that holds an address (a building, unit or room number: 3号楼2单元502, 三号楼二单元
    五零二, 和平路1号; 3號樓 in Traditional), as typed; None without one."""
    plain = simplified(text)
    bounds, start = [], 0  # (the clauses, as positions: the same in the text as typed)
    for separator in _CLAUSE.finditer(plain):
        bounds.append((start, separator.start()))
        start = separator.end()
    bounds.append((start, len(plain)))
    parts = [plain[a:b] for a, b in bounds]
    for i, part in enumerate(parts):
        alone = (_BUILDING_ROOM.fullmatch(part.strip()) or _ROOM_ALONE.fullmatch(part.strip())) and \
            part.strip() not in HOTLINES
        if i and alone and _an_estate_clause(parts[i - 1]):
            return "，".join(text[a:b].strip() for a, b in bounds[i - 1:i + 1])[:200]  # (我住幸福里小区，3-502)
        room = _ROOM_THEN_NEED.match(part.strip()) if i and _an_estate_clause(parts[i - 1]) else None
        if room and room.group().strip() not in HOTLINES:
            estate = text[bounds[i - 1][0]:bounds[i - 1][1]].strip()
            return f"{estate}，{room.group().strip()}"[:200]  # (我住幸福里小区，502 的灯坏了)
        if house_numbers(part):
            # (with the estate told before its building — 我住幸福里小区，12栋2单元502 —, and the clauses after it that go
            # on with numbers: 幸福里小区3号楼，2单元502)
            first = i - 1 if i and _an_estate_clause(parts[i - 1]) else i
            end = next((j for j in range(i + 1, len(parts))
                        if not (house_numbers(parts[j]) or _ROOM_ALONE.fullmatch(parts[j].strip())
                                or _BUILDING_ROOM.fullmatch(parts[j].strip()))), len(parts))
            return "，".join(text[a:b].strip() for a, b in bounds[first:end])[:200]
    return None


# The parts of an address a correction replaces, by kind, as (told in the correction, found in the address): the
# courtyard (12号院), the building (3号楼, 5栋, B座), the unit, the room (602室, or a number after the building or unit:
# not the house number of 和平路128号).
_ROOM_TOLD = re.compile(r"\d{3,4}\s*(?:室|房间?|号)?$|\d{3,4}\s*室|[零〇一二三四五六七八九幺]{3,4}\s*室?$")
_ADDRESS_PARTS = (
    (re.compile(rf"{_NUMBER}\s*号院"),) * 2,
    (re.compile(rf"{_NUMBER}\s*(?:号楼|栋|幢)|[A-Za-z0-9]+座"),) * 2,
    (re.compile(rf"{_NUMBER}\s*(?:单元|门)"),) * 2,
    (_ROOM_TOLD, re.compile(
        r"\d{3,4}\s*室|[零〇一二三四五六七八九幺]{3,4}\s*室"
        r"|(?:(?<=单元)|(?<=号楼)|(?<=[栋幢门座])|(?<=\d门))[\s\-,，]*(?:\d{3,4}|[零〇一二三四五六七八九幺]{3,4})(?![\d号])"
    )),
)
_NAMED_FIRST = re.compile(r"[^\d零〇一二两三四五六七八九十幺A-Za-z\s]{2,}[\d零〇一二两三四五六七八九十幺]")
_ESTATE = re.compile("小区|花园|苑|家园|公寓|大厦|广场|新村|[路街巷弄村]")


# A place's name alone (和平里, 金色家园, 光明新村): what an address told in pieces opens with.
_A_PLACES_NAME = re.compile(r"[^\d\s，,。.！!？?]{1,10}(小区|花园|苑|园|家园|公寓|大厦|广场|新村|里|院|庄|城|湾|府|路|街|巷|弄|村)")


def names_a_place(text: str) -> bool:
    """Whether an address opens with a place's name, or names an estate or street (和平里3号楼, 3号楼 幸福里小区), not a
    building alone (3号楼2单元501)."""
    plain = simplified(text).strip()
    return bool(_NAMED_FIRST.match(plain) or _ESTATE.search(plain) or _A_PLACES_NAME.fullmatch(plain))


def ends_with_house_number(text: str) -> bool:
    """Whether an address ends with a house number (和平里3号楼2单元501; not …2101 电表号)."""
    spans = house_numbers(text)
    return bool(spans) and max(end for _, end in spans) == len(simplified(text).rstrip())


def corrected_address(address: str, correction: str) -> str:
    """An address with a correction put in (幸福里小区3号楼2单元502, 不对，是5号楼 → 幸福里小区5号楼2单元502): each
    building, unit or room it names in place of the one of its kind; a correction naming the estate or street is the
    whole address; one naming a part the address lacks adds it."""
    # (read in Simplified, put in as typed: 乾县 stays. 不是3号楼，是5号楼: what comes after the last 是)
    plain = simplified(correction)
    after = max(plain.rfind("是"), plain.rfind("在"), plain.rfind("系")) + 1
    label = re.match(  # (不对，房间号602)
        "(不对|不是|错了|我?说错了)?[ ，,。]*(房间号|房号|门牌号|门牌|房间|楼号)?[是:：\\s]*", plain[after:])
    start = after + label.end()
    told, typed = plain[start:].rstrip(" ，,。"), correction[start:].rstrip(" ，,。")
    if _ESTATE.search(told) or _NAMED_FIRST.match(told):  # (光明里5号楼: another estate, the whole address)
        return typed
    # (3-2-502 written short: its building, unit and room as words, so that one of them can be put in place)
    address = ADDRESS_SHORT.sub(lambda m: "{}号楼{}单元{}".format(*re.split("[-－—]", m.group())), address)
    for told_as, found_as in _ADDRESS_PARTS:
        new = told_as.search(told)
        old = found_as.search(simplified(address))
        if new is None:
            continue
        put = typed[new.start():new.end()].strip()
        address = f"{address} {put}" if old is None else address[: old.start()] + put + address[old.end():]
    return address


def _digits(numeral: str) -> str:
    """A number's digits, from numerals and digits however mixed and grouped (138一二三四5678 → 13812345678)."""
    return "".join(ch if ch.isdigit() else _CN_DIGITS[ch] for ch in numeral if ch.isdigit() or ch in _CN_DIGITS)


def phone_in(text: str) -> str | None:
    """A phone number in a text, digits (full-width ones too: １３８…) or Chinese numerals, however grouped (as its
    ASCII digits)."""
    digits = simplified(text)
    for numerals in (_MIXED_MOBILE, _CN_MOBILE, _CN_PHONE):  # (each read as the digits it says, in this order)
        digits = numerals.sub(lambda m: _digits(m.group()), digits)
    # (as grouped first: 2单元501 13912345678, 302 84561234 — run together, the room's digits would hide the number)
    compact = _GROUPING.sub("", digits)
    match = PHONE_NUMBER.search(digits) or PHONE_NUMBER.search(compact) or LOCAL_NUMBER.search(digits) \
        or LOCAL_NUMBER.search(compact)
    return _GROUPING.sub("", match.group(0)) if match else None


_GROUPING = re.compile(r"[\s\-－]")  # (how a phone's digits are grouped: 138 1234 5678, 010-87654321)


_NUMBER_AFTER = re.compile(r"\s+\d{7,12}\s*$")


def number_after_address(text: str) -> re.Match[str] | None:
    """A number after an address that ends with its house number, a space between (和平里3号楼2单元501 84561234, …501
    1391234567): her phone, or one mistyped — no part of where. (…2101 电表号 12345678: the meter's, part of it.)"""
    plain = simplified(text).rstrip()
    trailing = _NUMBER_AFTER.search(plain)
    return trailing if trailing and ends_with_house_number(plain[:trailing.start()]) else None


def dialled_phone_in(text: str) -> str | None:
    """A phone number in a text as dialled — a mobile number, or a landline with its area code (not 8 digits alone,
    which may be a meter or an account): told with a need, hers."""
    phone = phone_in(text)
    return phone if phone is not None and PHONE_NUMBER.fullmatch(phone) else None


def _phone_spans(text: str) -> list[tuple[int, int, bool]]:
    """The spans of phone-like numbers, digits or numerals, however grouped, and whether each is a phone number as
    dialled (PHONE_NUMBER); not dates or times (2024-10-01 10:30)."""
    text = simplified(text)
    taken = [m.span() for m in _DATE_OR_TIME.finditer(text)]
    spans: list[tuple[int, int, bool]] = []
    for pattern in (PHONE_NUMBER, _GROUPED_PHONE, _MIXED_MOBILE, _LONG_NUMBER, _CN_MOBILE, _CN_PHONE):
        found = [m.span() for m in pattern.finditer(text) if not any(a < m.end() and m.start() < b for a, b in taken)]
        taken += found  # (a phone is found once)
        spans += [(start, end, pattern in (PHONE_NUMBER, _GROUPED_PHONE, _MIXED_MOBILE)) for start, end in found]
    return spans


def without_phones(text: str) -> str:
    """A text with its phone numbers taken out (幺三八 幺二三四 五六七八 given at the phone step is not a note)."""
    kept = list(text)
    for start, end, _ in _phone_spans(text):
        kept[start:end] = [" "] * (end - start)
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip()


def redact(text: str) -> str:
    """A resident's words without house numbers or phone numbers (for offers and public views): each number masked
    where it stands (a phone shows its 1… or 0…), every other word as typed."""
    masked = list(text)
    spans = house_numbers(text) + [(start + dialled, end) for start, end, dialled in _phone_spans(text)]
    for start, end in spans:
        for i in range(start, end):
            if text[i].isdigit() or text[i] in _CN:
                masked[i] = "*"
    return "".join(masked)
