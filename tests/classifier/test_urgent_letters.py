"""Letters (longer than LETTER_CHARS) that tell a past or feared fire, danger or medical emergency as
background are not urgent; one happening now, gas and self-harm still are; chat messages are unchanged."""

import pytest

from classifier import classify
from classifier.patterns import LETTER_CHARS

OPENING = (
    "尊敬的社区领导您好，我是幸福里小区6号楼的住户，在这里住了十几年，想反映一件事情，麻烦您抽空看一看。"
    "我们这个小区是老旧小区，楼里住的大多是退休老人，子女都在外地工作，平时有什么事都靠邻里互相照应。"
)
CLOSING = "我们希望物业和社区能尽快安排人员处理，给居民一个明确的答复，我的联系电话已经在平台登记，谢谢各位。"


def letter(middle: str) -> str:
    text = OPENING + middle + CLOSING
    assert len(text) > LETTER_CHARS
    return text


def test_a_past_fire_told_as_background_is_not_urgent() -> None:
    result = classify(letter(
        "我家卧室的插座松动好几年了。去年冬天用电暖器的时候，插座冒过火星，还有一股焦糊味，吓得我们拔了插头。"
        "现在家里不敢用大功率电器，想请电工上门检查更换线路和插座。"
    ))
    assert "fire" not in result.urgent_signals
    # and its words are not evidence of a fire hazard: the letter asks for an electrician
    assert result.label == "repair.electrical"
    assert not result.urgent


def test_a_hypothetical_fire_told_as_background_is_not_urgent() -> None:
    result = classify(letter(
        "楼道里的声控灯坏了大半年，晚上老人上下楼只能摸黑。万一哪天发生火灾，楼道黑成这样后果不堪设想。"
        "希望物业把每层楼道的灯修好。"
    ))
    assert "fire" not in result.urgent_signals


def test_a_fear_said_before_the_clause_of_the_fire_is_hypothetical() -> None:
    result = classify(letter(
        "对门邻居在楼道里堆了很多纸箱和旧家具，老人推轮椅都过不去。"
        "我担心万一楼道里发生火灾，这些东西会让火势更大，大家都没法逃生。请社区出面调解。"
    ))
    assert "fire" not in result.urgent_signals  # 火势 is in the clause after the one that says 担心万一


@pytest.mark.parametrize(
    "middle",
    [
        "楼道里天天停着电动车，很多人拉个插线板就在楼道里充电。看到新闻里电动车起火烧死人的事情，真是很怕。",
        "楼道里天天停着电动车，插线板就放在地上。前几天新闻上又报了电动车起火烧死人的事，我们看了心里发毛。",
        "楼道里停满了电动车，安全出口也被纸箱堵着。真要着起火来，我们楼上的人往哪跑？",
    ],
)
def test_a_fire_told_of_the_news_or_supposed_with_zhenyao_is_background(middle: str) -> None:
    """A letter about e-bikes charging in the stairwell tells the news's fires or one it supposes (真要着起火来): the
    hazard is its item, and no fire is happening (the fire signal fired on the news's 起火 before)."""
    result = classify(letter(middle + "请消防部门来检查一下。"))
    assert result.label == "safety.fire"
    assert "fire" not in result.urgent_signals
    assert not result.urgent


def test_a_rotten_egg_smell_from_a_chemical_plant_is_pollution_not_a_gas_leak() -> None:
    """A village's letter about a chemical park's night-time emissions likens the smell to rotten eggs (硫化氢): the
    gas pattern 像烂鸡蛋 read it as a gas leak with 119. Beside a factory or emissions it is the plant's smell; the same
    smell at home, with no plant named, is still gas."""
    plant = classify(letter(
        "我们村东边一公里就是化工园区，这两年新上了几家化工厂。一到晚上十点以后，空气里就有一股很刺鼻的味道，像烂鸡蛋又像农药，"
        "窗户关得再严都能闻到。希望环保部门夜里来突击检查。"
    ))
    assert (plant.category, plant.urgent) == ("environment", False)
    home = classify(letter("今天早上一进厨房，闻到一股臭鸡蛋味，越来越大，我们不敢开灯。"))
    assert (home.label, home.urgent) == ("safety.gas_leak", True)


