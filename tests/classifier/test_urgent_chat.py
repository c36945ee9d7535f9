"""Chat messages that tell a gas leak, fire, danger or medical emergency as earlier (a status query or thanks
about an earlier ticket), as supposed (万一…怎么办) or as seen elsewhere (新闻上说…, 演练) and say nothing of
now are not urgent; anything said of now, a new danger in another clause, a request for help, and signs of
self-harm keep them urgent."""

import pytest

from classifier import classify, get_classifier
from classifier.normalize import normalize
from tests.classifier import KNOWN_DANGER_READING, KNOWN_SIGN_READING


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("昨天报的煤气味那单，师傅几点到？", "status"),
        ("琴日报嗰个煤气味，师傅几时嚟呀", "status"),
        ("我上次反映的煤气味的事 后来燃气公司来查过了吗", "status"),
        ("我前天报的消防通道被占 现在什么进度", "status"),  # 现在 asks after the ticket, not the danger
        ("昨晚煤气泄漏的事谢谢你们来得快", "thanks"),
        ("昨天煤气的事多亏你们，师傅来得特别快，换了个阀门就好了", "thanks"),
        ("上次我家插座冒烟你们来得好快，一直没来得及说声谢谢", "thanks"),
        ("感谢社区和消防，楼道那堆杂物着火幸亏发现得早", "thanks"),
        ("万一家里漏气了应该怎么办", "other"),
        ("万一着火了怎么办", "other"),
        ("万一 着火了 怎么办", "other"),  # the what-if between spaces, the question after the danger
        ("要是半夜楼里着火了，我们家在顶楼该往哪跑？", "other"),
        ("新闻上说隔壁区有栋楼着火了，太吓人了", "other"),
        ("新闻上说 隔壁区有栋楼着火了", "other"),  # not at home
        ("温馨提示 楼道里不要堆杂物 以免着火", "other"),  # a notice frames all it says
        ("昨晚看了个电视剧，里面大楼着火那段看得我心惊肉跳", "other"),
        ("上个月那次天然气泄漏演练挺有用的", "other"),
        # a question about a ticket (现在是谁…), that ticket named as 那个事, the hazard removed
        ("电动车在楼道充电那个工单现在是谁在跟？", "status"),
        ("上礼拜煤气泄漏那个事，后面的复查安排了没有", "status"),
        ("上个月我们楼那次燃气泄漏 后来查出来是啥原因啊", "status"),  # what an earlier danger turned out to be
        ("谢谢你们，车棚那个火灾隐患已经清理掉了", "thanks"),
        ("谢谢社区处理了楼道里电瓶车充电的问题", "thanks"),
        ("下午物业测试烟感报警器 响了好几声", "other"),
        # a question about rules and habits
        ("电瓶车为啥不能在楼道里充电？", "other"),
        ("家里的燃气报警器一般多久换一次", "other"),
    ],
)
def test_a_danger_told_as_earlier_supposed_or_seen_elsewhere_is_not_urgent(text: str, kind: str) -> None:
    result = classify(text)
    assert (result.kind, result.label, result.urgent) == (kind, None, False)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # something said of now
        ("昨天报的煤气味，现在屋里还有味，师傅什么时候到", "gas"),
        ("谢谢你们昨天来修燃气灶，今天厨房又有煤气味了", "gas"),
        ("之前报过的管道漏气，今天井盖又在往外冒味道", "gas"),
        ("楼道着火了，快来人，谢谢", "fire"),
        # timed but not reported: a danger now (a status query's danger must be named as reported)
        ("早上起来闻到一股煤气味，跟你们说一下，什么时候能来人看看", "gas"),
        ("上午就闻到煤气味了，报了还没人来", "gas"),
        # a new danger in a clause of its own
        ("上次电梯的事谢谢你们，另外楼道里有煤气味", "gas"),
        # the danger told first, the what-if after it
        ("闻到煤气味，万一爆炸怎么办", "gas"),
        ("楼下着火了，万一烧上来怎么办", "fire"),
        # the what-if or a question in words of their own before it (a space between: a chat clause)
        ("如果是漏气怎么办 厨房一股煤气味", "gas"),
        ("哪里能买灭火器 厨房着火了", "fire"),
        # placed at home in words of its own: the other words (news, thanks, a ticket) are about other things
        ("群里说要停水 我家厨房着火了", "fire"),
        ("刷到个视频 我家厨房着火了", "fire"),
        ("谢谢上次修水管 厨房一股煤气味", "gas"),
        ("上次报的水管单子还没人来 厨房一股煤气味", "gas"),
        ("做梦都没想到 我家着火了", "fire"),  # never imagined, not dreamt
        ("上次报的单子还没人来 楼道里全是烟", "fire"),  # the stairwell, downstairs, my mother: here
        ("我报的井盖修了没 楼下着火了 烟往上冒", "fire"),
        ("谢谢上次帮忙 我妈闻到煤气味", "gas"),
        # not a retelling: a television is on, the smell is real
        ("看电视的时候闻到一股煤气味", "gas"),
        # asking for help
        ("小区能不能搞一次消防演练 教老人着火了怎么逃生", "fire"),
        # a question, then a danger: 怎么用 is no question about habits
        ("灭火器怎么用 油锅着火了", "fire"),
        ("煤气味一般多久能散掉", "gas"),
        ("我们楼的电动车为什么都在楼道充电", "fire"),
        # self-harm always counts
        ("昨天报的事谢谢你们，我真的不想活了", "self_harm"),
        ("万一我哪天不想活了怎么办", "self_harm"),
    ],
)
def test_what_is_said_of_now_stays_urgent(text: str, signal: str) -> None:
    result = classify(text)
    assert result.kind == "request"
    assert result.urgent
    assert signal in result.urgent_signals


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # told by their signs or by what is happening, not by their names
        ("我爸突然嘴歪了 说话也不清楚", "medical"),  # a stroke
        ("奶奶刚刚还好好的 现在左边身子动不了", "medical"),
        ("有人正在撬我家的门 我一个人在家", "person"),  # a break-in now
        ("停车场车里锁着个小孩 车窗都关着", "hazard"),
        ("河水已经淹到膝盖了 老人还在屋里", "hazard"),
        ("gas leaking in the stairwell 5栋", "gas"),  # in English
        ("my neighbour's kitchen is on fire", "fire"),
        # self-harm told by its means and preparations
        ("买了炭 门窗都用胶带封好了", "self_harm"),
        ("老鼠药吃多少能走", "self_harm"),
        ("安眠药去哪买 不要处方的", "self_harm"),
        ("二十楼跳下去够不够高", "self_harm"),
        ("老伴先走了我就跟着他", "self_harm"),
        ("身体不行了 不想拖累孩子 想早点走", "self_harm"),
        ("就想睡过去 睡很久很久 不醒那种", "self_harm"),
        ("以后不用管我了，我的事我自己了结", "self_harm"),  # a farewell, not a request called off
        ("实在熬不住了 准备今晚就走", "self_harm"),  # can't hold on, with an ending
        ("他求我把氧气拔了 我一个人熬不住了", "self_harm"),
        ("孩子高烧抽了 翻白眼 120占线", "medical"),  # a fit
        ("阿嫲跌咗喺厕所 头流緊血 叫佢都唔应", "medical"),
        ("娃娃把洗衣凝珠咬破了 现在一直吐", "medical"),
        ("门关上了钥匙在里面 2岁的娃一个人在屋里 灶上还烧着水", "danger"),
        ("不用了 我都安排好了 谢谢你们这些年照顾", "self_harm"),
        ("不想再醒了", "self_harm"),  # short signs (tune21)
        ("奶奶在那边等我", "self_harm"),
        ("手机要关机了 别找我", "self_harm"),
        ("今晚就走", "self_harm"),
        ("我的东西都送人了", "self_harm"),
    ],
)
def test_dangers_told_by_signs_and_means_are_urgent(text: str, signal: str) -> None:
    result = classify(text)
    assert result.urgent and signal in result.urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "我爸中风以后半边身子动不了 想申请轮椅",  # a stroke years ago
        "草都长到膝盖了 该修剪了",
        "买了点炭 周末去烧烤",
        "老鼠药放在哪里比较好 家里老鼠太多",
        "安眠药和降压药能一起吃吗",
        "晚上怕有人爬进来 门锁想换个好点的",  # feared, not happening
        "出远门一个月 猫能寄养吗",
        "楼上不跳了 终于能睡个好觉",  # the neighbours upstairs
        pytest.param(  # leaving work early (since the twenty-sixth session's self-harm model)
            "今天加班太累 想早点走", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.19))
        ),
        pytest.param(  # laughing (since the twenty-seventh session's self-harm model)
            "😂😂笑不活了", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.02))
        ),
        "I got fired today 想找份新工作",
        "不用了，已经自己弄好了",  # a request called off because sorted: nothing new for the self-harm model
        "那个单我想撤了 已经自己修好了",
        "好久不见，想死你了！（发错了，本来发给我闺蜜的）",  # sent to the wrong chat
        "俺娘住院了夜里得有人看着，俺白天上班实在熬不住了，有陪护没",  # a carer's exhaustion, asking for a carer
    ],
)
def test_their_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "signal", "label"),
    [
        ("有个男的一直跟着我 我现在躲在超市里不敢出去", "person", "safety.public_order"),
        ("孩子刚才还在楼下玩 一转身人不见了", "person", "safety.public_order"),
        ("我老公喝多了在打我 我躲在卫生间", "violence_at_home", "dispute.family"),
        ("狗在咬小孩 快来人", "person", "safety.public_order"),
        ("他们打起来了 有人拿了刀", "person", "safety.public_order"),
        ("有个男的跟了我三条街了 我现在躲在便利店里不敢出去", "person", "safety.public_order"),
        ("门外有人踹门 我一个人在家", "person", "safety.public_order"),
        ("小孩趴在窗台上 窗户开着 没有护栏", "hazard", "safety.hazard"),
        ("有人掉河里了 快来人", "hazard", "safety.hazard"),
        ("老人吃东西噎住了 说不出话", "medical", "health.medical_access"),
        ("孩子喝了消毒水", "medical", "health.medical_access"),
        ("血止不住 一直在流血", "medical", "health.medical_access"),
        # another need clearly told keeps its item; the hotline stays
        ("电梯困人了 里面的老人喘不上气", "medical", "property.elevator"),
    ],
)
def test_dangers_to_a_person_going_on_now_are_urgent(text: str, signal: str, label: str) -> None:
    """Each danger gets its hotline and, unless the message clearly names another need, the item of its
    kind (a person in danger from others: public order, not the 心理疏导 the words of fear read as)."""
    result = classify(text)
    assert result.urgent and signal in result.urgent_signals
    assert result.label == label


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("细人仔发烧三日咯，食了退烧药又烧起来，使唔使去医院？", False),  # a fever back, not a fire
        ("村口个路烂撇咯，坑坑洼洼，落水天摩托都骑唔过。", False),  # 落水: rain in the south
        ("一落水雨就打入来，窗门关唔紧", False),
        ("昨天扑灭的那堆柴火今天又烧起来了", True),
        ("有个小孩落水了 就在河边", True),
    ],
)
def test_a_fever_or_the_rain_told_in_fire_and_water_words_is_no_danger(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("小说里主角割腕那段写得好压抑", False),  # a story, the news, a film: no one of the writer's own
        ("新闻说又有学生跳楼了 现在孩子压力太大了", False),
        ("剧里那段跳楼戏好吓人", False),
        ("看了新闻 我也想跳楼", True),  # the writer's own
        ("刚看完那个电影 女主跳海了 我也不想活了", True),
        ("同事朋友圈发告别的话 联系不上", True),  # a friend's post is no story
    ],
)
def test_signs_of_self_harm_told_of_a_story_or_the_news_are_not_urgent(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("灭火器过期了还能用吗", False),  # a question about the thing the fire pattern names
        ("小区的消防栓能随便用吗 想接点水洗车", False),
        ("灭火器过期了会不会爆炸 哈哈随便问问", False),
        ("烟感报警器响了 是不是着火了", True),  # an alarm sounding, something burning: not a question about a thing
        ("电线冒火花了 要不要紧", True),
        ("楼道里有人给电动车充电 能不能管管", True),  # asks for it to be dealt with
        ("灭火器过期了 能不能来给换一下", True),
        ("燃气报警器响了 是不是坏了", True),  # gas: never read as a question about a thing
    ],
)
def test_a_question_about_fire_equipment_or_a_rule_is_no_fire(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("后山的火越烧越大了 离村子不远", "fire"),
        ("厨房着了 快来", "fire"),
        ("车库着了 好大的烟", "fire"),
        ("心口疼 刚才一下子倒下去了", "medical"),
        ("菜市场顶棚被雪压得往下凹 底下好多人", "hazard"),
        ("I'm on the roof", "self_harm"),
        ("吃了一整板安眠药 现在有点晕", "self_harm"),
        ("手上划了好几刀 不疼 心更疼", "self_harm"),
        ("割了手碗 停不下来", "self_harm"),  # 手碗: a homophone of 手腕
    ],
)
def test_dangers_that_only_learned_words_caught_have_patterns_of_their_own(text: str, signal: str) -> None:
    """Caught before by weak learned words of a danger item, which no longer make a request on their own."""
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "上次有人跟踪我 后来报警了",  # past
        "孩子找到了 谢谢大家",  # found
        "狗咬人怎么办",  # a question
        "吃鱼容易卡喉咙吗",
        "被狗咬了 要打狂犬疫苗吗",  # a vaccine, not an attack going on
        "老师说再迟到就弄死我们 开玩笑的啦",  # a joke
        "孩子的书包丢了",  # a thing lost, not a child
        "我家猫不见了",
        "电梯坏了 爬楼爬得我晕了",  # not trapped
        "钥匙锁在家里了 手机也快没电了",  # locked out, not in
        "小区门口有人拿着棍子在打枣 挺好玩的",
        pytest.param(
            "孩子在池塘边钓鱼 没大人看着 我们想要个围栏",  # a worry, asking for a fence
            marks=pytest.mark.xfail(
                strict=True,
                reason="the item model, learned with the chat tuning sets, reads safety.hazard (an urgent item)",
            ),
        ),
        "有人翻墙进学校打篮球 保安也不管",
        "孩子跟一个不认识的阿姨走了一段路 后来自己回来了",  # back again
        "我爸有阿尔茨海默 去年走丢过一次 现在想办个防走失卡",
        "昨天有辆三轮翻了 人没事",
        "那个人一直跟着我们旅行团 是导游",
        "物业的人一直在门口 说要查水表 我一个人在家不敢开门 这正常吗",
        "我有哮喘 一到冬天就喘不上来气 想找家庭医生看看",  # a chronic illness, not breath short now
        "爬六楼爬得我喘不过来气 能不能装电梯",
        "上礼拜老伴在菜场晕倒 幸亏有好心人 现在好了",  # settled
        # words of short signs of self-harm, in ordinary messages (something follows them)
        "今天是报名最后一天",
        "别找我了 我自己去办",
        pytest.param(
            "今晚就走 明天到家",
            marks=pytest.mark.xfail(
                strict=True,
                reason=KNOWN_SIGN_READING.format(1.39),
            ),
        ),
        pytest.param(
            "东西都送人了 搬家轻松多了",
            marks=pytest.mark.xfail(
                strict=True,
                reason=KNOWN_SIGN_READING.format(1.02) + " (东西都送人了; the move is no match for it)",
            ),
        ),
        pytest.param(  # (since the twenty-fifth session)
            "安排好了 今晚聚餐", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(1.14))
        ),
        "划手机划到手酸",
        "没有以后了 这家店关门了",
        "写好信了 明天寄给老同学",
        pytest.param(  # (since the twenty-sixth session's self-harm model)
            "不想治了 这个牙太贵了", marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.16))
        ),
        pytest.param(  # (a known reading of the danger model in the twenty-fifth session, again since the twenty-seventh's)
            "火车快来了 我们上车吧", marks=pytest.mark.xfail(strict=True, reason=KNOWN_DANGER_READING.format(3.91))
        ),
    ],
)
def test_their_look_alikes_stay_calm(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "我妈说灶台那边这几天老是呲呲的响 我过去听了是有声音 味道也有点",  # a hiss told further on
        "燃气管子的管卡被人拆了 管子吊着晃 接头那块儿现在能听见嘶嘶的声音",
        "点不着火 一直拧一直拧 现在屋里味道很大",  # the stove will not light, and the gas escapes
        "房东昨天修了热水器 弄完就一直有味道 今天孩子说头晕",  # a smell, then dizziness
        "楼道里的味道有点怪 像是有人家在漏气",
        "楼顶那根燃气管锈得厉害 靠近能闻到一股很明显的气味",
    ],
)
def test_gas_told_without_its_name_is_found(text: str) -> None:
    """Gas told by its hiss, its smell or what it does, far from the word that names the pipe or the stove
    (from holdout7's long messages, read for their misses in the fifteenth session: not blind for it)."""
    assert "gas" in classify(text).urgent_signals


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("屋下个灶头打唔着火 打了好多次 冇闻到气味", "repair.gas_appliance"),  # no smell: 冇 denies it
        ("燃气灶左边那个眼打勿着火 咔咔响 没闻到啥味道", "repair.gas_appliance"),  # 勿: Wu for 不
        ("小区边上那个厂晚上冒黑烟 窗户都不敢开", "environment.pollution"),  # a factory's smoke
        ("去年屋里漏过一趟煤气 后来换了新管子 现在放心多了", None),  # lived through, settled
        ("隔壁老李讲他屋里以前燃气泄漏过 后来装了报警器", None),
        ("老家以前着过一回火 后来全村都装了灭火器", None),
        ("谢谢社区啊 昨天那个冒烟的事 消防来得快 现在都没事了 虚惊一场", None),
        ("刚才楼下消防车呜呜地过克了，是去隔壁小区的，我们这点莫得事", None),  # sirens passing: all well here
        ("刚才消防车开过去 不晓得哪里着火 我们这边没事", None),
        # the blind tune29/tune30 weeks: almost taken for a fire, a fire's cause told, a smell denied at length
        ("刚刚炒辣椒呛得全家咳嗽 差点以为着火了 哈哈", None),
        ("上礼拜隔壁小区着火那个事 听说是电动车在家里充电引起的 大家可长点心吧", None),
        ("壁挂炉打不着火 燃气阀门也开着 家里没有闻到任何燃气的味道", "repair.gas_appliance"),
        ("燃气灶打不着火，没有闻到煤气味，能上门修吗", "repair.gas_appliance"),  # 没有闻到, not only 没闻到
        # tune32: a heating pipe (暖气管) is no gas pipe; hearsay after the fire it tells of, elsewhere
        ("俺们这老楼楼道里的暖气管子漏了，哗哗淌水，整个单元都不热", "property.utilities"),
        ("隔壁小区前天着火了，听说没伤着人，万幸", None),
    ],
)
def test_dangers_denied_past_or_elsewhere_in_dialect_stay_calm(text: str, label: str | None) -> None:
    """The blind tune25/tune26 weeks: a stove that will not light (打勿着火, 冇闻到), a factory's black smoke, a
    leak lived through and settled (漏过一趟 … 现在放心多了), thanks after a scare (现在都没事了)."""
    result = classify(text)
    assert not result.urgent
    assert result.label == label


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("孩子被开水烫了 整条胳膊都起泡 哭得背过气去了", True),  # a scald over a whole arm
        ("我老婆在家喷完杀虫剂说头晕 现在吐了", True),  # poison breathed, then its symptoms
        ("被开水烫了起水泡 已经冲过凉水了 要不要挑破", False),  # a small blister, asked about
        ("老鼠药投了以后 这几天楼道里没见着老鼠了", False),
    ],
)
def test_scalds_and_poisoning_told_by_their_signs(text: str, urgent: bool) -> None:
    """tune20's dangers that only the gas item's learned words had caught before the chat tuning sets were
    learned (the fifteenth session)."""
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        # a sign buried in a longer chat message, found in a window of its clauses (the blind tune11 set)
        ("糖尿病十几年了，胰岛素一个月好几百，社区能不能帮我做随访？我现在针都是一次打好多，想着打多了睡过去也就算了", True),
        ("我们老两口都八十多了做不动饭了，社区食堂能送吗？老头子最近总说别给孩子添麻烦，饭也不好好吃，昨天他问我人要是不吃饭几天能走", True),
        # a long ordinary ramble stays calm
        ("嗯 我跟你说 今天我闺女从深圳回来了 带了好多东西 我们一家人吃了顿饺子 我高兴得不得了 晚上还一起看电视", False),
    ],
)
def test_signs_buried_in_a_longer_message_are_found_in_its_clauses(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # a fire told as over, its aftermath asked about (the blind tune35 set)
        ("上回着火把我家门口的灯烧坏了 一直没人来换", "property.public_lighting"),
        ("火灾以后屋里电线都得换 有没有电工能上门", "repair.electrical"),
        ("上回楼里着火以后 我家外墙熏黑了一大片 物业说不归他们管", "dispute.property_dispute"),
    ],
)
def test_a_fire_told_as_over_is_no_fire_now(text: str, label: str) -> None:
    result = classify(text)
    assert not result.urgent
    assert result.label == label


