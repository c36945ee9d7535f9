import pytest

from classifier.normalize import MAX_SCORED_CHARS, cut_for_scoring, normalize, simplified_pattern


def test_full_width_becomes_half_width() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_traditional_becomes_simplified() -> None:
    assert normalize("電梯壞了，樓道燈不亮") == "电梯坏了,楼道灯不亮"


def test_emoji_and_control_characters_are_removed() -> None:
    assert normalize("水管漏了😭😭\x00\u200b 快来") == "水管漏了 快来"


def test_the_few_emoji_that_carry_a_word_become_it() -> None:
    assert normalize("🔥🔥 楼下") == "火 火 楼下"
    assert normalize("💊💊 攒够了") == "药 药 攒够了"  # (pills kept back: a sign of self-harm)


def test_whitespace_is_collapsed_and_empty_stays_empty() -> None:
    assert normalize("  楼道  灯\t坏了  ") == "楼道 灯 坏了"  # (a line break ends a sentence: see below)
    assert normalize("") == ""
    assert normalize(" \n\t ") == ""


def test_long_text_keeps_head_and_tail() -> None:
    text = "开头说明问题" + "啊" * 5000 + "最后请求处理"
    cut = cut_for_scoring(text)
    assert len(cut) <= MAX_SCORED_CHARS + 1
    assert cut.startswith("开头说明问题") and cut.endswith("最后请求处理")


def test_a_pattern_is_read_in_simplified_characters_with_its_syntax_untouched() -> None:
    assert simplified_pattern("(話|说)要?(搵人)?(斬|砍)[我你]\\s*無[^。]{0,4}") == "(话|说)要?(揾人)?(斩|砍)[我你]\\s*无[^。]{0,4}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("楼道灯坏了\n好几天了", "楼道灯坏了。好几天了"),  # a line break ends a sentence
        ("第一行\r\n\r\n第二行  \n", "第一行。第二行"),
        ("第一行\n  \n第二行", "第一行。第二行"),  # (a blank line between them)
        ("好的！\n谢谢", "好的! 谢谢"),  # punctuation already ends the line
        ("地址：\n3栋2单元", "地址: 3栋2单元"),  # or joins it to the next
    ],
)
def test_a_line_break_reads_as_the_end_of_a_sentence(text: str, expected: str) -> None:
    assert normalize(text) == expected