def test_charging_spaces_asked_for_are_not_a_fire_hazard() -> None:
    result = classify(letter("小区充电桩太少了，希望在车库里规划建设一批合规的充电车位，让大家安全方便地充电。"))
    assert result.label == "property.parking"
    assert not result.urgent


def test_a_fire_now_is_urgent_even_after_an_earlier_one() -> None:
    result = classify(letter(
        "前年这栋楼着过一次火，物业说会整改。现在楼下的车库着火了，黑烟顺着楼梯往上窜，我们下不去。"
    ))
    # Urgent by the item (safety.fire): the taxonomy's 着火 patterns skip any text that says 前年 anywhere,
    # an older whole-text rule this change leaves as it is.
    assert result.urgent
    assert result.label == "safety.fire"


# A letter about fire safety that tells no fire now (172 characters): urgent by 消防隐患's class alone before.
STANDING_FIRE_HAZARD = (
    "尊敬的社区领导：您好！我是幸福小区5号楼的住户，想反映一下我们楼的消防设施问题。楼道里的消防栓箱子很多年没人检查过了，"
    "打开一看里面的水带都发霉了，灭火器也过了有效期，烟感报警器有好几个不亮。物业说没有经费，一直拖着不处理。"
    "我们楼里住的大多是老人，万一出事后果不堪设想。希望社区能督促物业尽快更换过期的灭火器，检修消防栓，定期组织消防检查。谢谢！"
)


def test_a_letter_urgent_by_its_items_class_alone_is_urgent_only_when_it_says_now() -> None:
    """A letter whose item is urgent by its class (消防隐患) but whose words match no signal tells a standing hazard:
    it is the right item and no alarm; the same letter saying 现在 (the hazard is there right now) stays urgent."""
    calm = classify(STANDING_FIRE_HAZARD)
    assert len(STANDING_FIRE_HAZARD) > LETTER_CHARS
    assert (calm.label, calm.urgent, calm.urgent_signals, calm.hotlines) == ("safety.fire", False, (), ())
    now = classify(STANDING_FIRE_HAZARD.replace("我们楼里住的", "现在楼下电动车还堵在安全出口，我们楼里住的"))
    assert (now.label, now.urgent, now.hotlines[:1]) == ("safety.fire", True, ("119",))


@pytest.mark.parametrize(
    "middle",
    [
        # a fire now in the sentence that names an earlier one
        "以前就着过火，楼下又起火了，现在火很大。",
        "上次着火没人管，这回又着火了，现在消防车还没到。",
        "以前着过火，现在楼下又着火了。",
        "小区多次发生火灾，这次五楼着火了，现在人还困在里面。",
        "2019年着过一次火，现在楼下车库起火了。",
        "去年着过一次火，三楼又着火了，现在整栋楼都是烟。",
        "现在楼道里着火了，跟以前那次一样，烟很大。",
        # a hazard now, urgent by its item's class alone (no signal's words)
        "楼顶的广告牌被风吹松了，现在在半空中晃，下面就是人行道。",
    ],
)
def test_a_bare_xianzai_beside_a_danger_in_a_letter_says_now(middle: str) -> None:
    """Beside the danger it tells, a letter's bare 现在 means now. (The forty-ninth session tried reading a bare 现在 as
    how things stand, to calm letters that say 现在周边常住居民已经有数万人: each of these lost its alarm; reverted.)"""
    result = classify(letter(middle))
    assert result.urgent, (result.urgent_signals, result.label)


def test_a_fire_again_asked_about_as_an_earlier_ticket_is_not_urgent() -> None:
    result = classify("上个月又着火了那次 后来怎么样了")
    assert (result.kind, result.urgent) == ("status", False)