@pytest.mark.parametrize(
    "text",
    [
        "上次着火的那个楼道 现在又有人在充电",  # something of now
        "上个月开始就有人在楼道给电动车充电 天天充",  # a standing hazard, not an event that is over
        "垃圾房老有人扔烟头 上回差点烧起来 能不能想想办法",  # a near miss: what nearly caught is still there
        "刚才楼下着火了 烟好大",
    ],
)
def test_a_fire_of_now_or_a_standing_hazard_stays_urgent(text: str) -> None:
    assert "fire" in classify(text).urgent_signals


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("楼上 煤qi味好重 快来人", "gas"),  # half in pinyin
        ("老妈用燃气热水器洗澡 洗着洗着晕过去了", "gas"),  # carbon monoxide
        ("对门陈阿婆倒在屋里 隔着门听见她哼哼", "medical"),
        ("楼上老太倒在房里 门反锁了进不去", "medical"),
        ("我真没用 连死都没勇气", "self_harm"),
                ("路边那根电缆被压扁了 铜线都露在外面", "hazard"),
        ("后事我都安排好了 房子留给小孙子", "self_harm"),
    ],
)
def test_dangers_in_the_blind_tune35_and_tune36_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "楼上着火那家 火早就灭了 人也都好 大家别担心",  # put out long ago
        "烤肉把烟雾报警器弄响了 吓一跳 没事没事",  # the resident reassures
    ],
)
def test_a_fire_put_out_or_a_scare_waved_off_is_no_fire(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        # a funeral arranged for someone who died (a known reading from the twenty-fifth session until the 26th's)
        "我爸上个月走了 后事我都安排好了 谢谢社区帮忙",
        "周末带着孩子一起走走 公园的步道修好了",  # a walk
        "过年想带着娃一起走亲戚 社区有没有包车",
    ],
)
def test_the_new_signs_look_alikes_stay_calm(text: str) -> None:
    assert "self_harm" not in classify(text).urgent_signals


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("烧开水忘关火就出门了 人在外面一下子赶不回去 锅估计已经烧干了 家里还有猫", "fire"),  # nobody home now
        ("楼下独居的陈爹爹 我敲门听到他在里面哼 叫他又不应 门从里面反锁了", "medical"),  # behind a door
    ],
)
def test_dangers_in_the_blind_tune39_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "上次忘关火就出门了 幸好邻居帮忙关了",  # over
        "我妈老是忘关火就出门 想给她装个自动熄火的灶",  # a habit: a request for equipment
        "刚才忘关火就出门了 现在赶回去了 应该没事",  # back home
        "我家小子在屋里打游戏 叫他又不应",  # ignoring his mother
        "我家老头子耳朵背 叫他又不应 得走到跟前喊",  # deaf
    ],
)
def test_their_look_alikes_stay_calm_too(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("楼下烧烤摊打起来了 拿酒瓶子砸 有人流血了", "person"),  # a fight with blood, now
        ("小人反锁在屋里了 才三岁 燃气灶上还炖着汤 我在门口进弗去", "danger"),  # 小人: a child, in Wu
        ("細路食咗花生 而家好似透唔到氣", "medical"),  # choking, in Cantonese (it was urgent only by learned pairs)
        ("阮阿爸头拄讲话讲唔清楚，半边身动唔得，阮个人扛伊唔起，紧来人帮手", "medical"),  # a stroke, in Minnan (tune45)
        ("隔壁阿伯三日无开门，头拄敲门听着里面有人哼，叫伊都无应，紧来人！！", "medical"),
    ],
)
def test_dangers_in_the_blind_tune40_to_tune45_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "上礼拜楼下着了个小火 消防来得快 一会就灭了 现在想起来还后怕",  # over, and timed
        "刚看了个电视剧 里面有人煤气中毒 吓得我起来检查了三遍阀门 都好好的",  # a drama; checking done
        "楼下烧烤摊天天晚上有人喝多了打架 酒瓶子乱飞",  # public order, not a danger now
        "这老板嘴跟漏了气的煤气罐似的 叨叨叨一下午没停",  # a simile (tune42, tune43)
        "我家那口子脾气跟煤气罐似的 一点就着 哈哈",
        "上个月楼下着火那回 真把我吓坏了 幸亏消防来得快 一个人都没伤着",  # a fire remembered
        # a gas leak or a fire told by how it ended, nothing of now (tune44–tune46)
        "上礼拜楼下饭店着火 消防车来得真快 五分钟就到了 没人受伤",
        "前天夜里隔壁单元着火了 消防来得快 十几分钟就灭了 没伤着人 现在想想还后怕",
        "燃气公司的人来看过了 是阀门没关严 现在一点味都没有了 虚惊一场",
    ],
)
def test_tune40_to_tune43_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


