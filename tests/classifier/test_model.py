import json
import math
import re
import sys
from pathlib import Path

import pytest

from classifier import Classifier, classify, get_classifier, learning, model
from classifier.model import CROSS_TOKEN_FACTOR
from classifier.normalize import cut_for_scoring, normalize
from classifier.patterns import LETTER_CHARS, required_strings
from classifier.taxonomy import load_taxonomy
from tests.classifier import KNOWN_DANGER_READING, KNOWN_SIGN_READING

EXAMPLES = Path(model.__file__).with_name("examples.jsonl")

BAD_INPUTS = [
    "",
    "   \n\t  ",
    "啊" * 10_000,
    "楼道灯坏了" * 2_000,
    "😀😀😀🙏🙏",
    "。。。！！？？,,,...",
    "My sink is blocked, can someone help?",
    "wo jia shui guan lou shui le",
    "<b>水管</b><script>alert(1)</script>",
    "\x00\x01\x02\x1b[31m水管\x7f",
    "\ud800",  # a lone surrogate, as a broken client may send
]

# A test of what a build learns or keeps passes its own examples, and none (`[]`) for the shipped example files it
# does not look at: learning every model from those (kind_examples 15,000 lines, self_harm_examples 8,000,
# danger_examples 33,000) took seconds a build. Where it looks at the kind or the self-harm model, these small
# stand-ins teach it, with the lighting requests the tests give as examples, two classes (a model of one class is
# empty, and two empty models are equal whatever they were learned from).
FEW_KIND_EXAMPLES = [
    {"text": t, "label": None, "kind": kind, "urgent": False}
    for t, kind in (("楼道灯的颜色还挺好看的", "other"), ("谢谢师傅 楼道灯修好了", "thanks"),
                    ("报修的楼道灯什么时候来修", "status"), ("小时候在路灯下面写作业", "other"))
]
FEW_SIGNS = [
    {"text": t, "label": "health.mental", "kind": "request", "urgent": True, "signal": "self_harm"}
    for t in ("活着没意思 不想再撑了", "把药都攒好了 今晚就走")
]



@pytest.mark.parametrize("text", BAD_INPUTS)
def test_bad_input_never_raises_and_gives_a_sensible_result(text: str) -> None:
    result = classify(text)
    assert result.kind in {"request", "greeting", "thanks", "status", "other"}
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.top3) <= 3
    if result.label is None:
        assert result.category is None and result.item is None
    else:
        assert result.label == f"{result.category}.{result.item}"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "。。。！！"])
def test_empty_or_symbol_only_is_not_a_request(text: str) -> None:
    result = classify(text)
    assert result.kind != "request" and result.label is None and not result.urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("楼道灯坏了好几天了", "property.public_lighting"),
        ("厨房下水道堵了，水下不去", "repair.plumbing"),
        ("楼上天天装修，吵得老人睡不着", "dispute.noise_dispute"),
        ("工地半夜还在施工，噪音太大了", "environment.noise"),
        ("公司拖欠我三个月工资，我想找律师", "employment.wages"),
        ("楼下饭店油烟太大，跟老板吵了一架", "environment.odor"),
        ("整栋楼都停水了", "property.utilities"),
        ("燃气灶打不着火了", "repair.gas_appliance"),
        ("電梯又壞了，老人上不了樓", "property.elevator"),
        ("楼前新盖的那栋楼离我们太近了 我家一楼白天都得开灯 采光全没了 这个归谁管", "property.building"),
        ("楼下住改商 也没人管", "property.building"),
    ],
)
def test_clear_requests_and_boundaries(text: str, label: str) -> None:
    result = classify(text)
    assert result.kind == "request"
    assert result.label == label, result


@pytest.mark.parametrize(
    ("text", "signal", "hotline"),
    [
        ("厨房里一股煤气味，好害怕", "gas", "119"),
        ("楼道里着火了，好多烟", "fire", "119"),
        ("我真的不想活了，活着没意思", "self_harm", "12356"),
    ],
)
def test_urgent_signals_and_hotlines(text: str, signal: str, hotline: str) -> None:
    result = classify(text)
    assert result.urgent
    assert signal in result.urgent_signals
    assert hotline in result.hotlines


def test_gas_smell_decides_the_item_whatever_else_is_said() -> None:
    result = classify("燃气灶打不着火，而且屋里好像有一股煤气味")
    assert result.label == "safety.gas_leak" and result.urgent


def test_no_gas_smell_is_not_urgent() -> None:
    result = classify("热水器打不着火，没有煤气味")
    assert result.label == "repair.gas_appliance" and not result.urgent


def test_urgent_buried_in_a_long_text() -> None:
    text = (
        "我想反映一下小区的情况。" + "物业一直不作为，停车也很乱，" * 200 + "还有我最近真的想死，撑不下去了。"
    )
    result = classify(text)
    assert result.urgent and "self_harm" in result.urgent_signals


def test_self_harm_without_another_need_goes_to_mental_health() -> None:
    result = classify("活着太累了，不想活了")
    assert result.urgent and result.label == "health.mental"


def test_self_harm_with_weak_other_evidence_still_goes_to_mental_health() -> None:
    result = classify("楼上天天吵，我真的想从楼上跳下去算了")
    assert result.urgent and "self_harm" in result.urgent_signals
    assert result.label == "health.mental"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("电梯修好了，谢谢师傅，辛苦了", "thanks"),
        ("楼道的灯换好了 谢谢你们", "thanks"),
        ("厨房水管修好了谢谢师傅，但是卫生间水管又开始漏水了", "request"),
        ("小区的停车位划好了 感谢物业", "thanks"),
        ("谢谢你们帮我们处理了楼道堆物的问题", "thanks"),
        ("廉租房的申请批下来了，谢谢网格员跑前跑后", "thanks"),
        ("谢谢师傅，下水道疏通好了，可是厨房水管还是漏", "request"),
    ],
)
def test_thanks_for_work_done_is_thanks_unless_something_is_wrong_again(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # thanks told by what the work changed for the writer, no thank-you word (tune40, tune41)
        ("楼道灯亮了 晚上下楼敢走了", "thanks"),
        ("树枝锯掉了 停车不用提心吊胆了", "thanks"),
        ("工钱拿到了 一分不少 过年能回家了", "thanks"),
        ("洗衣机能甩干了 师傅人也好 就收了个零件钱", "thanks"),  # it works again (tune43)
        ("来水了来水了 饭能做了", "thanks"),
        ("我接到个电话说我中奖了要先交手续费才能领奖", "request"),  # 才能: only then
        ("家里门槛太高 老妈推轮椅过不去 能给整平了不", "request"),  # 能给…了不: asked
        # work done, and something wrong after it or a new matter: a request; asked after: a status query
        ("射灯不亮了 灯泡换了新的也不亮 估计线路有问题", "request"),
        ("上回那水龙头换完了 这回暖气片漏水了 地上一滩", "request"),
        ("书柜装好了是歪的 抽屉拉不开", "request"),
        ("楼道灯修好了没 晚上还是不敢走", "status"),
    ],
)
def test_work_done_and_the_relief_it_brought_is_thanks(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a trouble at an earlier time told as sorted, nothing asked: no request (tune51)
        ("上礼拜家里下水道堵了 我老伴捣鼓了一下午 通了", "other"),
        ("之前家里老是跳闸 原来是电饭煲坏了 换了个新的就好了", "other"),
        ("前天电梯停了一会 后来物业来弄了 还好没事", "other"),
        # not when a new trouble, an ask or now follows
        ("上回那个插座换好了 这回是厨房灯不亮", "request"),
        ("之前漏水的地方修好了 能不能再来看看卫生间", "request"),
        ("我接到个电话说中奖要交手续费 转了两千过去 后来就打不通了", "request"),  # 打不通了 is no 通了
    ],
)
def test_a_trouble_told_as_sorted_earlier_is_no_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_asking_others_opinion_is_no_request() -> None:
    assert classify("个人养老金到底值不值得开 大家怎么看").kind == "other"
    assert classify("楼道灯坏了一个礼拜了 能派人来修吗").kind == "request"


@pytest.mark.parametrize(
    ("text", "kind", "urgent"),
    [
        ("谢谢党员同志帮我奶奶检查煤气管道", "thanks", False),
        ("谢谢那位党员同志，大冷天帮我扛煤气罐上楼", "thanks", False),
        ("谢谢社区送的灭火器和烟感 老母亲说这下安心了", "thanks", False),
        ("谢谢师傅 能不能再来看看煤气灶 打不着火", "request", False),  # it asks
        ("谢谢上次换管子 今天闻着厨房又有味了", "request", True),  # again, now
        ("谢谢上回修灶的师傅 不过今天一开门厨房好大一股燃气味", "request", True),
    ],
)
def test_thanks_and_nothing_else_is_thanks_even_when_it_names_a_danger(
    text: str, kind: str, urgent: bool
) -> None:
    result = classify(text)
    assert (result.kind, result.urgent) == (kind, urgent)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("专业疏通下水道 马桶 50元起 24小时上门", "other"),
        ("诚聘小区保洁两名 包吃住 有意者联系13912345678", "other"),
        ("代办居住证 价格优惠 私信我", "other"),
        ("转让九成新冰箱一台 自提 300块", "other"),  # a sale
        ("招聘夜班保安 60岁以下 工资日结 包住", "other"),  # who is hired, and on what terms
        ("疏通下水道 随叫随到 电话138xxxx5678", "other"),  # a masked number is a number
        ("暑期托管班招生啦 报名从速", "other"),
        ("冰箱不制冷了 想找人修 我电话13912345678", "request"),  # a number alone is no advert
        # a price or a house call alone, or a question, is no advert
        ("我妈想申请居家养老上门服务，一周来两次", "request"),
        ("换个门锁要200元吗 师傅能上门服务吗", "request"),
    ],
)
def test_adverts_are_other(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("前年楼道灯坏了好久 后来换成声控的了 现在挺好", "other"),  # told as settled
        ("体检报告出来了 各项都正常 总算放心了", "other"),
        ("托管班一个月多少钱 问问 先不报", "other"),  # only asking
        ("适老化改造是政府出钱吗 随便问问", "other"),
        ("前年楼道灯坏了 现在又不亮了", "request"),
        ("帮我问问低保怎么申请", "request"),  # asking for them to ask
    ],
)
def test_settled_and_only_asking_are_not_requests(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # told to everyone, asking nothing (the blind tune30 set: residents talking about service topics)
        ("社区这周五有招聘会 好多岗位 保安 保洁 需要的去看看", "other"),
        ("物业今天发通知了 明天上午燃气管道检修 会停气 大家提前做饭哈", "other"),
        ("最近有冒充社保局打电话的 大家别上当", "other"),
        ("跟大家说一声 残疾证年审现在可以在手机上办了", "other"),
        ("物业说燃气管道要检修 大家提前把饭做了", "other"),  # (tune34: the pipe's name made it a request)
        ("厨房装了个燃气报警器 才八十块 推荐大家也装", "other"),
        # praise, hope or resignation at its end
        ("老楼顶上的违建拆了 楼顶又能晒被子了 好事", "other"),
        ("夜里工地又在浇混凝土 听说是特批的 就这三天 忍忍吧", "other"),
        ("火冒三丈！物业费涨了 服务一点没变 算了 说了也白说", "other"),
        ("学校门口早上有交警站岗了 接送孩子终于不那么乱了", "other"),
        ("我们小区消防通道终于清出来了 之前堵得死死的 这回舒服了", "other"),
        ("累死了 今天搬了一天家 新家燃气还没开通 明天再说吧", "other"),
        ("最近好多冒充公检法的诈骗电话 我妈接了三个 还好都挂了 大家提醒家里老人", "other"),
        ("电梯修好了，太感谢了，终于不用爬楼了", "thanks"),
        # the same words inside a request
        ("老头子打呼噜我忍了 隔壁那家天天半夜唱卡拉OK 谁来管管", "request"),
        ("忍无可忍了 楼上小孩天天拍球 想找社区协调", "request"),
        ("有人冒充社保局打电话让我转账 我已经转了两千 怎么办", "request"),
    ],
)
def test_what_is_told_to_everyone_or_ends_resigned_is_not_a_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_the_kind_model_learns_from_what_the_kind_patterns_decide_too() -> None:
    """Learned only from what no pattern decides, the kind model changed with every kind pattern added; it
    learns from every example with item evidence and no urgent signal."""
    classifier = get_classifier()
    thanks = normalize("谢谢师傅 水管修好了 不漏了")
    assert not classifier.kind_model_decides(thanks)  # a pattern decides: thanks
    assert classifier.kind_model_learns_from(thanks)
    assert not classifier.kind_model_learns_from(normalize("楼道着火了 快来人"))  # urgent
    assert not classifier.kind_model_learns_from(normalize("好的"))  # no item evidence