def test_a_gas_leak_told_as_past_and_over_is_background() -> None:
    result = classify(letter(
        "说起来还是前年那次邻居家燃气泄漏之后，大家才下决心申请改造。改造完成到现在快一年了，"
        "我们院的暖气一直不热，希望供热公司尽快排查问题。"
    ))
    assert not result.urgent


@pytest.mark.parametrize(
    ("signal", "middle"),
    [
        # a fire now, with worry or a what-if in another clause
        ("fire", "隔壁家里失火了，担心蔓延到我们这一层，老人腿脚不便下不了楼。"),
        ("fire", "楼下着火了，万一烧上来怎么办，楼梯里全是烟。"),
        ("fire", "楼道里起火了，我好害怕，孩子还在屋里睡觉。"),
        # gas and self-harm are never background, past or hypothetical
        ("gas", "去年这栋楼也出过燃气的事。今天楼道里闻到很浓的煤气味，越来越大，敲门没人应。"),
        ("gas", "如果燃气公司再不来人就麻烦了，去年楼道里闻到过很浓的煤气味，一直没查清。"),
        ("self_harm", "去年我被公司裁员，欠了很多网贷。我真的不想活了，已经买好了一瓶安眠药。"),
        ("self_harm", "如果你们还不管，我真的不想活了，去年我就想过这件事。"),
    ],
)
def test_letters_that_stay_urgent(signal: str, middle: str) -> None:
    result = classify(letter(middle))
    assert result.urgent
    assert signal in result.urgent_signals


# Chat messages do not take the letter rule (their own rule: tests/classifier/test_urgent_chat.py).
@pytest.mark.parametrize(
    ("text", "signals"),
    [
        # the fire patterns skip a fire told with 去年; the item the rest asks for (safety.fire) is urgent
        ("去年着过火 今年还没装灭火器", ()),
        ("去年插座冒过火星", ("fire",)),
        ("楼下着火了", ("fire",)),
    ],
)
def test_chat_messages_do_not_take_the_letter_rule(text: str, signals: tuple[str, ...]) -> None:
    result = classify(text)
    assert len(text) <= LETTER_CHARS
    assert result.urgent
    assert result.urgent_signals == signals


@pytest.mark.parametrize(
    "middle",
    [
        # dated as history
        "2019年11月我们单元的电表箱起火，烧坏了好几户的线路，后来换了新的。可是楼道里的电线还是乱拉乱接，没人管。",
        "在20年的下半年因为楼上住户用电不慎，引起过火灾，消防车进不来。楼道里的杂物到现在也没人清理。",
        # told as what keeps happening
        "小区里电动车在楼道充电，起火的事情多次发生，物业贴了通知也没人听。",
        "车库里私拉电线给电动车充电，附近小区发生了3起火灾，物业一直不管。",
        # supposed in its own clause, whatever the sentence says of now
        "现在楼道全堵死了，一但发生火灾，老人根本跑不出去，消防车也进不来。",
        # of the news, told after it
        "最近连着几个小区发生火灾而消防车进不去的报道，看得我们心里发慌，我们小区的消防通道也被车占着。",
    ],
)
def test_a_fire_a_letter_dates_tells_as_recurring_or_supposes_is_background(middle: str) -> None:
    """Real board letters tell fires as the ground of their need: dated (2018年10月弱电井起火), as what keeps happening
    (多次火灾, 起火现象司空见惯), supposed (一但发生火灾, beside a 现在 of something else) or seen in the news after the
    fact (…的报道). Each was an alarm with 119 (the forty-seventh session's 1,008 labelled letters: 7 of their 55 false
    alarms). A fire told as now stays urgent (`test_letters_that_stay_urgent`)."""
    result = classify(letter(middle))
    assert "fire" not in result.urgent_signals and not result.urgent, (result.urgent_signals, result.label)