def test_a_simile_keeps_what_it_tells_of_the_need() -> None:
    """Only a simile's words of danger are set aside; one that tells the need still counts (楼道黑得像山洞), and
    a gas smell told as a likeness is still a gas smell."""
    assert classify("地下车库通道的灯全灭了 开车进去跟钻山洞似的").label == "property.public_lighting"
    assert classify("厨房里闻着跟煤气味一样 臭臭的").urgent


@pytest.mark.parametrize(
    "text",
    [
        "楼下饭店着火了 没人受伤 但是烟还在往我们楼里灌",  # how it ended so far, and still going on
        "厨房着火了 幸好人都跑出来了 快来",  # luck now is not an ending
        "刚才闻到煤气味 后怕 现在还有味",
    ],
)
def test_an_ending_told_beside_a_danger_now_keeps_it_urgent(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("路口两伙人拎刀打交 地上好多血 快啲报警", "person"),  # a fight with knives and blood, in Cantonese (tune49)
        ("厨房里一股媒气味 越来越浓", "gas"),  # 媒气: a homophone typo of 煤气
        ("小区门口井盖没了 一个阿姨掉下去了 在下面喊 我们拉不上来", "danger"),  # fallen in, still down there (tune50)
        ("不是开玩笑 我真的不想活了 药都准备好了", "self_harm"),  # a joke denied
        ("被他们逼得不想活了 天天上门要债", "self_harm"),  # driven to it: no hyperbole of the weather
        ("活着真没意思 不想活了 哈哈", "self_harm"),  # laughter alone does not take it back (it hid a real sign)
    ],
)
def test_dangers_in_the_blind_tune48_to_tune51_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "天天加班 不想活了 开玩笑的 周末照样去爬山",  # said to be a joke
        "这天热得人都不想活了 空调一开电费又吓人",  # the heat
        "前天半夜对面楼着火了 消防车来了两辆 还好冇人受伤",  # how it ended, in Wuhan speech (冇)
        "昨儿个小区垃圾桶着了 几个小伙子拿雪给扑灭了",  # put out, told as over
        "看新闻 外地一个小区电动车起火了 太吓人了",  # the news
        "那个跳楼的新闻你们看到没 才二十岁 可惜了",  # the news named right after the sign
    ],
)
def test_tune48_to_tune51_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