def test_the_kind_model_is_learned_from_examples_a_pattern_decides(tmp_path: Path) -> None:
    """The wiring of the test above: thanks that a pattern decides still teach the kind model."""
    lighting = [
        {"text": t, "label": "property.public_lighting", "kind": "request", "urgent": False}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪")
    ]
    thanks = [{"text": "谢谢师傅 楼道灯修好了 亮堂堂的", "label": None, "kind": "thanks", "urgent": False}]
    quiet = {"self_harm_examples": [], "kind_examples": [], "danger_examples": []}
    without = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, **quiet)
    taught = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting + thanks, **quiet)
    assert not taught.kind_model_decides(normalize(thanks[0]["text"]))
    assert taught.kind_weights != without.kind_weights


@pytest.mark.parametrize(
    "text", ["热死了", "累死了，今天加班", "气死我了", "笑死我了", "这家店火爆得很", "热得想死 今天39度", "上班累得想死", "冰箱门关不上了 冷气呼呼往外跑"]
)
def test_ordinary_words_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", "greeting"),
        ("在吗？", "greeting"),
        ("谢谢你们，辛苦了！", "thanks"),
        ("我昨天报的事怎么样了", "status"),
        ("#A1234 到哪一步了", "status"),
        ("你是机器人吗", "other"),
        # status queries of the twelfth set's tuning half (rewritten): a ticket looked up, cancelled, taken,
        # a booked visit's time, an answer to a question asked (some were gas leaks by learned pairs)
        ("麻烦帮我查下我提交过的单子", "status"),
        ("刚才那个单取消了没有", "status"),
        ("预约的家庭医生 明天几点上门", "status"),
        ("我咨询的医保问题 有人回了吗", "status"),
        ("修锁的单 接了吗", "status"),
        ("你是真人还是电脑啊", "other"),  # (a fire, urgent, by learned pairs before)
        ("你怎么回得这么快 是不是有人一直盯着", "other"),
    ],
)
def test_non_requests_get_a_kind_and_no_item(text: str, kind: str) -> None:
    result = classify(text)
    assert result.kind == kind
    assert result.label is None and result.top3 == []


def test_homophone_typo_still_matches() -> None:
    assert classify("电悌坏了").label == "property.elevator"
    assert classify("拉圾好几天没人收").label == "environment.garbage"


def test_confidence_orders_clear_above_vague() -> None:
    clear = classify("小区电梯坏了，老人被困在电梯里")
    vague = classify("有点事想问问")
    assert clear.confident
    assert vague.confidence < clear.confidence


@pytest.mark.parametrize(
    "text",
    [
        "我们小区的保洁阿姨人真好 每天都扫得干干净净",
        "今天社区的义诊人好多 我排了半天 不过医生挺耐心的",
        "现在的物业费真是越来越贵了 唉 随便说说",
    ],
)
def test_chit_chat_that_names_service_words_is_not_a_request(text: str) -> None:
    result = classify(text)
    assert result.kind != "request" and result.label is None


def test_the_kind_model_never_talks_away_evidence_of_danger(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = get_classifier()
    monkeypatch.setattr(classifier, "kind_weights", {"": 100.0})  # a model that says "chit-chat" always
    assert classifier.classify("楼道灯不太亮").kind == "other"
    # However strong its evidence, a chat message is the model's to read (咱们小区的垃圾分类搞得挺好)…
    assert classifier.classify("楼道灯坏了好几天了 灯泡不亮 黑灯瞎火").kind == "other"
    # …but not a letter, of which it reads only the greeting and the thanks around the need.
    letter = (
        "尊敬的社区领导您好：我是五号楼二单元的住户，"
        + "我们单元的楼道灯坏了好几天了，灯泡一直不亮，晚上上下楼黑灯瞎火，老人孩子都摔过跤。" * 3
        + "希望尽快安排电工来修一下楼道灯。此致敬礼，谢谢！"
    )
    assert len(letter) > LETTER_CHARS and classifier.classify(letter).kind == "request"
    danger = classifier.classify("屋檐上挂着好多冰溜子")  # a danger item's keyword, no urgent signal
    assert danger.kind == "request" and danger.urgent
    # (Only its hints, 灭火器, and nothing said of now: the model's, at the danger threshold.)
    assert classifier.classify("灭火器怎么用").kind == "other"


def test_numbers_are_not_learned_as_words() -> None:
    """A door number seen once in a gas example (501) made an address a gas leak; the lexicon's own
    numbers (96110, the anti-fraud line) stay."""
    classifier = get_classifier()
    assert all(not term.isdigit() or term in classifier.lexicon_terms for term in classifier.vocab)
    result = classify("我家门牌号是12栋2单元501")
    assert not result.urgent and result.kind != "request"


@pytest.mark.parametrize("text", ["维修的师傅说下午到 是几点", "我上周的单子咋样了", "单号找不到了 怎么查"])
def test_words_learned_from_gas_examples_are_not_words_of_danger(text: str) -> None:
    """师傅, 下午 or 单子 occur in gas examples; without a word of danger the kind model may say no."""
    result = classify(text)
    assert result.kind != "request" and not result.urgent


@pytest.mark.parametrize(
    "text",
    [
        "还以为哪里着火了 原来是邻居在院子里烧烤",  # mistaken (以为… 原来)
        "刚才那条发错了 不是我们楼着火 是电视里的",  # taken back
        "刚才发错了 不是我家着火 是电视里的",  # taken back, the danger at home denied
        "做梦梦见厨房着火了 吓醒了",  # dreamt
        pytest.param(  # (since the twenty-seventh session's danger threshold, 3.0)
            "闻到一股煤气味 虚惊一场 是楼下在熬中药", marks=pytest.mark.xfail(strict=True, reason=KNOWN_DANGER_READING.format(3.46))
        ),
        "烟感报警器响了半天 结果是我煎牛排的油烟 没事了",  # settled after it
        "孩子玩打火机把窗帘烧了个小洞 当时就按灭了",
        "对面楼顶冒白烟 以为失火 结果是新装的锅炉在排气 正常的",  # mistaken, the thought told after it
        "楼下那辆车冒烟 其实是水箱开锅了",  # what it was, at once
        "早上燃气报警器滴滴响 原来是电池快没电在提示 换了就好了",
        "这两天热得冒烟 大家出门注意防暑",  # a figure of speech (冒烟 a learned word of danger)
        "跟客户讲了一下午 嗓子都冒烟了",
        "老张钓鱼钓上来一条大草鱼 激动得差点晕倒 哈哈哈",
        "灭火器去哪买 家里想备一个",  # a question about equipment
        "燃气报警器哪种牌子好",
        "插线板串着插是不是容易起火",  # questions of knowledge, asked in the A-not-A form too
        "煤气罐放阳台上行不行 太阳晒会不会有事",
        "液化气和天然气哪个更安全一点 我们要装新房",
        "电热毯一般用几年要换",
        "听说隔壁小区昨晚着火了 烧了两层楼 好吓人",  # hearsay of elsewhere
        "听说隔壁镇上有人持刀抢劫 真的假的",
        "电动车上楼这个事 我觉得就应该严管",  # an opinion on a rule
        "你们觉得电动车该不该进电梯",
        "抖音上电动车在电梯里自燃那个视频好吓人",  # seen elsewhere
        "我爷爷年轻时下过煤矿 他说瓦斯那个才叫吓人",  # a memory
        "奶奶讲古 旧社会村里着火全靠敲锣",
        "转发：秋冬季节注意防火 不要在楼道给电动车充电",  # forwarded
        "今天消防演习 楼下全是烟 大家别害怕啊 是演习",  # what it was: a drill
        "问问 电动车到底让不让在楼道充电 规定是咋说的",  # a question about a rule
    ],
)
def test_a_danger_called_off_or_asked_about_is_not_urgent(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("油锅着火了应该咋办 能用水浇吗 先问问 以防万一", None),  # a question asked in advance: the fire pattern's match
        ("小区团购的烟雾报警器是不是周末到啊?就是上周群里那个", "safety.fire"),  # equipment: urgent by its item's class
    ],
)
def test_a_danger_the_danger_model_reads_as_surely_none_is_not_urgent(
    text: str, label: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The danger model's veto (DANGER_VETO_ODDS): its log odds here are under −13; without the veto both are urgent."""
    result = classify(text)
    assert (result.urgent, result.urgent_signals, result.hotlines, result.label) == (False, (), (), label)
    with monkeypatch.context() as patch:
        patch.setattr(model, "DANGER_VETO_ODDS", -math.inf)
        assert classify(text).urgent
    monkeypatch.setattr(get_classifier(), "danger_weights", {})  # (a taxonomy with no danger signal: no veto either)
    assert classify(text).urgent


@pytest.mark.parametrize(
    ("text", "signals"),
    [
        ("不想活了", ("self_harm",)),  # a sign of self-harm: the self-harm model's to read, never the danger model's to calm
        (  # 40 characters or more: a danger may be buried in calm words (the model's odds then run low)
            "各位邻居晚上好，想问一下这周六的消防安全讲座还办不办，上次说要发灭火器，我家老人想领一个，顺便问问燃气报警器是不是也免费",
            (),
        ),
    ],
)
def test_the_danger_models_veto_leaves_signs_and_longer_messages_alone(
    text: str, signals: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "DANGER_VETO_ODDS", math.inf)  # (every other danger calmed)
    result = classify(text)
    assert result.urgent
    assert result.urgent_signals == signals


@pytest.mark.parametrize(
    "text",
    [
        "上个月那次是虚惊 可现在又闻到煤气味了",  # the scare was earlier; now it is back
        "以为是谁家做饭糊了 出门一看楼道里全是烟",  # mistaken the other way
        "燃气报警器一直响 我闻了确实有煤气味 阀门已经关了",  # acting on it is not settling it
        "报警器滴滴叫 不知道是不是误报 但确实有点煤气味",
        "刚才说错了 不是煤气味 现在闻着越来越像了",
        "虚惊一场 楼下着火了 快来",
        "刚才那条发错了 我家厨房着火了",  # the earlier message taken back, a danger at home told anew
        "撤回 厨房一股煤气味",
        "热水器冒烟了",  # (热…冒烟 is no figure of speech without 得)
        "屋头冒烟了 好像是电线短路",  # (屋头: at home, not a head)
        "楼顶在冒烟，不知道是不是着火",  # (是不是着火 asks; it does not settle)
        "厨房有股煤气味 是不是漏了",  # a danger now, asked about
        "家里煤气味好大 会不会爆炸",
        "插座冒烟了 还能用吗",
        "以为是烧纸 原来是楼下电动车着火了",  # what it turned out to be is the danger
        "楼下冒黑烟 其实是仓库着火了 快来",
        "那会儿我在厨房 突然着火了",  # (that moment, not a memory)
        "我妈激动得差点晕倒 现在还喘不上气",  # a figure of speech, and then a sign now
        "小时候住的老楼着火了 就在刚才 快来",
        "你们刚说是演练 那现在那股黑烟也是演练？我看不像 火都窜出来了",
        "听说隔壁着火了",  # hearsay, but next door
        "听说3栋着火了 是真的吗",
        "听说楼下着火了",
        "听说隔壁小区着火了 我们楼道也闻到烟味了",  # and here too
    ],
)
def test_a_danger_told_after_a_false_alarm_stays_urgent(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("宝宝把一颗纽扣电池吞下去了", "health.medical_access"),  # swallowed what is not food
        ("我老婆羊水破了 家里就我俩", "health.medical_access"),
        ("孩子把开水壶碰倒了 胳膊烫了一大片", "health.medical_access"),
        ("楼下大爷骑车摔沟里了 腿好像断了", "health.medical_access"),
        ("爸爸刚才说胸口压着疼 一直冒冷汗", "health.medical_access"),
        ("隔壁老太太敲门没人应 刚听见里面咚的一声 门反锁着", None),  # (its item: what else is named)
    ],
)
def test_medical_emergencies_without_a_medical_word_are_urgent(text: str, label: str | None) -> None:
    result = classify(text)
    assert result.urgent and result.hotlines[0] == "120"
    if label:
        assert result.label == label


