"""Text normalization before classification: one canonical form for everything residents type."""

from __future__ import annotations

import re
import unicodedata

import opencc

# Long texts (letters, pasted documents) are cut for scoring; the head usually states the problem and
# the tail often repeats the request. Urgent detection always reads the whole text.
MAX_SCORED_CHARS = 1200
HEAD_CHARS = 900

_t2s = opencc.OpenCC("t2s")
# Emoji, pictographs, control and format characters carry no words: they become spaces.
_NOISE = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0000fe00-\U0000fe0f\U0001f1e6-\U0001f1ff"
    "\u200b-\u200f\u2028-\u202f\u2060-\u206f\x00-\x1f\x7f-\x9f\ud800-\udfff]+"
)
# The few emoji that carry a word in a chat with the bot; all others are dropped.
_EMOJI_WORDS = str.maketrans({"👍": " 赞 ", "👏": " 赞 ", "🙏": " 拜托 ", "🔥": " 火 ", "💊": " 药 "})
_WORD_EMOJI = frozenset(map(chr, _EMOJI_WORDS))
# A line break ends a sentence, as 。 does (上个月家里着过火⏎隔壁屋着火了: the past is the first line's only), unless
# punctuation already ends the line or joins it to the next (地址：⏎3栋).
_LINE_BREAK = re.compile("(?<![。!?;:,，、.…~])[ \t]*(?:[\r\n\u2028\u2029][ \t]*)+")
_LINE_BREAKS = frozenset("\r\n\u2028\u2029")


def normalize(text: str) -> str:
    """Canonical form: half-width, Simplified, lower-case ASCII, no emoji/control chars, line breaks as sentence ends,
    single spaces."""
    if not text:
        return ""
    # (The checks first: most messages need neither step, and each costs more than its check.)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)  # full-width letters/digits/punctuation -> half-width
    if not _WORD_EMOJI.isdisjoint(text):
        text = text.translate(_EMOJI_WORDS)
    if not _LINE_BREAKS.isdisjoint(text):
        text = _LINE_BREAK.sub("。", text.strip())
    text = _NOISE.sub(" ", text)
    text = _t2s.convert(text)
    return " ".join(text.split()).lower()  # (str.split and re's \s agree on what is a space)


def simplified(text: str) -> str:
    """Traditional → Simplified and full-width → half-width, character for character (幸福里小區３號樓 → 幸福里小区3号楼):
    the same length, so a position in it is a position in the text (a conversion that would change the length is left
    out). For rules that read what a resident typed (typed answers, numbers) and keep or mask the original."""
    converted = _t2s.convert(text)
    if len(converted) != len(text):
        converted = text
    if unicodedata.is_normalized("NFKC", converted):
        return converted
    return "".join(n if len(n := unicodedata.normalize("NFKC", ch)) == 1 else ch for ch in converted)


def cut_for_scoring(text: str) -> str:
    """Keep the head and the tail of a very long text, where the request usually is."""
    if len(text) <= MAX_SCORED_CHARS:
        return text
    return text[:HEAD_CHARS] + " " + text[-(MAX_SCORED_CHARS - HEAD_CHARS) :]


_CJK = re.compile("[\u4e00-\u9fff]")


def has_cjk(text: str) -> bool:
    """Whether the text contains at least one CJK ideograph."""
    return _CJK.search(text) is not None


_CJK_PATTERN_RUN = re.compile("[\u3400-\u9fff\uf900-\ufaff]+")


def simplified_pattern(pattern: str) -> str:
    """A regular expression's Chinese characters as `normalize` leaves a message's (Traditional → Simplified: 搵 → 揾,
    無 → 无), so that a pattern written with them can match; its syntax (ASCII) is left as it is."""
    return _CJK_PATTERN_RUN.sub(lambda run: _t2s.convert(run.group()), pattern)