def test_holding_on_to_stand_up_is_no_fire_signal() -> None:
    """扶着起来 (holding on to get up) is not 着起来 (catching fire). (The lexicon's term 着起来 still counts as
    evidence of the fire item: with little other evidence such a message is still read as one.)"""
    assert "fire" not in classify("谢谢志愿者给我爸装的扶手 他现在能扶着起来了").urgent_signals
    assert "fire" in classify("楼下垃圾堆着起来了 火苗老高").urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "昨晚报的燃气味那单 师傅看过了说没事 单子可以关了吗",  # closing an earlier ticket
        "低保申請遞咗三個禮拜，有冇消息",  # 有冇消息: the question first
        "入学材料交齐了 大概多久有结果",  # papers handed in
        "上周问的居家养老补贴 有人联系我吗",
        "家庭医生签约的事有回信没",
        "残疾证换证的事 材料都交了 多久能下来",  # (tune54)
        "上回楼道积水那个事 物业给个说法没有",
        "适老化改造说要上门评估 啥时候来评估",
    ],
)
def test_status_queries_of_the_blind_tune48_to_tune51(text: str) -> None:
    assert classify(text).kind == "status"


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("救火啊 快来人", "fire"),  # a cry for help
        ("厝边火烧厝啊 烟足大", "fire"),  # a house on fire, in Minnan
        ("帽烟了 三楼那边", "fire"),  # 帽烟: a homophone typo of 冒烟
        ("安眠药都攒齐了 就等周末", "self_harm"),
        ("人在江边大桥上 站了一个小时了 不知道该找谁", "self_harm"),
        ("存折密码都写在纸上了 放在抽屉里 你们帮我照看下老太婆", "self_harm"),  # where the passwords are: a farewell
        ("好几天没吃东西了 吃了又有什么用", "self_harm"),
        ("同事刚发我一段遗言 说是定时发的 联系不上她", "self_harm"),
        ("从我家十二楼跳下去要几秒", "self_harm"),
        ("天台上吹风 想着跳下去就不用上班了 开个玩笑吧可能", "self_harm"),  # a hedged joke is no joke
        ("他们都以为我在开玩笑 其实我真的不想活了", "self_harm"),  # taken for a joke is no joke
        ("老伴去年走的 我想去河里找我老伴", "self_harm"),
        ("燃气灶关了以后还是有一点点气味 是不是漏了", "gas"),
        ("走廊里全是浓烟 呛得喘不过气 我们下不去", "fire"),  # a place filled with smoke
        ("楼下烧烤店的排烟管在往外冒火光", "fire"),
        ("小区门口那棵树被电线打着了 树冠正在烧", "fire"),
        ("我爸在楼下下棋突然从椅子上歪倒了 问他话也答不上来", "medical"),
        ("冷库的门坏了 我被关在里面了 零下十几度", "danger"),
        ("小孩头卡在铁栅栏里出不来 一直哭", "danger"),
        ("污水井里有人 下去清理就没上来", "danger"),
        ("老棚子被雪压塌了一角 好多人还在里面", "danger"),
        ("一群马蜂飞进院子 两个孩子被蛰了", "danger"),
        ("下班路上有个人一直在我后面慢慢跟 我走快他也快", "person"),  # followed
        ("后面有脚步声 我停他也停 好怕", "person"),
    ],
)
def test_dangers_in_the_blind_tune52_to_tune54_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "门禁的电子屏没反应了 进不去单元门",  # a device, not a person
        "上礼拜厨房锅烧着了 我赶紧盖上锅盖 总算没事 现在想想还后怕",  # the writer's own haste, told of the past
        "前天闻到煤气味 燃气公司来人换了接头 现在一点味都没有了",  # settled
        "劳烦晒 上次煤气喉嘅事搞掂咗",  # thanks, in Cantonese
        "我舅舅当年跳河走的 那时候我还小 现在想做点心理志愿服务 怎么报名",  # a death long past
        "看了个纪录片 讲大桥上的志愿者劝下了好多想轻生的人 很感动",  # a documentary
        "煤气一罐都一百三了 前几年才七十",  # its price
    ],
)
def test_tune52_to_tune54_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("大风把路边电线刮断了 掉在地上还在冒火花 孩子们快放学了", "safety.hazard"),  # exposed wires outside
        ("电线杆被货车撞歪了 线耷拉到人行道上 还在打火花", "safety.hazard"),
        ("厨房插座一插电就冒火花 还有焦味", "safety.fire"),  # sparks at a socket, something burning: fire
    ],
)
def test_a_wire_down_outside_sparking_is_a_hazard_not_a_fire(text: str, label: str) -> None:
    """taxonomy.md: exposed wires outside are safety.hazard (安全员); sparks from a socket are a fire risk."""
    result = classify(text)
    assert result.urgent and result.label == label