@pytest.mark.parametrize(
    "text", ["电梯里按紧急呼叫没人应 这电梯有没有人维保", "这衣服烫了一大片印子", "孩子吃了药 烧退了", "我家猫躺着一动不动 是不是病了"]
)
def test_look_alikes_of_medical_emergencies_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


def test_signs_of_self_harm_keep_their_item_over_a_medical_emergency() -> None:
    result = classify("我割腕了 血止不住")
    assert result.label == "health.mental" and result.hotlines == ("120", "12356")


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("再见了 这个世界 谢谢你们", True),  # a goodbye
        ("如果哪天我不在了 我家的猫麻烦你们找人领养", True),  # a pet left for after "I am gone"
        ("我走了以后 阳台的花麻烦邻居浇一下吧", True),
        ("人死的时候到底疼不疼啊", True),  # wondering whether it hurts
        ("真想永久下线 不想再上线了", True),  # slang
        ("手腕上全是伤口 控制不住自己", True),
        ("我已经想好怎么结束了", True),
        pytest.param(  # a will (a known false alarm before and after the twenty-fourth session's first round)
            "如果我不在了 房子怎么分给两个儿子", False, marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(1.40))
        ),
        pytest.param(  # a trip (since the twenty-sixth session's self-harm model)
            "我走了以后这个花你帮忙浇浇水 出差一个月", False,
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.51)),
        ),
        ("搬家了 跟大家说声再见", False),  # (a known reading of the twenty-sixth session's self-harm model, 0.04: −0.13 now)
        ("人死了以后户口怎么注销", False),
        pytest.param(  # (since the twenty-fifth session)
            "手上都是伤口 干活的时候划的", False, marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(1.06))
        ),
    ],
)
def test_goodbyes_arrangements_and_ideation_are_signs_and_their_look_alikes_are_not(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "kind", "urgent"),
    [
        ("【通知】本周三停水，请提前储水", "other", False),  # a forwarded notice
        ("[温馨提示] 垃圾分类新规下周实施", "other", False),
        ("各位业主：本周末消杀灭鼠，请看好宠物", "other", False),
        ("转：冬季防火小常识 电动车不进楼道", "other", False),  # a safety tip, no fire now
        ("温馨提示：近期电信诈骗高发 请不要轻信陌生来电", "other", False),
        ("老年大学秋季班开始报名了 有书法 太极 转给需要的人", "other", False),
        ("【求助】楼道灯坏了好几天", "request", False),  # brackets that ask
        ("转：3栋着火了 大家快下楼", "request", True),  # a forwarded alarm stays one
    ],
)
def test_forwarded_notices_are_not_requests_but_forwarded_alarms_are(text: str, kind: str, urgent: bool) -> None:
    result = classify(text)
    assert (result.kind, result.urgent) == (kind, urgent)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("老年大学的报名审核过了没", "status"),  # whether an earlier request got through
        ("修路灯的申请批没批", "status"),
        ("那个补贴到底给不给办", "status"),
        ("我家暖气不热那个 什么时候来人看", "status"),  # the earlier one named, then when
        ("说好三天内来修 现在都第五天了", "status"),
        ("低保申请现在什么状态", "status"),
        ("长椅坏了那个 有人接单没", "status"),  # the earlier one named, then whether anyone took it up
        ("工地噪声扰民的投诉 转给城管了吗", "status"),
        ("扬尘的举报 有没有人去查", "status"),
        ("长椅坏了 有没有人来修一下", "request"),
        ("想申请助餐 什么时候能开始送", "request"),  # a new request that asks when
        ("楼道灯坏了 能派人来修吗", "request"),
        ("楼道灯能修不修啊", "request"),
    ],
)
def test_status_queries_that_name_their_service(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("之前报的插座修好了 厨房的灯又不亮了", "request"),  # earlier work done, a new need
        ("上次疏通的下水道修好了 不过卫生间的水管也漏了", "request"),
        ("水管修好了吗 还没人来", "status"),  # asked, not told as done
        ("马桶修好了 再也不堵了 谢谢", "thanks"),  # 再也不: never again
        ("谢谢 消防通道里的杂物清干净了", "thanks"),  # work done: 清干净了, 通开了
        ("谢谢师傅 厨房下水道堵了好几天 今天通开了", "thanks"),
    ],
)
def test_work_told_as_done_then_something_wrong_again_is_a_new_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("在吗 俺家电视光有声没影儿", "request"),  # a greeting that opens a need is read as the need is
        ("你好 我家厨房水管漏水了", "request"),
        ("你好", "greeting"),
        ("在吗 我想问问", "greeting"),  # a few words besides
        ("早上好 各位", "greeting"),
    ],
)
def test_a_greeting_alone_is_a_greeting_and_one_that_opens_a_need_is_a_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(("text", "label"), [
    ("不是灯的事，是厨房水管漏了", "repair.plumbing"),
    ("不是灯的问题 而是电梯坏了", "property.elevator"),
])
def test_a_need_corrected_as_it_is_told_is_a_request(text: str, label: str) -> None:
    """「不是灯的事，是厨房水管漏了」 (the resident correcting the need she had told) was a status query — 的事 reads as
    an earlier ticket — and got her list of tickets; what follows 是 is the need."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", label), result


@pytest.mark.parametrize("text", ["老人在家摔倒了", "我家老人摔倒了", "奶奶摔了一跤了 快来人", "我妈摔了一跤", "老伴滑了一跤",
                                  "我妈摔倒啦", "老人摔倒了快来帮忙", "我妈刚摔倒了", "我妈摔倒了，请帮帮忙", "楼下有人摔倒了"])
def test_a_fall_told_as_now_is_a_request_for_medical_help(text: str) -> None:
    """「老人在家摔倒了」 was talk (the kind model's odds for its few words outweighed its evidence): the resident
    telling a fall got 「遇到问题直接告诉我就行」 instead of a ticket; and made a request, its item was whatever a few
    words scored (我妈刚摔倒了: 防诈反诈, 照明楼道, 道路设施 to choose from)."""
    result = classify(text)
    assert result.kind == "request" and result.top3[0][0] == "health.medical_access", result


@pytest.mark.parametrize("text", ["奶奶在家摔了", "我妈从床上摔下来了", "我妈摔倒了 快来", "我爸摔倒了"])
def test_a_fall_told_as_now_and_nothing_else_is_urgent_with_120(text: str) -> None:
    """A resident's review: 「奶奶在家摔了」 and 「我妈从床上摔下来了」 got the bot's introduction (摔了 / 摔下来 were no
    fall), 「我爸摔倒了」 an unsure card and, chosen, a routine ticket: no 120, no coordinator told. Someone fallen now, and
    no other need told, is a medical emergency."""
    result = classify(text)
    assert (result.kind, result.label, result.urgent) == ("request", "health.medical_access", True), result
    assert result.hotlines[0] == "120", result


def test_a_fall_told_with_another_need_keeps_that_need_and_is_not_urgent() -> None:
    """The fall as the trouble's consequence (the stairwell dark): the lamp's ticket, as the labelled weeks read it."""
    result = classify("楼道灯坏了 晚上黑漆漆的 老人摔了一跤")
    assert (result.label, result.urgent) == ("property.public_lighting", False), result


@pytest.mark.parametrize(("text", "label"), [("水管漏了 急 快来", "repair.plumbing"), ("水管漏了，很急", "repair.plumbing"),
                                             ("上回那个师傅修的水管又漏了 太差劲了", "repair.plumbing"),
                                             ("你们修的什么玩意 水管又漏了", "repair.plumbing"),
                                             ("唔該 部電梯又壞咗", "property.elevator"),
                                             ("電梯壞咗 冇人理 唔該", "property.elevator")])
def test_haste_a_repair_gone_wrong_and_cantonese_please_are_no_thanks(text: str, label: str) -> None:
    """A resident's review: 「水管漏了 急 快来」, 「上回那个师傅修的水管又漏了 太差劲了」 and 「唔該 部電梯又壞咗」 were read
    as thanks (「不客气！能帮上忙我们很高兴」): haste after a trouble, the work gone wrong again, and 唔该 — please in
    Cantonese as often as thank you (唔该晒 is thanks) — are a request."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", label), result


@pytest.mark.parametrize("text", ["我老公把手机摔了", "孩子把碗摔了", "老人的假牙摔了", "孩子的手机摔了"])
def test_a_thing_someone_dropped_is_no_fall(text: str) -> None:
    """A review of the fall rule's first version: 摔了 after a person read 「我老公把手机摔了」 as his fall (120, 🚨)."""
    assert not classify(text).urgent, classify(text)


@pytest.mark.parametrize("text", ["唔该晒 冷气修好咗", "谢谢师傅上次修的水管 到现在都没漏过",
                                  "上次修的水管又漏了，这次师傅彻底修好了，谢谢", "修完的马桶又堵了 不过师傅马上来通了 谢谢"])
def test_thanks_for_work_that_lasts_are_still_thanks(text: str) -> None:
    assert classify(text).kind == "thanks", classify(text)


@pytest.mark.parametrize("text", [
    "昨晚做梦梦见我妈摔倒了 醒了赶紧打电话",
    "今天给我妈买了个防摔报警手环,摔倒了能自动打电话给我,科技真好",
    "老年人摔倒了别急着扶 先看看情况 这是急救课上学的",
    "上个月我妈摔倒了，现在好多了",
    "我爸摔了一跤，还好没事",
    "手机摔了一下了", "电动车摔倒了", "我家猫摔倒了", "股市又摔了一跤了", "梅西在禁区摔倒了", "哈哈我今天滑冰摔了一跤了",
    "比赛中他摔倒了，但是又站起来了", "抖音上看到一个老人摔倒了", "小时候我摔倒了", "我以为他摔倒了 原来是在睡觉",
    "她摔倒了 已经好了", "王奶奶摔倒了 我已经扶起来了", "天冷路滑，大家出门小心，别摔倒了", "下雨天老人很容易摔倒了",
    "听说3号楼的老太太摔倒了", "笑得我摔倒了",
])
def test_a_fall_of_a_thing_dreamt_seen_warned_of_or_over_is_not_a_request(text: str) -> None:
    assert classify(text).kind != "request", classify(text)


@pytest.mark.parametrize("text", ["水管漏了", "家里水管漏了", "屋顶漏了", "没热水了", "停电了", "家里跳闸了", "楼道灯坏了 谢谢",
                                  "电梯坏了 谢谢你们", "水管漏水了 唔该晒", "我家水管漏水了，麻烦派人来看看，谢谢"])
def test_a_trouble_told_plainly_is_a_request_whatever_thanks_end_it(text: str) -> None:
    """「水管漏了」 and 「我家水管漏水了，麻烦派人来看看，谢谢」 were thanks (the kind model reads 漏了 and a closing 谢谢 as the
    thanks for a mended pipe), 「停电了」 talk: nothing was registered, and the resident believed she had been helped."""
    assert classify(text).kind == "request", classify(text)


@pytest.mark.parametrize("text", ["水管不漏了 谢谢", "水管修好了 谢谢", "水管漏了吗"])
def test_a_trouble_mended_or_asked_about_is_no_new_request(text: str) -> None:
    assert classify(text).kind != "request", classify(text)


@pytest.mark.parametrize("text", ["就是这里，跳过", "窗户这里，跳过", "电话就不留了，跳过"])
def test_skip_is_no_sign_of_self_harm(text: str) -> None:
    """「跳过」 is the bot's own word for skipping the phone: typed with a few words (窗户这里，跳过) the self-harm model read
    跳 as jumping — the crisis line 12356 and an urgent 心理疏导 ticket."""
    assert not classify(text).urgent, classify(text)


def test_jumping_over_is_still_read() -> None:
    assert classify("我想从楼上跳过去").urgent


@pytest.mark.parametrize("text", ["晚上楼上很吵", "楼上好吵啊", "隔壁很吵 睡不着"])
def test_noise_said_with_a_degree_word_is_a_noise_complaint(text: str) -> None:
    """「晚上楼上很吵」 was talk: the lexicon had 楼上太吵 and 邻居很吵 but not 楼上很吵."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", "dispute.noise_dispute"), result


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("隔壁新开的烧烤店天天半夜还在吵，吵得睡不着", "environment.noise"),  # (was 生活噪音: a shop next door is a shop)
        ("小区后面那个汽修厂天天敲敲打打，电钻声就没停过", "environment.noise"),  # (was 生活噪音: 电钻 is a neighbour's word too)
        ("对面工地晚上十一点还在打桩 咚咚咚的 根本睡不着", "environment.noise"),
        ("楼上每天半夜拖椅子 咯吱咯吱的 睡不着", "dispute.noise_dispute"),
        ("对门天天晚上放音乐放到一两点", "dispute.noise_dispute"),  # (was 噪音污染 but for the neighbours named)
        ("楼上每晚十二点以后开洗衣机 轰隆隆响", "dispute.noise_dispute"),
        ("楼上那家每天晚上在家蹦迪 音响开得震天响", "dispute.noise_dispute"),
    ],
)
def test_noise_goes_by_its_source(text: str, label: str) -> None:
    """taxonomy.md: noise from neighbours' daily life → 生活噪音; from construction, shops or factories → 噪音污染."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", label), result


@pytest.mark.parametrize(
    "text",
    [
        "小区东门外的工地天天夜里施工，挖掘机响到凌晨两点，找过施工单位，说是要赶进度，希望有关部门管一管",
        "我们小区旁边的工地每天夜里干到两三点，找过施工单位好几次都没用，请环保部门来查一下",
    ],
)
def test_construction_words_are_no_status_query(text: str) -> None:
    """施工单位 holds 工单 and 赶进度 holds 进度: neither asks after a ticket (both were status queries)."""
    result = classify(text)
    assert (result.kind, result.label) == ("request", "environment.noise"), result


@pytest.mark.parametrize("text", ["查一下进度", "我的工单到哪了", "上周报的路灯进度怎么样了"])
def test_progress_and_tickets_asked_after_are_still_status_queries(text: str) -> None:
    assert classify(text).kind == "status"


@pytest.mark.parametrize("text", ["灯的事怎么样了", "上次灯的事有人管吗", "不是说好了今天来修吗"])
def test_an_earlier_need_asked_about_is_still_a_status_query(text: str) -> None:
    assert classify(text).kind == "status"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("谢谢上回来清垃圾 另外楼后面那棵树歪了 压在自行车棚上", "request"),
        ("师傅上回修完挺好的 谢了啊 对了俺家厨房插座不通电了", "request"),
        ("我那个空调的单子还没人来吧 另外卧室门把手掉了 关不上门", "request"),
        ("上次报的路灯 换了两个 还有三个没换 什么时候来", "status"),  # 还有 + a number: the same ticket
        ("谢谢师傅 对了 师傅人真好", "thanks"),  # nothing needed after 对了
    ],
)
def test_thanks_or_a_status_query_then_another_need_is_a_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("树枝锯掉了 不会砸车了 谢谢园林的师傅", "thanks"),  # the work told by what it changed
        ("灭火器给换了新的 谢谢大家", "thanks"),
        ("谢谢 楼下烧烤店装了油烟净化器 现在开窗没味儿了", "thanks"),
        ("我上次申请的临时救助批下来没有", "status"),
        ("请问一下上个月申请的适老化改造扶手 排到我们家没", "status"),
        ("侬好 我上趟报的垃圾没人收的事体 现在哪能了", "status"),
        ("老年食堂订餐那个审核要几天啊", "status"),
        ("文书代写说三天 今天第五天了", "status"),
        ("法律援助那个啥时候能排到", "status"),
        ("老旧小区改造啥时候轮到我们 外墙皮都掉了", "request"),  # not 排到: a need told with it
        # the fifteenth session, from the blind tune25 and tune26 weeks
        ("谢谢啊 楼道灯换了 晚上再也不用摸黑上楼了", "thanks"),  # 再也不用: relief, not still wrong
        ("低保申请交上去一个月了 有消息伐", "status"),  # 伐: the Wu question particle
        ("上次问的疫苗 啥时候回复", "status"),
        ("小区路灯那个事 我看显示还在派单中", "status"),  # the ticket's state as the bot shows it
        ("上次说帮我挂的专家号 挂上了没有", "status"),
        ("社区医院的专家号能约上吗", "request"),  # whether one can book: not 约上了吗
        ("我那个家庭医生签约，批下来莫得？", "status"),  # 莫得: south-western 没有
        ("开锁的还要好久嘛，我在门口等半天了", "status"),
        ("昨天说好的上门量血压 医生没来啊", "status"),
        ("我是给我爸报的独居探访 有人去过了吗", "status"),
        ("公司没签劳动合同 突然叫我明天不用来了 工资也不结", "request"),  # fired, not a ticket called off
        # the sixteenth session, from the blind tune30 set
        ("临时救助那笔钱收到了 三千块 正好给孩子交学费 谢谢社区", "thanks"),  # what came
        ("谢谢调解员 我和我哥为了爸妈养老的事吵了半年 上次坐下来谈开了", "thanks"),  # talked out
        ("我眼睛又不好 看不清那些表格 小孙一项一项帮我填 补助已经发下来了 谢谢这个好孩子", "thanks"),  # 又 before
        ("低保补助发下来了 谢谢 不过这个月又少了两百", "request"),  # something wrong after the work done
        ("谢谢上次律师的解答！还想麻烦一下 能不能帮我写一份给法院的情况说明", "request"),  # thanks, then a new ask
        ("上回问的体检报告的事 说医生会回电话 到现在也没动静 是不是忘了", "status"),
        # from the blind tune31 voice rambles: praise without a thank-you word, an order or a matter asked after
        ("嗯 我家的洗衣机修好了 师傅说皮带松了 换了一根 现在转得可稳了 真是好孩子", "thanks"),
        ("我老头子那个手指头的事 工伤认定下来了 厂里赔了钱 你们那个劳动保障的同志帮了大忙 我们老两口商量着给你们送面锦旗", "thanks"),
        ("修冰箱那个师傅说要换压缩机 订了快半个月了 到货了没有", "status"),
        ("上次说的对门养狗的事 你们说找他谈了 这个事算完了没 还管不管了", "status"),
        ("垃圾桶满了没人倒", "request"),
        ("俺家老爷子那扶手到底装不装了 等半个月了都", "status"),  # (a back-reference the TOML had escaped twice)
        ("托管的报名表交了 说等通知 到底收不收啊", "status"),
        ("电梯天天停 一会好一会坏的 到底修不修", "request"),  # a complaint, not a query
    ],
)
def test_thanks_told_by_what_changed_and_status_queries_in_other_words(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("等了一上午了 到底几点过来", "status"),
        ("师傅今天还过来不 我在家等着呢", "status"),
        ("咋一直没人回我消息呢", "status"),
        ("说好下午来 人呢", "status"),
        ("多亏了小王 这下放心了", "thanks"),
        ("真是帮大忙了 改天请你们喝茶", "thanks"),
    ],
)
def test_the_non_request_model_tells_status_queries_and_thanks_from_talk(
    text: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Talk that no status or thanks pattern reads (the rules call it "other") is a status query or thanks by the
    non-request model: the bot answers a status query with the resident's tickets, not its introduction."""
    classifier = get_classifier()
    assert classifier.classify(text).kind == kind
    monkeypatch.setattr(classifier, "non_request_weights", {})  # without the model: the rules' "other"
    assert classifier.classify(text).kind == "other"


@pytest.mark.parametrize("text", ["今天天气真不错 出去溜达溜达", "我孙子今年考上大学了", "小区门口新开了家面馆 味道不错"])
def test_the_non_request_model_leaves_other_talk_other(text: str) -> None:
    assert classify(text).kind == "other"


def test_the_non_request_model_never_makes_a_greeting() -> None:
    """Greetings are "other" to it: a greeting gets no 登记为诉求 button, which a need misread as one would lose."""
    assert "greeting" not in learning.NON_REQUEST_MODEL_KINDS
    assert learning._model_kind_index("greeting") == learning.NON_REQUEST_MODEL_KINDS.index("other")


@pytest.mark.parametrize(
    "text",
    [
        "停电通知：因线路检修，5号楼至8号楼停电，请提前做好准备",
        "疫苗接种安排：周二周四上午在社区活动中心",
        "燃气公司入户安检通知 请大家配合",
    ],
)
def test_a_notice_under_its_title_is_not_a_request(text: str) -> None:
    result = classify(text)
    assert result.kind == "other" and not result.urgent


@pytest.mark.parametrize(
    "text", ["今儿累死了 带孙子一天 腰都直不起来", "我裂开了", "木炭和蜂窝煤哪个烤火更省钱？", "嗯 那个 喂喂 能听见吗"]
)
def test_a_danger_items_learned_words_alone_weakly_are_no_danger(text: str) -> None:
    """Weak learned evidence of a danger item, and no word of danger: the kind model decides as for any item."""
    result = classify(text)
    assert result.kind != "request" and not result.urgent


@pytest.mark.parametrize(
    "text", ["热水器接口那闻着有股味儿 装的人刚走", "着了着了 厨房着了", "阳台着了 快来人", "gas leak 5栋 快来"]
)
def test_a_danger_told_without_the_lexicon_words_stays_urgent(text: str) -> None:
    """Only the learned words point to a danger here: the kind model must be sure before it says no."""
    result = classify(text)
    assert result.kind == "request" and result.urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("想申请低保 家里实在太难了 活着没意思", "employment.assistance"),
        ("欠薪半年了 老板跑了 真不想活了", "employment.wages"),
    ],
)
def test_self_harm_keeps_the_need_the_rest_of_the_message_describes(text: str, label: str) -> None:
    result = classify(text)
    assert result.urgent and "self_harm" in result.urgent_signals
    assert result.label == label