@pytest.mark.parametrize(
    ("text", "label", "urgent"),
    [
        ("卧室插座插头一插就冒火星 吓得我不敢用了 找个电工换一个", "repair.electrical", False),  # no longer used
        ("插座刚才冒了下火花 我把总闸拉了 现在没电了", "repair.electrical", False),
        ("插座冒火花 我把总闸拉了 还是有股焦糊味", "safety.fire", True),  # something burning: still a fire
    ],
)
def test_a_socket_that_sparked_and_is_no_longer_used_is_a_repair(text: str, label: str, urgent: bool) -> None:
    """Our data's convention (25 lines to 13): a socket that sparked, now unused and nothing burning, is an electrician's
    job; with smoke or a burning smell it is a fire."""
    result = classify(text)
    assert (result.label, result.urgent) == (label, urgent)


@pytest.mark.parametrize(
    ("text", "label", "urgent"),
    [
        ("村口那个塑料厂天天晚上冒黑烟 一股烧塑料的味 窗户都不敢开", "environment.pollution", False),  # a habit: pollution
        ("对岸那个化工厂半夜偷偷排黑烟 一股焦糊味", "environment.pollution", False),  # let out
        ("村口那个塑料厂冒黑烟了 起火了 火苗窜得老高", "safety.fire", True),  # a fire now
    ],
)
def test_a_factory_burning_as_a_habit_is_pollution(text: str, label: str, urgent: bool) -> None:
    """taxonomy.md: black smoke from factories is environment.pollution; a fire there now is still a fire."""
    result = classify(text)
    assert (result.label, result.urgent) == (label, urgent)


@pytest.mark.parametrize(
    ("text", "label", "urgent"),
    [
        ("燃气阀门太紧了拧不动 想换个新的 没有漏气", "repair.gas_appliance", False),  # no smell of gas, said
        ("燃气软管用了好些年了 没闻到味 想请人来换一根", "repair.gas_appliance", False),
        ("厨房有股没气味 好浓 不敢开灯", "safety.gas_leak", True),  # 没气: a homophone of 煤气, not "no gas"
    ],
)
def test_no_smell_of_gas_said_is_the_appliance(text: str, label: str, urgent: bool) -> None:
    """taxonomy.md: a stove or heater not working, no smell of gas, is repair.gas_appliance."""
    result = classify(text)
    assert (result.label, result.urgent) == (label, urgent)


@pytest.mark.parametrize(
    ("text", "label", "urgent"),
    [
        ("上个月家里失火 东西全烧没了 现在借住在亲戚家 能申请临时救助吗", "employment.assistance", False),
        ("家里着火了 还在烧 快来人 孩子还在里面", "safety.fire", True),  # burning now
    ],
)
def test_relief_asked_after_a_fire_is_assistance(text: str, label: str, urgent: bool) -> None:
    """A fire that took the home, told to ask for relief, is the assistance the message asks for (our data: 20 lines)."""
    result = classify(text)
    assert (result.label, result.urgent) == (label, urgent)


def test_smoke_from_a_restaurant_is_fumes() -> None:
    """taxonomy.md: fumes from a restaurant are environment.odor."""
    result = classify("小区门口那家烤鸭店烟特别大 熏得窗户都不敢开")
    assert (result.label, result.urgent) == ("environment.odor", False)


@pytest.mark.parametrize("text", ["上个月家里着过火\n隔壁屋着火了", "去年我们楼电动车起过火\n隔壁单元电瓶车冒烟了"])
def test_a_danger_on_its_own_line_is_not_read_as_the_past_of_the_line_before(text: str) -> None:
    """Residents press enter between sentences: the past told on one line is not the danger told on the next."""
    assert classify(text).urgent


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("我刚说火灭了 现在又烧起来了 比刚才还大", "fire"),  # flaring up again
        ("电梯里困着人 他说闻到烟味 我们在外面也闻到了", "fire"),  # smoke smelt where someone is trapped
        ("孙子爬到飘窗上了 纱窗掉了 他还在往外探身子", "hazard"),  # a child leaning out
        ("地下室进水了 水都快到插座了 我爸还在下面", "hazard"),  # water up to the sockets
        ("路口积水里泡着一根电线 刚才有人蹚过去说脚发麻", "hazard"),  # a wire in a puddle
        ("阿爷讲佢起唔到身 喺地下瞓咗成晚", "medical"),  # Cantonese: cannot get up, on the floor all night
        ("我爸血压量出来两百一 刚才还吐了", "medical"),  # a crisis
        ("我妈打完胰岛素人有点迷糊了 叫她答应得慢", "medical"),  # sugar too low
        ("家里停电了 我爷爷的制氧机停了 喘得厉害", "medical"),
    ],
)
def test_dangers_in_the_blind_tune55_to_tune57_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "问一下 煤气泄漏了应该先开窗还是先关阀门? 长长知识",  # a question to learn, said so (还是: "or")
        "电动车电池着火能不能用水浇? 单纯问问",  # …even when it asks 能不能
        "插座冒火花一般是什么原因啊",
        "请问火警是119还是110 老记混",
        "昨天有个大楼着火的视频你们看了没 吓人",  # a story named after the fire
        "我这手机烫得要着火了哈哈",  # hyperbole
        "那股焦味是楼下烤红薯的炉子 我下去看过了",  # named, then explained
        "闻到焦糊味找了半天 原来是锅里的粥熬糊了",  # a search, then what it was
        "焊工在楼下焊栏杆 火星子溅得到处都是 不用报哈",
        "我们那栋楼九几年着过大火 后来才装的消防栓",  # lived through
    ],
)
def test_tune55_to_tune57_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