def test_kind_model_is_learned_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        {"text": t, "label": "property.public_lighting", "kind": "request"}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪")
    ]
    examples += [{"text": t, "label": None, "kind": "other"} for t in ("今天天气真好", "哈哈哈 笑死")]
    quiet = {"self_harm_examples": [], "kind_examples": FEW_KIND_EXAMPLES, "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert list(tmp_path.glob("kind-model-*.json"))

    def no_learning(*_: object) -> dict[str, float]:
        raise AssertionError("learned again")

    monkeypatch.setattr(learning, "_learn_kind_weights", no_learning)
    monkeypatch.setattr(learning, "learn_non_request_weights", no_learning)
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.kind_weights == first.kind_weights
    assert second.non_request_weights == first.non_request_weights


def test_a_second_start_learns_nothing_from_the_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        {"text": t, "label": "property.public_lighting", "kind": "request"} for t in ("樓道燈壞了", "路灯不亮了")
    ]
    examples += [{"text": "今天天气真好", "label": None, "kind": "other"}]
    quiet = {"self_harm_examples": [], "kind_examples": FEW_KIND_EXAMPLES, "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)

    def not_again(*_: object) -> None:
        raise AssertionError("the examples were read again")

    # Neither segmented, counted nor normalized: the caches are keyed by the examples as written.
    for name in ("_learn_kind_weights", "_learn_item_weights", "_fit_binary_logistic", "_fit_multinomial"):
        monkeypatch.setattr(learning, name, not_again)
    monkeypatch.setattr(model, "substring_share", not_again)
    monkeypatch.setattr(model.Classifier, "term_count_features", not_again)
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.vocab == first.vocab and second.kind_weights == first.kind_weights
    assert second.classify("樓道燈壞了").label == "property.public_lighting"


def test_a_start_reads_no_example_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the models learned (the data directory, as `make` leaves it), the example files are not read: their
    digests key the caches (reading them cost a tenth of a second of every start)."""
    get_classifier()

    def not_read(path: Path) -> list[dict]:
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(learning, "load_examples", not_read)
    classifier = Classifier(load_taxonomy(), cache_dir=Path("data"))
    assert classifier.classify("楼道灯坏了好几天了").label == "property.public_lighting"


def test_an_edited_example_file_keys_the_caches_anew(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    line = json.dumps({"text": "楼道灯坏了", "label": "property.public_lighting", "kind": "request"}, ensure_ascii=False)
    examples.write_text(line + "\n", encoding="utf-8")
    first = learning.examples_key(examples)
    examples.write_text(line.replace("request", "other") + "\n", encoding="utf-8")  # another kind
    assert learning.examples_key(examples) != first
    as_list = [{"text": "楼道灯坏了", "label": None, "kind": "status"}]
    assert learning.examples_key(as_list) != learning.examples_key([{**as_list[0], "kind": "other"}])


def test_a_damaged_jieba_cache_is_rebuilt(tmp_path: Path) -> None:
    examples = [{"text": "楼道灯坏了", "label": "property.public_lighting", "kind": "request"}]
    quiet = {"self_harm_examples": [], "kind_examples": [], "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    (cache,) = tmp_path.glob("jieba-*.cache")
    cache.write_bytes(cache.read_bytes()[:1000])  # cut short, as by a full disk
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.tokenizer.FREQ == first.tokenizer.FREQ
    assert second.classify("电梯坏了 困在里面").label == first.classify("电梯坏了 困在里面").label


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("家里燃气警报器一直在叫", "gas"),
        ("燃气灶关了以后还能听到嘶嘶的声音", "gas"),
        ("有人在楼道里放火", "fire"),
        ("小孩玩打火机把窗帘点着了", "fire"),
        ("楼上的火蔓延下来了", "fire"),
        ("厨房里火苗蹿得老高", "fire"),
        ("老头子走了半年了 我也想跟他走了", "self_harm"),
        ("觉得活下去没什么意思了", "self_harm"),
        ("你们别找我了 下辈子再见", "self_harm"),
        ("我已经买好了农药", "self_harm"),
        ("燃气热水器那边好像漏了，厨房里一直有味", "gas"),
        ("用煤炉子取暖，一家人早上起来都头晕", "gas"),
        ("炒菜的时候油锅着了", "fire"),
        ("楼下好多烟 看不清了", "fire"),
        ("help！fire in the building 3单元", "fire"),
        ("这些年的止痛药我都攒着没吃", "self_harm"),
        ("活够本了 不想再受这个罪", "self_harm"),
        ("以后不在了 麻烦帮我的猫找个好人家", "self_harm"),
        ("有没有什么不痛苦的死法", "self_harm"),
        ("燃气表那块儿味道特别大", "gas"),
        ("拿肥皂水抹了下接口 在冒泡", "gas"),
        ("热水器火灭了 气还开着", "gas"),
        ("警报器一直滴滴叫 屋里有股味", "gas"),
        ("楼下有人说像臭蛋的味道", "gas"),
        ("进门就闻到一股味 也不知道是不是气", "gas"),
        ("灶后面胶管脱了 气呼呼往外冒", "gas"),
        ("电箱缝里烟冒了出来", "fire"),
        ("煤炉子那边有股味", "gas"),
        ("插座那有点焦味", "fire"),
        ("楼梯上都是烟", "fire"),
        ("快 车棚里有火", "fire"),
        ("火！火！火！3单元", "fire"),
        ("烧秸秆烧到墙根了", "fire"),
        ("燃气灶打不着 还有点臭臭的", "gas"),
        ("燃气公司说会来 到现在还没来 现在味道比昨天大多了", "gas"),
        # a past told in another sentence does not hide a fire now
        ("我爸去年查出来血糖高。刚才下楼看到垃圾堆在冒烟", "fire"),
    ],
)
def test_indirect_gas_fire_and_self_harm_phrasings_are_urgent(text: str, signal: str) -> None:
    result = classify(text)
    assert result.urgent and signal in result.urgent_signals, result


@pytest.mark.parametrize(
    "text",
    ["邻居家天天烧香 烟很大", "煤气灶点火的时候火苗有点小", "一起去吃火锅吧", "这个月燃气费怎么这么多",
     "去年家里着过一次火，现在想问问保险怎么理赔", "找工作不能在一棵树上吊死", "洗衣机要死不活的 转两下就停",
     "燃气灶打不着火，没有什么味", "炒辣椒的时候灶台那边味道好冲", "燃气表那儿没什么味道了"],
)
def test_look_alikes_give_no_urgent_signal(text: str) -> None:
    assert not classify(text).urgent_signals


def test_a_letter_telling_earlier_complaints_is_a_request_and_a_chat_status_query_stays() -> None:
    letter = ("尊敬的社区领导：您好！我是幸福小区3号楼的住户，今年七十二岁。我们单元的楼道灯从上个月起就坏了，"
              "晚上上下楼一片漆黑，前几天邻居家的老人还在楼梯上摔了一跤。我们已经给物业打过好几次电话，"
              "也去居委会反映过，可是到现在都没有下文。恳请领导重视，尽快安排人把楼道灯修好，"
              "让我们这些老人晚上出门能安心一些。谢谢！")
    assert len(letter) > 150
    verdict = classify(letter)
    assert verdict.kind == "request" and verdict.category == "property"
    assert classify("我上次反映的楼道灯坏了的事，怎么到现在还没下文？").kind == "status"


def _terms_by_jieba(classifier: Classifier, text: str, longest: int) -> dict[str, float]:
    """What `_scored_terms` must find, the slow way: jieba's full mode (every dictionary word in the text,
    overlapping ones included) gives the words; every other term found as a substring (of `longest` characters
    at most: the vocabulary's longest term's) is a piece."""
    vocab = classifier.vocab
    words = {token for token in classifier.tokenizer.lcut(text, cut_all=True) if token in vocab}
    substrings = {text[i:j] for i in range(len(text)) for j in range(i + 2, min(i + longest, len(text)) + 1)}
    return {term: 1.0 if term in words else CROSS_TOKEN_FACTOR for term in substrings & vocab.keys()}


def test_term_scan_finds_what_jieba_full_mode_finds() -> None:
    """`_scored_terms` knows in advance which terms jieba's full mode gives as words (for jieba 0.42.1,
    pinned); running jieba on every message must find the same terms and factors, words first."""
    classifier = get_classifier()
    texts = [json.loads(line)["text"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    texts += ["b超预约", "打110报警了", "wifi连不上小区的网", "楼道灯坏了好几天了", "电悌坏了", "1101室的wifi2坏了",
              "110 110", "3号楼b超", "wifi,110"]
    longest = max(map(len, classifier.vocab))  # (once: over the whole vocabulary it took most of the test's time)
    for text in texts:
        prepared = cut_for_scoring(normalize(text))
        found = classifier._scored_terms(prepared)[0]
        assert found == _terms_by_jieba(classifier, prepared, longest), text
        factors = list(found.values())
        assert factors == sorted(factors, reverse=True), text  # words first


def test_one_scan_sums_the_models_over_their_feature_sets() -> None:
    """The kind, self-harm, danger and item models are summed from the automaton's keys in one pass, and the
    non-request model reads its weights by the same keys; the sums must be those over the feature sets they were
    learned from (each feature once, marks and ASCII words included), for chat, long letters, repeated words and
    texts with no Chinese at all."""
    classifier = get_classifier()
    texts = [json.loads(line)["text"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
             if line.strip()][::7]
    texts += ["", "?", "楼道灯灯灯坏了坏了?!", "i want to end it all 不想活了", "bu xiang huo le", "wifi坏了!",
              "楼上漏水" * 400, "家里燃气味道很大 " + "说来话长 " * 40]
    kind, self_harm, items = classifier.kind_weights, classifier.self_harm_weights, classifier.item_weights
    danger, known = classifier.danger_weights, classifier.known_keys()
    talk = classifier.non_request_weights
    assert set(talk) - {""} <= classifier._model_keys | set(classifier.vocab)  # every weight is a key of the automaton
    for text in map(normalize, texts):
        expected = kind[""] + sum(kind.get(f, 0.0) for f in learning.kind_features(text))
        assert classifier.kind_model_odds(text) == pytest.approx(expected, abs=1e-9), text
        if len(text) <= model.CHAT_MODEL_MAX_CHARS:
            expected = self_harm[""] + sum(self_harm.get(f, 0.0) for f in learning.self_harm_features(text))
            assert classifier.self_harm_odds(text) == pytest.approx(expected, abs=1e-9), text
            expected = danger[""] + sum(danger.get(f, 0.0) for f in learning.danger_features(text, known))
            assert classifier.danger_odds(text) == pytest.approx(expected, abs=1e-9), text
        features = learning.item_features(cut_for_scoring(text)) | {""}
        logits = classifier.item_logits(text, [0, 7, 59])
        for i in (0, 7, 59):
            expected = sum(items[f][i] for f in features if f in items)
            assert logits[i] == pytest.approx(expected, abs=1e-9), text
        sums = [sum(talk[f][k] for f in features if f in talk) for k in range(len(learning.NON_REQUEST_MODEL_KINDS))]
        assert classifier.non_request_kind(text) == learning.NON_REQUEST_MODEL_KINDS[sums.index(max(sums))], text


def test_item_model_is_learned_once_cached_and_deterministic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = [
        {"text": t, "label": "dispute.noise_dispute", "kind": "request"}
        for t in ("楼上天天很吵", "邻居半夜很吵", "楼上跺脚很吵")
    ]
    examples += [
        {"text": t, "label": "environment.noise", "kind": "request"}
        for t in ("工地半夜施工很吵", "工地噪音很吵", "马路上工地太吵")
    ]
    # Not requests: not learned from (or 谢谢, in two messages, would have a weight).
    examples += [{"text": t, "label": None, "kind": "thanks"} for t in ("楼上不吵了 谢谢", "谢谢师傅")]
    quiet = {"self_harm_examples": [], "kind_examples": [], "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert list(tmp_path.glob("item-model-*.json"))
    noise_dispute, site_noise = first.index["dispute.noise_dispute"], first.index["environment.noise"]
    # The characters of one item's examples only lean to that item.
    assert first.item_weights["工地"][site_noise] > 0 > first.item_weights["工地"][noise_dispute]
    assert "谢谢" not in first.item_weights

    def no_learning(*_: object) -> dict:
        raise AssertionError("learned again")

    monkeypatch.setattr(learning, "_learn_item_weights", no_learning)
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.item_weights == first.item_weights
    monkeypatch.undo()
    again = Classifier(load_taxonomy(), cache_dir=None, examples=examples, **quiet)  # learned anew: the same
    assert again.item_weights == first.item_weights


def test_item_model_decides_only_between_close_lexicon_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = get_classifier()
    close = "楼上邻居天天很吵"
    _, ranked = classifier.evidence(normalize(close))
    assert ranked[0][1] - ranked[1][1] < model.ITEM_MODEL_MARGIN  # (the premise of this test)
    lexicon_best, runner_up = (classifier.labels[i] for i, _ in ranked[:2])
    assert classify(close).label == lexicon_best
    # A model that reads every message as the runner-up (or as a leaking gas pipe's odour):
    def towards(item: int) -> tuple[float, ...]:
        return tuple(50.0 if i == item else 0.0 for i in range(len(classifier.labels)))

    odour = classifier.index["environment.odor"]
    leaning = {"": towards(-1), "很": towards(ranked[1][0]), "大": towards(odour), "了": towards(odour)}
    try:
        with monkeypatch.context() as patched:
            patched.setattr(classifier, "item_weights", leaning)
            classifier._add_model_keys()  # (the weights live in the automaton's keys too)
            result = classifier.classify(close)
            assert result.label == runner_up and result.top3[0][0] == runner_up and result.kind == "request"
            # A clear lexicon lead, urgent signals and the request-or-not decision are not its to change.
            assert classifier.classify("楼道灯坏了好几天了").label == "property.public_lighting"
            gas = classifier.classify("家里燃气味道很大")
            assert gas.label == "safety.gas_leak" and gas.urgent
            assert classifier.classify("你好").kind == "greeting"
            patched.setattr(classifier, "item_model_weight", 0.0)  # the lexicon alone
            assert classifier.classify(close).label == lexicon_best
    finally:
        classifier._add_model_keys()  # the shared classifier's own weights again
    assert classifier.classify(close).label == lexicon_best


def test_self_harm_model_is_learned_once_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        {"text": t, "label": "health.mental", "kind": "request", "urgent": True, "signal": "self_harm"}
        for t in ("以后就不麻烦大家了", "我的猫以后就拜托你们了", "密码都写好放抽屉里了")
    ]
    examples += [
        {"text": t, "label": "property.public_lighting", "kind": "request", "urgent": False}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪")
    ]
    quiet = {"self_harm_examples": [], "kind_examples": [], "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert list(tmp_path.glob("self-harm-model-*.json"))
    assert first.self_harm_weights["麻烦"] > 0 > first.self_harm_weights["灯"]

    def no_learning(*_: object, **__: object) -> dict[str, float]:
        raise AssertionError("learned again")

    monkeypatch.setattr(learning, "_fit_binary_logistic", no_learning)
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.self_harm_weights == first.self_harm_weights


def test_the_pinyin_table_is_read_from_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built once from pypinyin's table and kept: a later start must not import that table (0.2 s)."""
    examples = [{"text": "楼道灯坏了", "label": "property.public_lighting", "kind": "request", "urgent": False}]
    quiet = {"self_harm_examples": [], "kind_examples": [], "danger_examples": []}
    first = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert list(tmp_path.glob("pinyin-*.json"))
    monkeypatch.setitem(sys.modules, "pypinyin.pinyin_dict", None)  # importing it now fails
    second = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=examples, **quiet)
    assert second.pinyin_index == first.pinyin_index
    assert second.classify("电悌坏了").label == "property.elevator"