def test_a_jump_from_a_bed_is_no_self_harm_pattern() -> None:
    # (The self-harm model may still read the rest: 亏得我想…哈哈 is not laughed off by laughter alone.)
    assert not get_classifier().self_harm_pattern_fires(normalize("股票又跌了 亏得我想从床上跳下去"))
    assert get_classifier().self_harm_pattern_fires(normalize("我想从楼顶跳下去"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("本店新到一批灭火器 欢迎选购", "other"),  # a shop's advert
        ("液化气送货上门 需要的加我微信", "other"),
        ("上礼拜停水停了一整天 现在来水了 就是跟你们说说", "other"),  # venting, said at the end
        ("物业费也不知道花哪去了 我就发发牢骚", "other"),
        ("谢谢小张帮我换了燃气软管 还教我怎么关阀门", "thanks"),  # teaching how is no question
        ("楼上渗水嗰单 有冇人跟进啊", "status"),
        ("有没有免费的心理咨询 就是想找个人倒倒苦水", "request"),  # talking is the service asked
    ],
)
def test_the_kinds_of_the_blind_tune55_to_tune57(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("老头子从床上掉下来了 爬不起来 我也拉不动他", "medical"),
        ("楼梯口躺着个人 叫了半天没动静", "medical"),
        ("我爸一边脸耷拉下来了 笑起来是歪的", "medical"),  # a stroke
        ("顾客突然说胸口疼 倒在收银台边上了", "medical"),
        ("吃了虾以后全身起疹子 现在喘不上气", "medical"),  # an allergy
        ("两岁的娃吞了一颗纽扣电池 一直哭", "medical"),
        ("隔壁阿婆屋里咚一声 之后喊她就没声音了", "medical"),  # a thud, then silence
        ("湖边一个三岁的娃一个人玩水 周围没大人 已经走进水里了", "hazard"),
        ("邻居家小孩被反锁在阳台上 外面三十七度", "hazard"),
        ("有个男的从地铁站一直跟到我家楼下 现在还在门口转悠", "person"),
    ],
)
def test_dangers_in_the_blind_tune58_and_tune59_wordings_are_urgent(text: str, signal: str) -> None:
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        "气得我想跳楼 哈哈 孩子数学又没及格",  # anger
        "这月房贷一还 穷得要跳楼了",  # money
        "群里传的那个跳楼新闻是假的 大家别转了",  # the news named after, and false
        "听说三号楼有人跳楼是谣言 人家在楼顶晒被子",
        "今天社区搞消防演练 烟雾弹一放好多人以为真着火了",  # taken for a fire
        "上个月那个老人吃饭噎住的事 听说后来抢救过来了",  # how it ended
        "村头那个烧砖的窑子天天冒黑烟",  # smoke as a habit: pollution
    ],
)
def test_tune58_and_tune59_look_alikes_are_not_urgent(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("今天股票绿得冒烟", False),  # figures of speech
        ("看到期末成绩 我头顶都在冒烟", False),
        ("楼下在烧纸钱 烟飘上来了 莫紧张", False),
        ("消防演练通知:周五下午三点 听到警报请按指示下楼 不是真的火灾", False),
        ("楼下独居的阿嬷跌倒在灶脚 叫伊无应", True),  # fallen and not answering (Minnan)
    ],
)
def test_tune60_and_tune61_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("现在一罐液化气多少钱啊", "other"),  # its price
        ("15公斤的煤气罐换一罐要120了 又涨价了", "other"),
        ("我昨天报的煤气漏气 燃气公司的人什么时候来复查", "status"),
    ],
)
def test_gas_prices_and_rechecks_are_no_new_request(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("刚才好几辆消防车呜呜呜开过去 不晓得哪里出事了", "other"),  # fire engines passing by
        ("现在一罐液化气好多钱了", "other"),
        ("液化气又涨了 换一罐要一百三", "other"),
        ("以前烧蜂窝煤怕中毒 现在天然气方便多了", "other"),  # settled, told at the end
        ("电视里在放火灾的片子 我妈看得直捂眼睛", "other"),
        ("辣椒炒到冒烟才香", "other"),  # cooking
        ("液化气罐放阳台上晒太阳要不要紧哦", "other"),  # a question of knowledge
        ("残疾证申请递上去一个月了 还要等好久", "status"),
        ("消防车开过去了 我们楼下着火了 快来", "request"),  # …unless a fire is named here
    ],
)
def test_the_kinds_of_the_blind_tune62_wordings(text: str, kind: str) -> None:
    assert classify(text).kind == kind


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("对门那小伙子在楼顶边上坐了老半天了 喊他也不理", True),
        ("阮小弟最近物件攏送人 还讲以后恁免为伊烦恼了", True),  # a farewell to the family's worries (Minnan)
        ("电视剧里那个人跳楼了 看得俺心里难受半天", False),  # a story; the writer's reaction is no sign
        ("煤气泄漏了应该先干啥? 考考大家", False),
        ("液化气罐和天然气哪个便宜 俺村里还用罐", False),
        ("瓦斯一桶又起十箍 阮厝欲食不起矣", False),  # its price (Minnan)
        ("消防车一过 俺家狗跟着嚎了半天", False),
    ],
)
def test_tune63_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    "text", ["阮前几日报的瓦斯炉修理 有人接单无?", "阮报的独居阿公探访 有人去看过伊无?"]
)
def test_whether_anyone_took_an_earlier_request_is_a_status_query(text: str) -> None:
    assert classify(text).kind == "status"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("我家暖气片那个阀门 滋滋往外冒水 接了一盆了", False),  # water, not gas
        ("额屋里的然气灶打不着火 咔咔咔的 么有味道", False),  # 么有: 没有 in 陕西话
        ("厨房一股煤气味 怎么有味道啊", True),  # …not 怎么有
        ("三单元厨房油锅着火了 自己拿锅盖捂灭了 没事了", False),
    ],
)
def test_tune64_voice_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("楼上漏水 我家厕所顶上吊顶黄了一大片", False),  # 上吊 inside 顶上吊顶
        ("老爷子九十了 天天乐呵呵地说我活够本了", False),  # contentment
        ("我今年八十三了 活够本了 不想再拖累儿女 存折密码都交代好了", True),  # …unless told with signs
    ],
)
def test_words_that_contain_a_sign_but_tell_none(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    "text",
    [
        "看新闻说外地有个学生跳楼了 我们这的学校有没有心理老师",  # the news; 我们这 is a place, not the writer's sign
        "网上说隔壁市有人轻生 现在年轻人压力太大了",
    ],
)
def test_signs_told_of_the_news_stay_the_news(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("我家那口子做饭跟放火一样 厨房烟大得呛人 哈哈哈", False),  # a simile: its danger word is likened
        ("煤气泄漏了应该先干嘛 先关阀门还是先开窗 问问长个知识", False),
        ("昨天半夜闻到焦味吓一跳 起来一看是我自己忘关电热毯 还好没事", False),
        ("刚才救护车开进小区了 不知道哪家出事了", False),  # an ambulance passing
        ("路过东关街看到消防车在巡逻 有点帅", False),
    ],
)
def test_tune67_and_tune68_look_alikes(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("小区主水管爆了 水灌进我家一楼 我妈瘫在床上搬不动", True),  # water into a home, someone who cannot move
        ("对门独居阿伯喺屋企跌低咗 隔住门听到佢喊 门锁住入唔到", True),  # Cantonese: fallen behind a locked door
        ("煤气泄漏了到底该咋办? 想先学学 以防万一", False),
        ("物业提醒:电动车严禁进楼道充电 发现一律清走", False),  # a notice
    ],
)
def test_tune69_and_tune70_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    "text",
    [
        "阿拉姆妈跌了一跤，爬勿起来了，侬快点派人来，长寿路老公房4楼",  # a fall, then unable to get up
        "爷爷从沙发上滚下来了 一直喊疼 动不了",
        "外婆吃着饭突然半边脸麻了 说话含含糊糊的",  # a stroke
        "我爸早上起来半边身子动不了 喊他只会哼",
        "我妈突然头疼得厉害 吐了一回 说看东西有重影",
        "停电了 我爸的制氧机一停他就喘得厉害 什么时候来电",
        "小区门口有个醉汉拎着酒瓶追着人打",
        "楼道里有人一家一家试门 咔嚓咔嚓的 我们这层好几户都醒了",
        "窗外有个人影在推纱窗 家里就我和孩子",
        "半夜有人敲门 问是谁也不说话 敲了好久了",
        "村里两家吵起来了 动手了 拿着锄头",
        "女儿放学三个小时了还没回家 手表关机 有人看见她上了一辆车",
        "暴雨 地道桥积水了 有辆车熄火 人困在车里出不来",
        "下大雨屋里进水了 插座都泡到了 我爸在床上下不来",
        "河边有个小娃儿掉水头了，在扑腾，我不会游泳，快来人啊",
        "化工厂那边一股刺鼻的烟飘过来了 好几个人头晕想吐",
        "尕娃才三岁把自己反锁在屋里了！我出来倒个垃圾门就关上了，钥匙在里面，灶上还烧着水，快来人开锁",
        "视频里我妈说屋里臭得很 像是煤气 她一个人在家",  # a video call, not a video
        "割了一下 看到血反而舒服点 我是不是有病",
        "i just want to die 没人懂我",
    ],
)
def test_tune71_to_tune76_dangers_now(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "要是半夜闻到煤气味 应该先关阀门还是先开窗",  # 还是先: either-or, not "still"
        "各位邻居 电瓶车别再推进楼道充电了",  # an appeal about a habit
        "天冷了烧炉子的注意通风 防煤气中毒",
        "暑假到了 大家看好自家孩子 注意防溺水",
        "灭火器怎么用啊 拔了销就能喷吗",  # how to use a thing of safety, nothing burning
        "液化气罐放在厨房窗台上安全吗",
        "你好，我想问一下燃气的事",  # a greeting that names a topic
        "在吗 关于灭火器的事",
        "被老板气得我冒烟 明天又要加班",  # a figure of speech, whatever follows it
        "单位搞了个消防安全培训 学了灭火器咋用",  # 搞了: done, not asked for
        "以前住老房子的时候 楼下烧起来过一趟 大家拎水救的火",
        "上礼拜有个老人在超市晕倒了 保安做心肺复苏救回来了",
        "社区急救培训讲了中风的样子：脸歪 说话含糊 学到了",
        "昨晚看的悬疑剧，半夜有人拧门把手那段，吓得我不敢起夜",
        "今朝热得来要死脱了",  # 沪语: very hot
        "最近有陌生人挨家挨户敲门推销 看着不像好人",  # (a guard: strangers at the doors count only when it goes on now)
    ],
)
def test_tune71_to_tune76_look_alikes(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "我爸刚才说要去跳长江 电话也不接了",  # a river named
        "每天睁眼就想 为什么还要醒过来",
        "我走咗佢哋會輕鬆啲",  # Cantonese: they would be better off
        "我奶奶这几天把攒的首饰分给我们几个孙子，还说奶奶要走了，可她身体好好的啊",
        "俺家烧炕,孩子说头晕想吐,屋里闷得慌,这咋整",  # carbon monoxide
        "路边一辆小轿车车头在冒烟,司机不在,就停在幼儿园门口",  # 车头 is no head: no figure of speech
        "我姨刚打电话说胸口疼 说了一半就没声了",
        "电梯关牢了 阿婆气喘弗上来",
        "俺妈被关在阳台上了，阳台门从里面插上了，外头零下二十多度，她就穿个毛衣，咋整啊",
        "我屋里伢子吃果冻呛到了，脸都憋乌了，咯么搞咯",  # choking
        "我儿子发烧 突然两眼往上翻 手脚一抽一抽的",  # a seizure
        "我爸心口疼得直哼哼，左边胳膊也疼，吃了速效救心丸不管用",  # a heart attack
        "奶奶嘴角往下耷拉着 话都说不利索了",  # a stroke
        "我阿公剛剛摸冰箱被電到，現在手一直抖講不出話",
        "地下室进水了 涨得好快 我爸还在下面",
        "4号楼后面那个水塘 有个小孩走到冰面上去了 冰都裂了 家长呢！！保安快去",
        "楼下有人抢老太太的包 把她推倒了 人还没走",
        "有人在拽我家的防盗网 我一个人在家",
        "smell gas in the kitchen help",
    ],
)
def test_tune77_to_tune88_dangers_now(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "上个月我爸在公园晕倒了 现在已经出院了 想起来还后怕",  # timed in the past, nothing of now
        "我奶奶去年在家晕倒过一回,想给她签个家庭医生,有情况能上门",
        "119是火警 110是报警 我老是记混",
        "幼儿园今天教孩子们着火了要弯腰捂口鼻",
        "煮饺子差点把锅烧干 还好闻到了 赶紧关火",  # 赶紧 told of then
        "热水器打不着火 一直咔咔响 没闻到燃气味 大冬天洗不了澡要命了 求师傅",
        "楼下火锅店的排烟管对着我家窗户 牛油味熏得头疼",
        "他一打游戏就跟触电似的 叫都叫不动",  # (a guard: the shock pattern asks for 触电了, not a simile)
        "刚才闻到焦味吓一跳 原来是锅里的红薯糊了",  # a reaction between the smell and what it was
        "楼道里一股烟味,问了一圈是三楼在烧香拜佛,没事了",
        "前两天闻着有煤气味 燃气公司来看了 现在都好了",
    ],
)
def test_tune77_to_tune88_look_alikes(text: str) -> None:
    assert not classify(text).urgent