def test_self_harm_examples_teach_the_self_harm_model_only(tmp_path: Path) -> None:
    """The taxonomy's self_harm_examples teach the self-harm model and nothing else: in the examples their
    words pulled the item and kind models toward health.mental."""
    lighting = [
        {"text": t, "label": "property.public_lighting", "kind": "request", "urgent": False}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪")
    ]
    signs = [
        {"text": t, "label": "employment.wages", "kind": "request", "urgent": True, "signal": "self_harm"}
        for t in ("工钱再不给就不麻烦大家了", "欠薪三个月 我的猫以后就拜托你们了", "工资卡密码都写好放抽屉里了")
    ]
    quiet = {"kind_examples": FEW_KIND_EXAMPLES, "danger_examples": []}
    without = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, self_harm_examples=[], **quiet)
    taught = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, self_harm_examples=signs, **quiet)
    assert taught.self_harm_weights["麻烦"] > 0 and "麻烦" not in without.self_harm_weights
    assert taught.vocab == without.vocab
    assert taught.kind_weights == without.kind_weights
    assert taught.item_weights == without.item_weights


def test_kind_examples_teach_the_kind_model_only(tmp_path: Path) -> None:
    """The taxonomy's kind_examples teach the kind model, not the term weights, the item model nor the self-harm
    model (the danger and non-request models learn from every file): in the examples they would teach items too."""
    lighting = [
        {"text": t, "label": "property.public_lighting", "kind": "request", "urgent": False}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪", "早上好 楼道灯又不亮了")
    ]
    chat = [  # chit-chat that names lights (what the kind model decides: no pattern, some item evidence)
        {"text": t, "label": None, "kind": "other", "urgent": False}
        for t in ("路灯下面跳广场舞的人真多", "楼道灯的颜色还挺好看的", "小时候路灯下面写作业")
    ]
    quiet = {"self_harm_examples": FEW_SIGNS, "danger_examples": []}
    without = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, kind_examples=[], **quiet)
    taught = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, kind_examples=chat, **quiet)
    assert taught.kind_model_odds("路灯下面跳舞的人好多") > without.kind_model_odds("路灯下面跳舞的人好多")
    assert taught.vocab == without.vocab
    assert taught.item_weights == without.item_weights
    assert taught.self_harm_weights == without.self_harm_weights


@pytest.mark.parametrize(
    "text",
    [
        "谢谢社区这些年照顾我，以后就不麻烦大家了",
        "我把猫托付给邻居了，以后它就靠你们了",
        "药我都停了，也不想再去医院了",
        "最近老是在查吃多少片药会睡过去",
    ],
)
def test_indirect_self_harm_is_read_by_the_model(text: str) -> None:
    classifier = get_classifier()
    result = classifier.classify(text)
    assert result.urgent and "self_harm" in result.urgent_signals, result
    assert "12356" in result.hotlines and result.label == "health.mental" and result.kind == "request"
    assert "self_harm" not in classifier._urgent_matches(  # (the model's catch, not a pattern's)
        result.text, classifier.woken_patterns(result.text)
    )