def test_a_danger_called_off_is_not_made_one_by_the_item_model() -> None:
    assert classify("楼道里一股烟味,问了一圈是三楼在烧香拜佛,没事了").label != "safety.fire"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("厨房gas味好重 不敢开灯 help", True),
        ("老伴走了 存折首饰都分给孩子们了 没什么牵挂了", True),
        ("工钱拖了半年 有时候想讲死死去较快活", True),  # Minnan
        ("燃气泄漏的时候是不是不能开手机", False),  # a question right after the danger's words
        ("电动车电池着火为啥那么难灭", False),
        ("一氧化碳中毒跟煤气中毒是一回事吗", False),
        ("这个月的水费单看得我心脏骤停", False),
        ("防溺水提醒：暑期请家长看管好孩子 不要到河边游泳", False),  # 请家长 asks the parents, not us
        ("谢谢侬 上趟阿拉屋里厢煤气漏气 侬拉来得老快", False),
        ("谢谢社区 上次我爸晕倒你们帮忙叫的车 现在已经回家休养了", False),
        ("昨晚追的剧里女主跳楼那一幕 我直接跳过了", False),  # the writer's reaction to a story
    ],
)
def test_tune89_to_tune93_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("我老伴糖尿病 这会儿一身冷汗 说话都含糊了", True),
        ("娃掉进小区的池塘里了 我够不着", True),
        ("我被锁在阳台上了 三岁的孩子一个人在屋里 阳台门从里面锁上了", True),
        ("爷爷从床上掉下来了 我扶不动他 一直喊疼", True),
        ("割了一下 停不下来 还想再割", True),
        ("我妈家那个热水器旁边有气味就是煤气那种味道她说闻了两天了今天特别重我已经让她下楼了", True),
        ("昨天3栋有人家煤气泄漏 消防车都来了 还好人没事", False),
        ("早上在菜场晕倒的那个阿姨后来怎么样了", False),  # asked after: timed in the past
        ("烤鱼把烟雾报警器弄响了 没事啊没事", False),
        ("上礼拜我家漏气 燃气公司当天就换了管子 现在好好的", False),
    ],
)
def test_tune94_to_tune97_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    "text",
    ["燃气泄漏了是先开窗还是先关阀门 考考你", "上个月车棚里一辆电动车着火 幸亏发现得早没出事"],
)
def test_tune95_look_alikes(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "我哥昨晚打电话说要跟我们诀别 现在关机了",
        "厂子倒了 欠大家的工钱我想用命来还",
        "村里老李把寿衣翻出来了 说过几天用得上",
        "我在桥上 快来",
        "阿拉老头子讲伊想跳黄浦江",
    ],
)
def test_tune100_signs_of_self_harm(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("洪水把村口的路冲断了，有一家人被困在屋顶上，水还在涨", True),
        ("屋头进水咯，都淹到床沿了，我婆婆腿脚不方便走不动，门也推不开，咋个办嘛", True),
        ("阿公喘唔到气，嘴唇都紫咗，救护车仲未到，点算啊", True),
        ("家里老太太刚才被洗衣机电了一下，倒在地上不说话了", True),
        ("刚才有人翻窗进了一楼那家，那家人出去旅游了，现在屋里有手电筒的光在晃", True),
        ("胸口憋得慌左胳膊也麻一阵一阵的出汗这是咋了", True),  # a heart attack by the chest and the left arm
        ("隔壁张爷爷一个人住,刚刚听到屋里咚的一声,喊他只听见哼哼,门从里面反锁了打不开!!快来人", True),
        ("孙子烧到38度5，喂了美林两个钟头又烧起来了，还能再喂不？", False),  # a fever comes back
    ],
)
def test_tune98_to_tune106_wordings(text: str, urgent: bool) -> None:
    assert classify(text).urgent is urgent