@pytest.mark.parametrize(
    "text",
    [
        "昨晚又偷偷划了几下，不敢让我妈看见",  # cutting, told as a habit
        "胳膊上全是一道道刀痕，夏天都不敢穿短袖",
        "一难受就拿头撞墙",
        "站在阳台上老想往下跳",  # the urge to jump or crash
        "开车的时候总想往大货车上撞",
        "我现在就在河边，不知道该去哪",
        "他坐到桥的护栏上头了",
        "我想自沙",  # a homophone of 自杀
        "不吃药了，就这样慢慢走掉吧",  # wanting to be gone
        "病了这么多年，真的不想再熬了",
        "这世上少我一个也没人在乎",
        "给家里人写了告别信",
        "晚上睡不着就上网搜怎么死",
        "别劝我了，我都想好了",
        "我走了以后家里的猫麻烦邻居养",
        "把手机和电脑都送给表弟了，反正以后用不上",  # giving belongings away
        "他把东西都送人了，还写了几封信",
        "在我爸柜子里翻出好几瓶安眠药",
        "儿子死了，我也跟他去",
        "活着就是给儿女添麻烦",
        # short messages, dialect and slang
        "我就是个累赘",
        "活得没意思 不如消失",
        "安眠药吃多少片才会死",
        "这么高跳下去能死吗",
        "敌敌畏我放在床头了",
        "昨天买好炭了 门窗都封好了",
        "刚把一瓶都吞了",
        "差点就从窗户出去了",
        "家里那根绳子一直挂在房梁上",
        "求你们别救我",
        "我在天台了 不要找我",
        "用指甲掐到出血才舒服",
        "我又想噶了",
        "真的想了断",
        "你再走我就死给你看",
        "闭上眼就再也不醒多好",
        "就当没有过我吧",
        "安眠药要很多 越多越好",
        "东西全送掉了 什么都不留",
        "阿拉勿想活了",
        "我一觉睡过去最好",
        "我死咗就冇人烦",
        "家里没我更清净",
        "总想开车去撞桥墩",
        "太累了 想永远休息",
        # the examples' cross-validation misses: initials, homophones, a last message, a spouse followed
        "最近真的好想zs，有人吗",
        "有时候想被车撞死",
        "吃了好多安眼药 头好痛",
        "这是我最后一次发消息了，祝大家都好",
        "他在网上查我们这片哪栋楼最高",
        "老伴走了一年了，我快来陪你了",
        "i just don't want to be alive anymore",
        "旧手机和电脑都捐给社区吧，我以后用不上了",
        "降压药吃多少片会致命",
        # classic phrasings the eleventh buried tuning half still missed
        "我这样的人不配活着",
        "她前几天拿回去一袋木炭，门缝都用湿毛巾塞住了",
        "有时候想把煤气开着睡一觉就算了",
        "要是一次吞一整瓶会怎么样",
        "昨晚吞了一把头疼药，后来又吐了",
        "我要是不在了，孩子们怎么办",
        "与其这样还不如从窗户出去",
        "开车的时候真想一脚油门冲出去",
        "每天路过那座桥都想一头扎下去",
    ],
)
def test_indirect_signs_of_self_harm_are_found_by_their_own_patterns(text: str) -> None:
    """Phrasings of the ninth and eleventh sets' tuning halves (rewritten): each is matched by one
    pattern only, so that each pattern is needed by a case."""
    assert get_classifier().self_harm_pattern_fires(normalize(text)), text
    assert classify(text).urgent


@pytest.mark.parametrize(
    "text",
    ["要死要死，快迟到了", "我妈长期吃安眠药，有没有办法减量", "冰箱快不行了，不制冷", "闹钟都叫不醒，白天老犯困", pytest.param("今天把旧衣服都送人了", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(2.20))),
     "我在楼顶晒被子", pytest.param("我现在在河边钓鱼", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.31))), "冬天开车老打滑", "别打120了，我已经到医院了", "周末带孩子一起走走",
     "一瓶酸奶都吃完了", "买好炭了 周末烧烤", "老鼠药多买点，家里老鼠太多", "猫吃几颗巧克力会死吗",
     "我的后事不要办，骨灰撒海里就行", "差点被车撞死 这路口太危险", "今天太热了",
     "不配合检查的住户太多了", pytest.param("冬天用炭盆取暖 要开窗通风 别把门缝塞住了", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(1.85))), "买了一袋木炭 周末烧烤 门缝漏风用胶带贴一下",
     "孩子一口气吃了一大把糖", "我要是不在家，快递放门口", "一脚油门冲出去 差点撞上前车", "天太热了 看到河就想一头扎进去游个泳"],
)
def test_look_alikes_of_the_self_harm_patterns_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent, text


@pytest.mark.parametrize(
    "text",
    ["累死了", "想死你们了", pytest.param(  # (since the twenty-fifth session)
        "老伴走了我很想他", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.67))
    ), pytest.param(  # (since the twenty-sixth session's self-harm model)
        "老伴走了三年了，我每天都想他", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.19))
    ), "笑死，隔壁的猫又跑来了",
     "我家狗送给亲戚养了，租的房子不让养", "天台的门锁坏了，谁都能上去",
     # missing someone or something: 想死 + whom, 想死我了
     "宝贝想死妈妈了", "想死奶奶了", "孩子回家一直念叨想死她了", "想死我了 终于放假了",
     # being away, told by a member to an offer (found by a review of the coordinators' side, thirty-seventh session)
     "我这两天不在家", "我这几天都不在", "我这两天不在本地", "我今天不在家，明天来吧", "我最近不在家"],
)
def test_idioms_grief_and_pets_without_signs_of_self_harm_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


def test_the_self_harm_model_never_removes_a_pattern_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = get_classifier()
    monkeypatch.setattr(classifier, "self_harm_weights", {"": -100.0})  # a model that never says self-harm
    assert "self_harm" in classifier.classify("我真的不想活了，活着没意思").urgent_signals
    monkeypatch.setattr(classifier, "self_harm_weights", {"": 100.0})  # … and one that always does
    result = classifier.classify("厨房里一股煤气味")
    assert result.urgent_signals == ("gas", "self_harm") and result.label == "safety.gas_leak"


def test_the_self_harm_model_reads_chat_messages_not_letters() -> None:
    classifier = get_classifier()
    hint = "我把猫托付给邻居了，以后它就靠你们了"
    assert classifier.self_harm_odds(normalize(hint)) > model.SELF_HARM_THRESHOLD
    letter = normalize("小区门口的路灯坏了好几天，晚上很黑。" * 10 + hint)
    assert len(letter) > model.CHAT_MODEL_MAX_CHARS
    assert classifier.self_harm_odds(letter) == -math.inf


@pytest.mark.parametrize(
    ("pattern", "need"),
    [
        ("在不在", {"在不在"}),  # a run of literals: the whole run
        ("(之前|上次)[^。]{0,4}报", {"之前", "上次"}),  # (报 is common: see `share` below)
        ("(修|办)(好了?|完)(吗|没)", {"修好吗", "修好了吗", "修完吗", "办好吗", "办好了吗", "办完吗"}
         | {"修好没", "修好了没", "修完没", "办好没", "办好了没", "办完没"}),
        ("(?<!不)煤气(罐|管)?漏", {"煤气漏", "煤气罐漏", "煤气管漏"}),  # (zero-width lookbehind, optional part)
        ("[0-9]+楼|电梯", {"楼", "电梯"}),
        ("(来|到)\\1了", {"来", "到"}),  # (a back-reference is not expanded)
        (".{2,}", None),
        ("[^。]+", None),
        ("(?i)gas", None),  # (either case would match)
    ],
)
def test_a_pattern_requires_the_rarest_strings_every_match_holds(pattern: str, need: set[str] | None) -> None:
    def share(string: str) -> float:
        return {"报": 0.3, "来": 0.2, "到": 0.2, "楼": 0.1}.get(string, 0.5 / len(string) ** 2)

    found = required_strings(re.compile(pattern), share)
    assert (set(found) if found is not None else None) == need


def test_the_pattern_index_wakes_every_pattern_that_matches() -> None:
    """The pre-filter is exact: on the examples, the patterns that match are among those it wakes."""
    classifier = get_classifier()
    groups = classifier.patterns.groups
    texts = [normalize(example["text"]) for example in learning.load_examples(EXAMPLES)][::7]
    woken = 0
    for text in texts:
        by_group = classifier.woken_patterns(text)
        woken += sum(map(len, by_group.values()))
        for group, patterns in groups.items():
            matching = {pattern for pattern in patterns if pattern.search(text)}
            assert matching <= by_group.get(group, set()), (text, group)
    # And it is a filter: a message wakes a few of the hundreds of patterns.
    assert sum(map(len, groups.values())) > 500
    assert woken / len(texts) < 5


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("消防车来得真快 十分钟就到了 给他们点赞", "thanks"),  # only hints of a fire (消防车): the kind model decides
        # (praise: thanks by the non-request model)
        ("我儿子说长大要当消防员 从小就崇拜", "other"),
        ("今天社区防火宣传发了个小灭火器 还挺可爱", "other"),
        ("昨天那单说是误报 今天味道又来了 比昨天还浓", "request"),  # hints only, but said of now (又): a danger
        ("楼道里一股煤气味", "request"),  # a keyword of a danger is never talked away
    ],
)
def test_hints_of_a_danger_alone_are_weighed_by_the_kind_model(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_when_the_one_who_said_he_would_come_comes_is_a_status_query() -> None:
    result = classify("我报的那个电线冒火花的事 电工说周末来换线 周末是哪天来啊")
    assert result.kind == "status" and not result.urgent


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("法律援助申请表交了 接下来是等什么", "status"),  # after the papers went in
        ("上次反映小区门口那个大坑 填了没有啊", "status"),
        ("说有老师来家访 到现在还没来", "status"),
        ("系统显示已办结 可是下水道还是堵的", "status"),
    ],
)
def test_after_the_ticket(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_the_cause_of_an_earlier_fire_told_is_no_danger_now() -> None:
    assert not classify("上个月三号楼着火那事 查出来是电动车充电引起的 大家别在楼道充").urgent


def test_fallen_on_the_kitchen_floor_and_unable_to_get_up_is_urgent() -> None:
    assert classify("隔壁张大爷摔在厨房地上起不来 快来人").urgent


def test_the_item_model_does_not_make_a_danger_of_one_told_as_ended() -> None:
    # (Its words read as 电梯 in the lexicon; the item model alone would make it a fire, urgent.)
    assert not classify("昨晚楼下有家厨房着火 消防十分钟就扑灭了 没人受伤 吓死我了").urgent


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("刚才物业发通知，电梯下周二维保，停运两小时，腿脚不好的提前安排", "other"),  # told to everyone
        ("周末文化广场免费量血压测血糖，老人家可以去转转", "other"),
        ("心理健康讲座下午两点开始，讲怎么识别身边人的抑郁情绪，欢迎参加", "other"),
        ("邻居家的狗又叫了一晚上 算了 不跟它计较", "other"),  # venting said at the end
        ("开了一下午业主大会 啥也没定 散了散了", "other"),
        ("你好 我想问一下燃气的事", "greeting"),
        ("三楼张老师一个人住 好几天没见他出门 报纸堆在门口 帮忙派人去看看", "request"),  # 报纸 is no report
        ("从早上停水到现在 通知说中午来水 现在天都黑了还没水", "request"),  # 通知说 is no promise to us
    ],
)
def test_tune71_to_tune76_kinds(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("广告:专业疏通马桶下水道 不通不收费", "other"),
        ("小区超市招收银员两名,有意者到店面谈", "other"),
        ("社区下周有手机课 欢迎老年朋友报名", "other"),
        ("燃气安全小知识：闻到燃气味不要开关电器", "other"),
        ("我申请的家庭医生签约通过没有", "status"),  # an application asked after
        ("师傅啥子时候来嘛 我一直在屋头等", "status"),
        ("窗户修好了谢谢 现在是衣柜门掉了", "request"),  # thanks, then 现在是 a second matter
    ],
)
def test_tune77_to_tune88_kinds(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    "text",
    ["上次申请的法律援助 律师定下来没有", "之前说帮我妈申请补助 后来就没音讯了", "不用派人了 我弟已经赶过去了"],
)
def test_tune89_to_tune93_status_queries(text: str) -> None:
    assert classify(text).kind == "status"


def test_whether_two_things_are_one_is_talk() -> None:
    assert classify("社保和医保是一回事吗 我一直搞不清").kind == "other"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("評了一星 熱水管還是漏 拜託重新派個師傅來看看", "repair.plumbing"),  # the work asked for again
        ("给1星 插座还是没电 等于没修 要求重新弄", "repair.electrical"),
        ("修完电视就剩声音没画面了 比修之前还糟 叫那师傅回来", "repair.appliance"),
        ("扶手装歪了 老人一扶就晃悠 得重新装", "elderly.aging_retrofit"),
        ("孙子烧到38度5，喂了美林两个钟头又烧起来了，还能再喂不？", "health.consult"),  # a fever, no fire
    ],
)
def test_tune99_to_tune104_requests(text: str, label: str) -> None:
    result = classify(text)
    assert (result.kind, result.label) == ("request", label)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("周五停水通知看到了，已经接了两大桶水", "other"),  # a notice seen, nothing wrong after it
        ("师傅多咱来？俺下午三点要出门", "status"),  # 多咱: when, in 山东 and 东北
        ("俺报的路灯坏了 十来天了 晚上黑咕隆咚的 多咱修啊", "status"),
    ],
)
def test_tune99_to_tune104_kinds(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_a_notice_seen_and_something_still_wrong_is_a_request() -> None:
    """The guard of the notice pattern's edge (it passed before the pattern too)."""
    assert classify("停水通知收到了 可是到现在还没来水").kind == "request"


@pytest.mark.parametrize(
    "text",
    [
        "楼下邻居大叔一侧身子动不了了，人还清醒，坐在花坛边上",  # (tune105)
        "外婆打电话说她摔了 后面就没声了 电话还通着 她住我们楼上",  # (tune12)
        "山上下来一头野猪在村里乱拱 把一个老头撞倒了 还在巷子里",  # (tune20)
        "马路上有个两三岁的小孩自己在走，没看到大人，车很多",  # (tune96)
    ],
)
def test_the_danger_model_reads_dangers_no_pattern_lists(text: str) -> None:
    result = classify(text)
    assert (result.urgent, result.urgent_signals, result.kind) == (True, ("danger",), "request")


def test_danger_examples_teach_the_danger_and_self_harm_models_only(tmp_path: Path) -> None:
    """The taxonomy's danger_examples (the blind chat tuning sets) teach the danger model (which learns from every
    file) and the self-harm model, and nothing else."""
    lighting = [
        {"text": t, "label": "property.public_lighting", "kind": "request", "urgent": False}
        for t in ("楼道灯坏了", "路灯不亮了好几天", "楼梯灯一直闪")
    ]
    signs = [
        {"text": t, "label": "health.mental", "kind": "request", "urgent": True, "signal": "self_harm"}
        for t in ("活着没意思 不想再撑了", "把药都攒好了 今晚就走")
    ]
    blind = [
        {"text": t, "label": "health.medical_access", "kind": "request", "urgent": True}
        for t in ("我爸在楼道里倒下了 喊不答应", "奶奶在楼道摔了 一直在哼", "楼道里有人倒下了")
    ] + [{"text": "楼道里有人唱歌 挺好听的", "label": None, "kind": "other", "urgent": False}]
    quiet = {"self_harm_examples": signs, "kind_examples": []}
    without = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, danger_examples=[], **quiet)
    taught = Classifier(load_taxonomy(), cache_dir=tmp_path, examples=lighting, danger_examples=blind, **quiet)
    assert taught.danger_odds("楼道里有人倒下了") > without.danger_odds("楼道里有人倒下了")
    assert taught.self_harm_odds("楼道里有人唱歌") < without.self_harm_odds("楼道里有人唱歌")
    assert taught.vocab == without.vocab
    assert taught.kind_weights == without.kind_weights
    assert taught.item_weights == without.item_weights


def test_a_sign_buried_in_a_long_message_is_read_in_its_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """(tune11: its whole text reads below the threshold, a window of its clauses above, and no pattern matches; a
    tune143 message did until the self-harm model learned the blind tuning sets.) The windows' threshold is the
    classifier's own setting: the self-harm cross-validation turns it off for its patterns-only reading."""
    text = (
        "我们老两口都八十多了做不动饭了，社区食堂能送吗？老头子最近总说别给孩子添麻烦，饭也不好好吃，"
        "昨天他问我人要是不吃饭几天能走，我心里咯噔一下"
    )
    assert classify(text).urgent_signals == ("self_harm",)
    monkeypatch.setattr(get_classifier(), "self_harm_window_threshold", math.inf)
    monkeypatch.setattr(model, "DANGER_THRESHOLD", math.inf)  # (it reads the sign too since the 27th session's 3.0)
    assert not classify(text).urgent


def test_a_danger_the_model_reads_in_a_need_for_counselling_also_gets_the_crisis_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sign the self-harm model misses (here: turned off) that the danger model reads still gets the crisis line.
    (The self-harm model reads every such sign of the tuning sets itself since the twenty-sixth session: 人间不值得
    我先走了, tune21, and 大家都说我矫情，那我消失好了…, tune100, were this test's cases before; 12356 either way.)"""
    text = "又一次进了急诊洗胃，醒过来第一个念头是为什么没成功"  # (tune100)
    assert classify(text).hotlines == ("12356",)
    for setting in ("self_harm_threshold", "self_harm_window_threshold"):
        monkeypatch.setattr(get_classifier(), setting, math.inf)
    result = classify(text)
    assert (result.urgent_signals, result.label, result.hotlines) == (("danger",), "health.mental", ("110", "12356"))


@pytest.mark.parametrize(
    "text",
    [
        "老伴儿刚才还说话呢 现在喘气呼噜呼噜的 一会儿有一会儿没有",  # (tune122)
        "孩子用发卡捅插座被电了一下 哭了一会 现在一直睡 叫不太醒",  # (tune122)
    ],
)
def test_a_danger_the_model_reads_with_no_sign_of_self_harm_goes_to_the_doctor_not_counselling(text: str) -> None:
    """(Until the twenty-fifth session: 心理疏导 by learned words, and the crisis line besides 110.)"""
    result = classify(text)
    assert (result.urgent_signals, result.label, result.hotlines) == (
        ("danger",), "health.medical_access", ("120", "110")
    )


@pytest.mark.parametrize(
    "text",
    # (tune123, tune143; until the twenty-sixth session the model also read a stroke and a fall, tune105, as signs)
    ["流了好多血，不想止住", "我把手割了 血止不住 我一个人在家"],
)
def test_a_medical_emergency_comes_before_signs_only_the_self_harm_model_reads(text: str) -> None:
    result = classify(text)
    assert (result.label, result.urgent_signals, result.hotlines) == (
        "health.medical_access", ("medical", "self_harm"), ("120", "12356")
    )


@pytest.mark.parametrize(("text", "label"), [
    ("修一下电梯", "property.elevator"),
    ("电梯要修一下", "property.elevator"),
    ("🙏🙏🙏 求求你们来修一下电梯", "property.elevator"),
])
def test_work_asked_for_in_so_many_words_is_a_request(text: str, label: str) -> None:
    """(Was talk, or thanks for 🙏: the kind model's odds for short messages with 修一下 outweighed the keyword.)"""
    result = classify(text)
    assert (result.kind, result.label) == ("request", label)


@pytest.mark.parametrize("text", ["什么时候来修一下电梯", "专业疏通下水道 随叫随到 电话138xxxx5678"])
def test_asking_when_or_an_advert_is_no_work_asked_for(text: str) -> None:
    assert classify(text).kind != "request"


def test_a_gas_leak_read_by_the_danger_model_gives_119_first() -> None:
    """厨房有股怪味 is a gas leak the danger model reads (its hotline 110): the item's own line, 119, comes first."""
    result = classify("厨房有股怪味")
    assert result.label == "safety.gas_leak" and result.hotlines[0] == "119"


@pytest.mark.parametrize("words", [
    "谢谢师傅昨天来修一下电梯",  # thanks for yesterday's work
    "电梯已经修好了 谢谢你们来修一下",  # fixed, thanks
    "电梯好了 不用再来修一下了",  # no need to come any more
    "通知：明天上午检查一下电梯 请勿乘坐",  # a forwarded notice
])
def test_thanks_a_call_off_or_a_notice_about_work_is_no_work_asked_for(words: str) -> None:
    """(Found by a review: the rule above first read these as new 电梯 requests.)"""
    assert classify(words).kind != "request", classify(words).label


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("刚才那个单号是多少", "status"),  # (was talk: the bot answered with its introduction)
        ("单号多少", "status"),
        ("工单号忘了", "status"),
        ("单子号码是多少来着", "status"),
        ("电表编号是多少", "other"),  # another number asked is no ticket's
        ("你们电话号码是多少", "other"),
    ],
)
def test_her_tickets_number_asked_or_forgotten_is_a_status_query(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(("words", "named"), [
    ("灯泡换好了", ["repair.electrical"]),
    ("水龙头换好了", ["repair.plumbing"]),
    ("修好了，灯亮了", []),  # (weak evidence: no item named outright)
    ("修好了", []),
])
def test_named_items_are_the_items_words_name_outright(words: str, named: list[str]) -> None:
    """What a member's short words of work done name (the bot offers 办结 only for his ticket's trade)."""
    assert get_classifier().named_items(words) == named