@pytest.mark.parametrize(
    "text",
    [
        "老头子坐沙发上突然就歪过去了，喊伊也不应，阿拉哪能办啊",  # a collapse, no answer
        "阿婆喺廁所暈咗 我扶唔起佢 點算啊",
        "外婆低血糖又晕了，这回糖水都喂不进去了",
        "扫地的阿姨中暑倒在小区大门口了 浑身滚烫 叫她只会哼",
        "爸半边身子发麻站不稳 头疼得厉害 刚吐了一回",  # a stroke by its signs together
        "my grandma suddenly can't lift her left arm, speech weird 很急 在家",
        "奶奶啱啱突然講唔到嘢，口角流口水，一邊手冇晒力",
        "娃儿吃糖卡到了 拍背莫得用 快点来个人",  # choking
        "一岁多的娃把小珠子塞嘴里了 现在哭都哭不出声",
        "儿子发高烧突然翻白眼全身抽 第一次这样 吓死了",  # a seizure
        "屋里厢阿弟又发羊癫疯了，迭趟辰光老长了，停不下来",
        "工地上有人被钢筋划了大腿 血是喷出来的！",  # bleeding
        "我奶奶流鼻血快一个钟头了 捏着也不停 她一直吃华法林的",
        "咳血了 一大口一大口的 家里就我一个",
        "老爷子从床上翻下来了，我一个人扶不动，他一直喊腰疼",  # a fall
        "婆婆摔了 胯骨那儿一碰就叫唤 我不敢动她",
        "俺家老爷子下楼梯卡了一跤 躺缓台上直哼哼 咋整啊",
        "坐地上俩钟头了起不来 手机快没电了",
        "樓上獨居嘅阿伯好幾日冇出過門，門口好臭，仲有好多烏蠅",  # alone, days, a smell
        "我在外地 我爸三天电话没人接 他一个人住 邻居说门口有味道",
        "对门老太太门口报纸堆了一礼拜了，楼道里有臭味，是不是出事了",
        "我娃儿在超市门口一眨眼就不见了 三岁 蓝外套 求大家帮忙找哈",  # a child gone
        "阿拉小囡寻不着了！公园里，白裙子，扎两只小辫子",
        "個女唔見咗，啱啱仲喺樓下玩，七歲，著粉紅色衫",
        "儿子上午跟个陌生男的走了 邻居看见的 到现在没回来",
        "放学没接到女儿 老师说早走了 电话手表关机 都七点了",
        "娃儿跟同学去河头耍水 现在人找不到了 岸上就剩鞋子",  # gone into the water
        "隔壁小孩被打得一直哭叫 快半个钟头了 还有皮带抽的声音",  # violence going on
        "我哥又回来要钱 不给就打我爸 现在正打着呢",
        "侬快点叫人来，隔壁男人拿凳子砸老婆，小囡吓得在楼道里哭",
    ],
)
def test_tune105_dangers_to_a_person(text: str) -> None:
    assert classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "我腿脚不好 自己去医院怕走丢 想找个人陪",  # (no child gone: a fear)
        "中风三年了 一侧身子动不了 想申请个轮椅",  # a stroke long past, no signs together
        "上个月我妈在厨房摔了一跤 躺了半个月 现在能下地了",
    ],
)
def test_tune105_look_alikes(text: str) -> None:
    """Guards of the new patterns' edges (they passed before them too): a fear, a stroke long past, a fall told with its end."""
    assert not classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "隔壁王大爷好几天没见了 敲门不应 门缝里有股怪味",
        "五楼那个孤寡老人家灯亮了三天没关 敲门没动静 还有味儿",
    ],
)
def test_an_old_person_alone_not_seen_for_days_and_a_smell(text: str) -> None:
    result = classify(text)
    assert (result.urgent_signals, result.label, result.hotlines) == (("alone",), "elderly.lonely_visit", ("120",))


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("谢谢大家这些年的照顾，以后不麻烦了", "self_harm"),  # thanks for the years of care, no more trouble
        ("谢谢侬老早照顾我 以后勿麻烦侬了", "self_harm"),
        ("睡着了就别醒了多好", "self_harm"),  # sleep with no waking
        ("囤了好几板药 今晚一口闷", "self_harm"),  # pills hoarded by the strip
        ("百草枯还剩半瓶 够用了", "self_harm"),
        ("𠊎係屋下个累赘", "self_harm"),  # a burden, in Hakka
        ("我係負累嚟 冇咗我仲好", "self_harm"),  # better off without me, in Cantonese
        ("阿媽 對唔住 我頂唔順喇", "self_harm"),  # can't hold on, in Cantonese
        ("bye了这个世界 不续费了", "self_harm"),
        ("今晚就去四 拜拜了家人们", "self_harm"),  # 去四: 去死
        ("emo到想跳了 人在楼顶", "self_harm"),
        ("这胳膊又让我整了几刀", "self_harm"),
        ("邻居家的老太太有阿尔茨海默症，早上九点就不见了，家里人找了一上午", "person"),  # dementia, missing
        ("我是网格员 3组的张爷爷认知障碍 从早上失联到现在 家属已经报警", "person"),
        ("舅公认知症 凌晨自己开门走了 现在十点了 外面三十几度", "person"),
    ],
)
def test_tune115_and_tune118_signs(text: str, signal: str) -> None:
    """The twenty-fourth session's blind tuning sets: short signs in dialects, someone with dementia gone."""
    assert signal in classify(text).urgent_signals


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "谢谢大家这些年的照顾，以后不麻烦了，下个月搬去儿子家住",
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(1.00) + " (the thanks as a farewell)"),
        ),  # moving away
        pytest.param(
            "孩子睡着了就别叫醒他",
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.17) + "; " + KNOWN_DANGER_READING.format(4.58)),
        ),
        pytest.param(
            "宝宝睡着了就不醒 一觉到天亮",
            marks=pytest.mark.xfail(strict=True, reason=KNOWN_SIGN_READING.format(0.35) + "; " + KNOWN_DANGER_READING.format(5.15)),
        ),
        "晾衣绳买好了 谁来帮忙挂上",
        "我妈老年痴呆 一个人走丢过两回了 想请人白天来照看",  # a habit, not now
        "老人痴呆走丢了 已经找到了 谢谢大家",
        "给我爸买个防走失手环 他有点认知障碍 哪里能领",
        "顶唔顺喇 今日热到爆",  # (heat, said after: the model's to read)
        "天台上想跳广场舞的阿姨们 周末集合",
    ],
)
def test_tune115_and_tune118_look_alikes(text: str) -> None:
    """The new patterns' edges: moving away, a sleeping child, a washing line, a habit, found again, a wristband."""
    assert not classify(text).urgent


@pytest.mark.parametrize("cry", ["救命啊", "救命呀", "快来人啊", "来人啊", "有人吗 救命", "有没有人 救救我"])
def test_a_cry_for_help_with_its_particles_is_urgent(cry: str) -> None:
    """A cry for help and nothing else is a danger (110), also with 啊/呀 or after 有人吗 (it was talk, or a greeting)."""
    result = classify(cry)
    assert result.urgent and "110" in result.hotlines, result


def test_asking_whether_anyone_is_there_is_no_cry() -> None:
    assert not classify("有人吗").urgent and not classify("有人吗？在吗").urgent


@pytest.mark.parametrize("text", ["胸口疼得厉害", "头晕站不起来"])
def test_a_medical_danger_the_model_reads_gives_the_ambulance_first(text: str) -> None:
    """Chest pain, dizzy and unable to stand: the danger model's 110 alone told them 「请先远离危险区域」; a danger whose
    need is a health item is an ambulance's first."""
    result = classify(text)
    assert result.urgent and result.category == "health" and result.hotlines[0] == "120", result


@pytest.mark.parametrize("text", ["老伴好像中风了", "老人吃药吃多了", "我妈刚刚是不是脑梗了", "我爸把一瓶安眠药都吃了"])
def test_a_stroke_feared_or_too_much_medicine_is_an_emergency(text: str) -> None:
    """These were talk (「我是社区服务助手…请直接说说您遇到的问题」), with no hotline at all."""
    result = classify(text)
    assert result.urgent and "120" in result.hotlines, result


@pytest.mark.parametrize("text", ["他中风以后走路不方便", "我爸中风过，想申请家庭医生", "你吃错药了吧", "药吃多了会不会伤肝"])
def test_a_stroke_in_the_past_or_a_question_about_medicine_is_not(text: str) -> None:
    assert not classify(text).urgent


@pytest.mark.parametrize("text", ["邻居家小孩从楼上掉下来了", "我被狗咬了，流血了"])
def test_someone_hurt_gets_the_ambulance_whatever_the_need(text: str) -> None:
    """Urgent under 安全隐患 or 法律咨询, these had 110 alone: 「请先远离危险区域」 for a child fallen from a building."""
    result = classify(text)
    assert result.urgent and result.hotlines[0] == "120", result


@pytest.mark.parametrize("text", ["我妈总担心药吃多了伤胃，想找个医生咨询一下", "医生说可能是脑梗了，现在在住院，想申请护工",
                                  "我爸说降压药吃多了也不好", "他刚刚心梗了，已经送医院了，家里没人照顾狗",
                                  "我老伴中风了半边身子不能动，想请个护工"])
def test_worry_a_diagnosis_or_care_after_a_stroke_is_no_emergency(text: str) -> None:
    assert not classify(text).urgent


def test_a_stroke_said_alone_is_an_emergency() -> None:
    result = classify("老伴中风了")
    assert result.urgent and result.hotlines[0] == "120", result


@pytest.mark.parametrize("text", ["没有活下去的力气了", "活下去的力气都没有了", "师傅没来过，我已经没有活下去的力气了",
                                  "我真的没有活下去的信心了"])
def test_no_strength_left_to_live_is_a_sign_of_self_harm(text: str) -> None:
    """没有活下去的勇气 was a pattern, 没有活下去的力气 (strength, heart, anything to hope for) not: alone it was talk, and after
    a complaint about a repair a status query (found by a review of the rating card's words, 42nd session)."""
    result = classify(text)
    assert result.urgent and "self_harm" in result.urgent_signals, result
