"""What a text tells, read by regular expressions: the patterns of the classifier's rules (a danger told as past,
supposed, seen elsewhere or called off; a letter and what it asks; work told as done; thanks, status queries, adverts;
a fall told as now…), the pure predicates over text that use them, and `PatternIndex`, which searches a pattern only
where a text holds a string every match of it needs.

Imports the standard library only: never `classifier.model` nor `classifier.learning`.
"""

from __future__ import annotations

import math
import re
import re._parser as re_parser  # to read which strings a pattern needs
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

LETTER_CHARS = 150  # longer texts are letters (写信/留言板 style), not chat status queries
GREETING_REST_CHARS = 4  # a greeting with more Chinese characters besides is read as what they say

NEGATIONS = frozenset("没不无未别唔冇勿")
NEGATION_WORDS = frozenset({"没有", "并非", "不是", "毫无"})

CJK_RUN = re.compile("[\u4e00-\u9fff]+")

# Words that make an unmatched message look like a real problem rather than chit-chat.
PROBLEM_MARKERS = re.compile(
    "坏|漏|堵|吵|臭|脏|乱|投诉|反映|举报|求助|帮忙|帮帮|麻烦|怎么办|咋办|解决|处理|维修|不能|不了|没人管|问题|申请|咨询"
)
# Thanks that report the work done ("电梯修好了谢谢师傅") are thanks however many item words they hold,
# unless something is still or again wrong.
WORK_DONE = re.compile(
    "(修|弄|搞|处理|解决|办|换|装|清理|疏通|通|检查|查|划|做|剪|刷|补|运|拉|送|接|理|整理|清|找|改)(好|完|妥|干净)了"
    "|(清理|处理|清|拆|搬|挪|弄)(掉|走)了|(批|办|申请)下来了|(处理|解决)了|搞定了|已经好了|恢复了|没问题了"
    "|通开了|不(再)?(堵|漏|渗|滴|吵|闹|打桩|施工)了|到账了|拿到(手)?了|搞掂(咗|了)"
    # (what the work changed: 树枝锯掉了, 换了新的, 楼道灯亮了, 现在开窗没味儿了)
    "|(锯|砍|剪)(掉|断)了|换(了|上)新的|(灯|锁|锁芯|门|龙头|玻璃|管子)换(好)?了|(亮|热)(?<![不没未][亮热])(了|起来了)"
    "|没(味|味儿|味道)了"
    # (money that came, a quarrel talked out: 那笔钱收到了, 助学金下来了, 上次坐下来谈开了)
    "|(钱|款|金|补贴|补助)[^。，, ]{0,3}(收到|下来)了|(谈|说|聊)开了|和好了"
)
# An advert (家电清洗 99元一台 上门服务, 招聘保安 包吃住, 转让冰箱 自提 300块) names service words but asks for nothing: two
# or more kinds of its markers, and no question, make a message "other" (see `is_advert`).
ADVERT_MARKERS = tuple(
    re.compile(pattern)
    for pattern in (
        r"\d+(元|块)",
        "价格(优惠|实惠|公道|透明|合理)|收费(合理|公道|透明)|优惠价|特价|特惠|低价|高价回收|一口价|打折|折扣|诚信经营",
        r"有意者|有需要的?(请)?(联系|私聊|私信|加)|联系(我|电话|方式)|欢迎(咨询|来电|致电)|私信|加我"
        r"|(?<![\dx*])1[3-9]\d[\dx*]{4}\d{4}(?!\d)",  # (a number, also masked: 138xxxx5678)
        "招聘|诚聘|急招|招工|招(保安|保洁|保姆|司机|服务员|学徒)|招生(啦|了|中)",
        r"包吃住|包吃|包住|月薪|日结|时薪|薪资|待遇(优厚|从优)|高薪|\d+岁以下",
        r"名额有限|先到先得|限时|免费(领|送|安装|体验|检测|上门)|仅需|只需\d|赠送|送礼品|报名从速|包(拿证|过|教会)",
        "不开不收费|公安备案|专业(开锁|疏通|清洗|维修|搬家)|上门服务|送货(上门|到家)|24小时(服务|上门)|随叫随到",
        "本店|小店|新到一批|现货|批发",
        "量大从优|欢迎(选购|订购|光临)",
        "代办|代缴|代理|代购",
        "转让|出售|自提|[九八七]成新|闲置",
    )
)
ADVERT_GROUPS = tuple(f"advert:{i}" for i in range(len(ADVERT_MARKERS)))  # (searched by the pattern index)
# What work done changed for the writer (楼道灯亮了 晚上下楼敢走了, 树枝锯掉了 停车不用提心吊胆了): see `only_work_done`.
_RELIEF = re.compile(
    "(?<![不没])(敢|能|可以)[^。，,？?吗不没 ]{1,6}了|不用(?!了)|不怕了|终于|总算|可算|(放心|踏实|安心|舒服)了|清爽|好多了|像新的"
)
_WORKS_AGAIN = re.compile("(?<![不没才只可就])(能|可以|敢)(?!不|给|帮|来|派)[^。，,？?吗不没 ]{1,4}了")
_ENDED_WELL = re.compile("还好没事|(就|都)?没事了|就好了|(?<![不打])通了")  # (a trouble told as sorted: see `resolved_story`)
_THIS_TIME = re.compile("这回|这次|这一次")  # (上回那水龙头换完了 这回暖气片漏水了: a new trouble)
STILL_WRONG = re.compile("又(?!有电|有水|有气|有热水|能|可以|好[烧用做走睡]|恢复|亮|热乎|通了|有人|干净)|还是|还没|还不|仍|但是|可是|不过|再(?!也不)")  # (not 再也不用摸黑了: relief)
_DONE_QUESTIONED = re.compile("[吗没么未冇嘛]|没有")  # right after 修好了: a question
# Work asked for in so many words (修一下, 来换一下, 帮忙疏通下): with an item's clear evidence, a request — unless it
# asks when (什么时候来修一下: about an earlier ticket) or is a question.
ASKS_FOR_WORK = re.compile("(修|换|清|通|清理|处理|弄|装|检查)一下")
ASKED_WHEN = re.compile("什么时候|啥时候|何时|怎么还|为什么|还没|多久|几点|[吗么呢?？]")
# (Nor thanks for it, a call-off, work told as done or past, a notice — unless the work is asked for all the same:
# 麻烦修一下电梯，谢谢.)
WORK_NOT_ASKED = re.compile("谢|不用|不要再|已经|好了|昨天|前天|上次|上回|之前|通知|公告|【")
PLEASE = re.compile("麻烦|请(?!勿)|帮|快|赶紧|尽快|能不能|给.{0,4}修|别再拖|别拖")
# A trouble told plainly and nothing else (水管漏了, 没热水了, 屋顶漏了 谢谢): with an item's evidence, a request — the kind
# model read 漏了 and 没…了 as the thanks they end (水管不漏了), and the words are too few to outweigh it. Not negated
# (不漏了), not told as earlier or done, no question.
TROUBLE_TOLD = re.compile(
    "(?<![不没别])(坏|漏|漏水|渗水|滴水|堵|停电|停水|跳闸|跳匝|断网|不亮|不通|不转|不制冷|不热|没水|没电|没热水|没气|没信号)了$"
)
COURTESY_AFTER = re.compile("[，,。.!！~～ ]*(谢谢你们|谢谢师傅|谢谢|谢了|多谢|唔该晒|唔该|麻烦了|麻烦你们了"
                             "|(很|好|太|特别|非常)?(急|着急)(啊|呀|了|死了)?)?[。.!！~～ ]*$")  # (水管漏了 急 快来)
# (and the work asked for after the trouble, in a clause of its own: 水管漏了，麻烦派人来看看，谢谢)
ASK_AFTER = re.compile(
    "[，,。!！ ]+(麻烦|请|快|赶紧|尽快|能不能|可不可以)(你们|师傅|物业|社区)?[^,，。!！?？]{0,6}(来|派|看|修|处理|弄|通|换)[^,，。!！?？]{0,6}$"
)
TROUBLE_MAX_CHARS = 12
# After work told as done: something wrong again (又堵了) or besides (不过楼道灯也坏了) — not 再也不跳闸了.
_WRONG_AFTER_DONE = re.compile("又(?![快好])|(不过|但是|可是)[^,。]{0,10}(坏|漏|堵|不亮|不通|没|不行|也)")
# Cantonese 唔该 alone: please as often as thank you (唔该晒 is thanks).
UNGOI_PLEASE = re.compile("唔该(?![晒哂])")
# Work done before and the trouble back (上回那个师傅修的水管又漏了, 你们修的什么玩意 水管又漏了): a request, not thanks.
REPAIRED_THEN_AGAIN = re.compile(
    "(修|弄|装|换|通|疏通)(的|过|过的|完的)[^。!！?？]{0,12}又(漏|坏|堵|不亮|不通|不行|不转|不制冷|跳闸|滴|渗|松|掉|停|响|冒)")
# The work asked for again (评了一星 热水管还是漏 拜托重新派个师傅来看看; 单子先别关): a request, whatever a rating says.
# A need corrected as it is told (不是灯的事，是厨房水管漏了; 不是电梯的问题 而是楼道灯): what follows 是 is the need.
NOT_THAT_BUT = re.compile("(不是|不是说)[^,，。!！?？ ]{1,12}(的事|的事情|的问题)?[,，。 ]*(而)?是")
REDO = re.compile(
    "(?<!不用)(?<!不要)(?<!别)(重新(派|弄|装|修|安排|来)(?![了修])|要求重新|得重新|(叫|让)[^。，, ]{0,4}(师傅|他|人)[^。，, ]{0,2}回来"
    "|(单子|工单)先?别关|别关单|(麻烦|请|能|能不能|可以|可不可以|快)再(派|来)(个人|个师傅|一趟|一次|看看))"
)
# A letter's ask of the authorities (请有关部门尽快处理, 恳请领导督促, 希望政府重视) or its complaint to them (投诉, 举报):
# what a letter to a 留言板 is written for, opening with 尊敬的…您好 and closing with 谢谢 as it may.
LETTER_ASK = re.compile(
    "(请|恳请|敬请|希望|望|盼|要求|呼吁|请求)[^。!?！？]{0,10}(有关|相关|职能|主管|上级|各级)?"
    "(部门|政府|领导|书记|市长|县长|区长|镇长|局长|厅长|州长|单位|机关|贵局)|投诉|举报|控告|检举"
)
# A message that opens by addressing an official (尊敬的王书记：, 市长, 领导好！, 县长大人：) is written to the authorities.
LETTER_SALUTATION = re.compile(
    "^(尊敬的)?[^，,。!！:： ]{0,8}(书记|市长|县长|区长|镇长|局长|厅长|州长|领导)(大人|同志|们)?(您好|你好|好)?[!！:：,， ]"
)
# Or that asks the authorities by their office (请有关部门…, 恳请上级领导…, 希望政府…): in none of the 40–150 characters long
# non-requests of tests/data (the broader `LETTER_ASK` is in 15: 希望政府多关心…, 投诉 told of the past).
AUTHORITIES_ASKED = re.compile("(请|恳请|敬请|望|希望|要求|呼吁|请求)(有关|相关|职能|主管|上级)(部门|单位|领导)|(请|恳请|希望|要求)(政府|领导)")
SALUTED_MIN_CHARS = 40  # (shorter, 王书记好 上回的事谢谢您 is chat)
# Or that is written in a letter's register (`written_as_a_letter`): it asks, names an office or a public matter, and has
# no chat voice (particles, spaces between clauses). The kind model, learned from chat, reads board messages of
# 40–150 characters as talk: policy questions (请问…是否), reports (…严重影响居民, 请交警严格执法).
_LETTER_ASKS = re.compile(
    "请|是否|能否|可否|何时|希望|要求|建议|呼吁|盼"
    # 望 asking the authorities (望上级领导急时修复, 望有关部门重视), not 看望, 失望 or 望着
    "|望(?:有关|相关|上级|领导|政府|部门|各级|贵|城管|交警|社区|街道|物业|尽快|早日|能|予以|给予|引起|重视|严查|彻查|督促|协调|解决|处理|整改)"
)
_PUBLIC_MATTER = re.compile(
    "政府|部门|局|委|街道办|城管|交警|派出所|公安|开发商|学校|医院|公司|单位|平台|领导|书记|市长"
    "|严重|违规|违法|违反|规定|政策|落实|整改|查处|相关|业主|居民|村民|市民|群众|百姓"
)
_CHAT_VOICE = re.compile("[啊呀吧嘛哈呢啦咋俺咱哎唉嗯哦噢呗咯喔哇嘿嘞滴咧撒伐嗰咁嘅噶咩]|木有|~| ")
_LETTER_OF_THANKS = re.compile("表扬|感谢信|锦旗|致谢|点赞|衷心感谢|表示感谢")  # (a letter of thanks asks nothing)
# …unless, in a later sentence, it turns to what is still wrong (这应该点赞。但现有3个问题…).
_BUT_A_PROBLEM = re.compile("[。!！][^。]*?(?:但|可是|不过|然而)[^。]{0,20}(?:问题|建议|希望|请)")
# What opens a second matter in a chat message (thanks or a status query, then 另外/对了/今天又/现在是/还想问…).
BESIDES = re.compile(
    "(?:^|[ ,，。！!？?~、])(?:另外|对了|还有(?![没人味一二两三四五六七八九十几好0-9])|顺便|再就是|还想麻烦|想再麻烦|再麻烦"
    "|现在是|还想问)"
    "|(?:今天|今儿|现在|这回|这次)(?:又|也|发现)"
)
TICKET_NUMBER_MARKED = re.compile(r"#[a-z]\d{4,5}\b")  # (unmarked, a1234 may be a class, a road or a model in a letter)
TICKET_NUMBER = re.compile(TICKET_NUMBER_MARKED.pattern + r"|(?<![a-z0-9])[a-z]\d{4}(?![0-9])")
# In a letter (longer than LETTER_CHARS) residents tell past accidents and feared ones as background to an
# ordinary need (去年插座冒过火星, 万一着火消防车进不来): a fire, danger or medical match is not counted when
# it is told as past (in its sentence: the time is often said once for the whole sentence, 去年冬天用电暖气的
# 时候，插座冒过火星) or as hypothetical or feared (before it in its sentence, or after it in its clause:
# 楼下着火了，万一烧上来怎么办 and 隔壁失火了，担心蔓延过来 are fires now), and its sentence says nothing of
# now; nor are its words evidence of the item (the letter's need is the other one it tells). Self-harm always
# counts; gas only as past, and not when its sentence says it was never resolved (去年闻到过煤气味，一直没查清);
# every other signal (fire, dangers, medical) may be background.
LETTER_FOREGROUND_SIGNALS = frozenset({"self_harm"})
LETTER_PAST_ONLY_SIGNALS = frozenset({"gas"})
# A fire match in a letter whose own words tell no fire or smoke (消防通道全停满了车, 楼道里给电瓶充电) names a standing
# hazard, not a fire now: it does not force safety.fire on a letter whose need is another (a parking letter that says
# the fire lane is full of cars); when the hazard is the need, its words are evidence of it, and the item's class
# makes the letter urgent as before (one held-back urgent letter is urgent only so: its fire matches name no fire).
LETTER_STANDING_SIGNALS = frozenset({"fire"})
FIRE_OR_SMOKE = re.compile("着火|著火|起火|失火|火灾|火势|火苗|火光|火情|火警|明火|冒烟|浓烟|黑烟|烟雾|[焦燃爆炸烧]")
# A rotten-egg smell in a letter that names a factory or emissions around it is the plant's (硫化氢), not a gas leak:
# 化工园区…空气里就有一股很刺鼻的味道，像烂鸡蛋又像农药.
_INDUSTRY = re.compile("化工|工厂|厂子|厂区|工业园|园区|企业|排放|偷排|排污|烟囱|废气")
_UNRESOLVED = re.compile("一直|至今|仍然|仍旧|还没|没(查清|解决|处理|修好|人管)")
_SENTENCE_END = re.compile("[。！？；!?;\n]")
# A sentence or clause is read at most this far either side of a match: a text that runs on without a full stop
# (晕倒晕倒… ten thousand characters) would otherwise be read whole at every match, its time growing as its square.
PART_LIMIT = 300
_CLAUSE_END = re.compile("[。！？；!?;\n，,、：:]")
# Words that date something past (去年, 上次, 那回); `_PAST` adds the vaguer ones (以前, 曾经, 当时, 有一次).
_DATED_PAST = "去年|前年|几年前|前几年|前些年|早些年|那年|当年|早年|上次|上回|上趟|上个月|那次|那回"
_PAST = re.compile(_DATED_PAST + "|以前|曾经|之前|当时|有一次|有一回|过一次|过一回|过几次|过好几次")
_SUPPOSING = "万一|如果|要是|一旦|假如|倘若"
_HYPOTHETICAL = re.compile(_SUPPOSING + "|担心|怕|以免|隐患|防止|预防|不堪设想|真要|要真|真的要")
# (到现在: "until now" in a story; 现在想起来: looking back; 现在是谁在处理: a question about a ticket;
# 现在放心多了: settled. 赶紧/立即 are left out: stories say them too.)
_NOW_SETTLED = "[都也]?(没事|好了|放心|挺好|好好的)|(已经)?(出院|回家休养|恢复营业)(了)?|[^。，, ]{0,5}没(有)?(味|味道|味儿)?了"  # (after 现在: it is over, not going on)
_PRESENT = re.compile(
    "(?<!到)现在(?!想|回想|是谁|谁在|由谁|(什么|啥)?(情况|进展|进度)|怎么样|咋样|到哪|处理到|哪能|"
    + _NOW_SETTLED
    + ")|正在|刚才|刚刚|马上|还在|此刻|这会儿"
    "|眼下|快来|救命|紧急"
)
# A medical, hazard or other danger match in a letter counts only when its sentence or the next one says now (刚才发现
# 租客叫不醒, 我已经打了120, 现在广告牌在半空中来回晃): letters tell collapses, accidents and old buildings as the history
# or the ground of their need (拖到第五天母亲人已经休克了, 上周三一位老人突发脑梗, 公厕长年无人管理已成危房). Measured over
# every letter in tests/data and the examples: 28 false alarms fewer (8 held back), no urgent letter lost. (Fire, gas
# and self-harm keep their own rules; a person alone not seen for days is left as it was: no letter tells one.)
LETTER_NOW_SIGNALS = frozenset({"medical", "hazard", "person", "danger", "violence_at_home"})
LETTER_NOW = re.compile(_PRESENT.pattern + "|今天|今早|今晚|(已经|刚)?(打了|拨了|叫了|在打)120")

# A chat message about an earlier danger (a status query or thanks about yesterday's gas leak: 昨天报的煤气味
# 那单怎么样了, 昨晚着火的事多亏你们来得快), asking what to do should one happen (万一家里漏气了怎么办,
# 遇到着火往哪跑) or retelling one seen elsewhere (新闻上说隔壁区有栋楼着火了, 天然气泄漏演练) tells no danger
# now, unless it says something of now (还有味, 又冒烟, 快来…): its gas, fire, danger and medical matches do
# not count. Self-harm always counts.
ALWAYS_NOW_SIGNALS = frozenset({"self_harm"})
# A status query's danger must be named as reported in its clause (上午报的煤气味那单: a ticket already open),
# not only timed (早上起来闻到煤气味，什么时候来人 is a danger now); thanks may also just time it.
_REPORTED = re.compile(
    "报(的|过|了|咗|𠮶)|反映(的|过|咗)|提交的|工单|单子|那单|单号|那个单|的事|那个事|那件事|那事|那次|那回"
)
_EARLIER = re.compile(
    "昨天|昨晚|昨日|昨儿|琴日|前天|前两天|前几天|前些天|上午|早上|早晨|上周|上礼拜|上星期|上个月|上次|上回|上趟|之前"
    "|那天|当时|后来|幸亏|幸好|多亏|及时|来得快"
)
_ONGOING = re.compile(
    _PRESENT.pattern
    + "|还(有|是(?![^。!?吗]*\\?|先)|在|冒|漏|闻|响|烧|[着著])|又|一直(有|在|是|冒|漏|闻|响|烧)|越来越|(?<![我俺])(赶紧|赶快)|尽快|快点|快派|快过来"
)
# (Not 担心/怕 as in a letter: "有股煤气味 怕是漏了" is one clause of a chat message. The questions about
# rules and habits, 燃气报警器一般多久换一次, 电动车为什么不能在楼道充电: not 怎么用, as in 灭火器怎么用 油锅着火了.)
_WHAT_IF = re.compile(
    _SUPPOSING
    + "|遇到|遇上|会不会|防止|预防|避免|以防|怎么防|如何防|怎样防|提前了解|一般|通常|为(什么|啥)(不能|不让|不可以|禁止)"
    "|多久(要|需要|得|该)?换|要不要紧|要紧不|哪个(便宜|划算|省钱)|多长时间换|装在[^。!?]{0,8}还是|(为什么|为啥)[^。!?]{0,10}会|有(什么|啥)(规定|要求)|是什么意思|注意事项|(要|需要|该)注意(什么|啥|哪些)"
    "|(哪里|哪儿|去哪|在哪)(能|可以)?买|哪种|(什么|啥|哪个)牌子|区别|有没有必要|有必要"
    # (questions of knowledge: which is safer, whether something catches fire easily, still usable, true)
    "|哪个(更|比较|最)|容易(起火|着火|爆炸|漏气|中毒|自燃)|(风险|危险)(大不大|高不高|大吗|高吗)|是真的吗|真的假的"
    "|靠谱吗|是一回事|还能用|能不能随便|能随便|(有没有|有什么|有啥|什么|啥)规定|规定(是)?(咋|怎么)|让不让"
)
# The usual cause or handling asked right after a danger's words (插座冒火花一般是什么原因啊): knowledge.
_USUAL_CAUSE = re.compile(
    "(一般|通常|一般来说)[^。!?]{0,6}(什么|啥)原因|(一般|通常)(是|会)?(因为|由于)|(一般|通常)(该|要|应该)?(怎么|如何)(处理|办|做)"
    "|有(哪些|什么|啥)(症状|表现|危害)"  # (一氧化碳中毒有哪些症状)
    # (燃气泄漏的时候是不是不能开灯, 电池着火为啥那么难灭, 着火了应该往楼上跑还是往楼下跑, 是一回事吗)
    "|的时候(是不是|应该|该|要不要|能不能|可以)|是不是不能|是一回事|为(啥|什么)[^。!?]{0,4}(难|容易|不能)|(应该|该)往[^。!?]{0,6}还是"
)
# A topic named at the end of a greeting, nothing told of it (在吗？关于灭火器的事).
TOPIC_ONLY = re.compile("(想(问|咨询|了解|打听)(一下|下|问)?|关于)[^,，。?？!！ ]{1,10}(的事|的事情|的问题)[?？。!！~ ]*$")
# How to use or choose a thing of safety, asked with only a danger's hints (灭火器怎么用, 液化气罐放阳台安全吗, 要不要买个报警器).
HOW_TO = re.compile(
    "怎么用|怎么使用|如何使用|咋用|(应该|该)(怎么|咋|如何)(救|自救|处理|逃生)|安全吗|要不要(买|装|换)|推荐|装在(哪|什么)"
    "|还能(继续)?(用|充|骑)|能不能(继续)?(用|充)"
)
# A question asked to learn, said so (长长知识, 纯好奇): 煤气泄漏了应该先开窗还是先关阀门？长长知识.
KNOWLEDGE = re.compile(
    "长(长|个)?知识|涨知识|科普一下|想(先)?学学|学习一下|考考(大家|你们|你|大伙)|1[12][09]还是1[12][09]|(火警|报警|急救)电话(是|打)?(多少|几号)|(纯|单纯|就是)好奇|好奇问|(想|先|提前)了解(一)?下|(单纯|就是|随便)问问|问问而已|学到了|想学一下|(老是|总是|老)?记混|(还是|或者)直接打1[12][09]|千万不能[^。]{0,6}对吧"
)
_TOLD_ELSEWHERE = re.compile(  # (before the match, in its sentence)
    "(新闻|电视|视频|抖音|快手|报纸|网上|朋友圈|群里)[ ,]?(上|里|中)?[ ,]?(都在|在|正在)?(说|讲|报道|播|放|演|看到|看见|刷到|转)|电视剧|电影"
    "|小说|动画|动漫|(悬疑|古装|宫斗|谍战|韩|美|日|短|网)剧|追剧|看剧|剧情|热搜|直播|科普|短视频|剧里|书里|看了个|刷到|(抖音|快手)上|新闻里|视频里(?![^,，。 ]{1,3}说)|那个视频|网文|看(了)?新闻"
    # a memory (not 以前 alone: 以前的管子漏气了 is now)
    "|年轻(的)?时(候)?|小时候|旧社会|讲古|老一辈|[几二三四五六七八九十\\d]+年前|当年|那年"
)
# A danger lived through (漏过一趟煤气, 燃气泄漏过, 着过一回火): told as a memory in a chat message that says
# nothing of now and nothing still wrong (see `supposes`).
_LIVED_THROUGH = re.compile(
    "(漏|泄漏|泄露|着|著|失|起)(过|了)(一|几|好几|两)(次|回|趟)|(漏|泄漏|泄露|着火|著火|失火|起火|爆炸|漏气)过"
    "|(着|著|失|起)过(一|几|好几|两)?(次|回|趟|场)?(大)?火"
    "|(着火|著火|失火|起火|火灾|漏气|泄漏|爆炸|中毒)的?那(一)?(回|次|年)"  # (上个月楼下着火那回)
    "|(晕倒|昏倒|晕|中风)过(一|几|好几|两)?(次|回)|住过院"  # (晕倒过一回: a collapse lived through)
    "|烧起来过|火烧过|被电(打|击)过"  # (隔壁烧起来过一趟, 年轻时候被电打过一次)
)
# A fire told as over in a chat message that says nothing of now: timed in its own words (上次着火把楼道灯烧坏了,
# 去年那场火灾) or followed by what came after it (火灾后家里电线都得重新走). What is asked is its aftermath.
# (Only the event of a fire: a standing hazard told as reported before, 上次反映的楼道充电, is still there.)
_FIRE_EVENT = re.compile("着火|著火|失火|起火|火灾|大火|烧(了|起来|着|坏|毁|没|掉)|[着著]了")  # (楼下着了: its match)
_FIRE_TIMED = re.compile(_DATED_PAST + "|前天|上周|上礼拜|上星期|那场")  # (not 以前: 以前的管子 is still there)
_NEAR_MISS = re.compile("差点|差一点|险些|几乎")  # (上次差点烧起来: the hazard that nearly did it is still there)
_FIRE_AFTERMATH = re.compile("(之后|以后|过后|后(?!面|头|边|门|院|楼|窗)|那户|那家|那[栋间]|的那)")
# A forwarded notice, or an opinion on a rule (电动车该不该进电梯, 早就该管了 我支持), frames its whole sentence,
# wherever the danger is placed (see `told_as_earlier`).
_NOTICE = re.compile(
    "温馨提示|小常识|小知识|安全提示|防火提示|转发|转给大家|【转】|请勿|告示|严禁|(物业|社区|居委会)?提醒[:：]|(觉得|认为)[^。]{0,12}(该不该|应不应该)|早就该管|早该管|我也?(支持|赞成|反对)"
    "|应该(严管|禁止|严查)"
    # an appeal to the neighbours about a habit (电瓶车莫推到楼道里充电, 注意通风 防煤气中毒, 看好自家孩子)
    "|(别|不要|莫|不准)(再)?(推|把|往|在|拉)[^。!?]{0,10}充电|注意(通风|防)|防(煤气|一氧化碳|溺水)|看好(自家|自己家|家里)?的?(孩子|小孩|娃)"
)
# Hearsay (听说…) in a danger's own words tells of elsewhere, unless they place it at home or near
# (听说我们楼着火了, 听说隔壁着火了, 听说3栋冒烟了; not 隔壁小区).
_HEARSAY = re.compile("听说|据说")
_NEARBY = re.compile("隔壁(?!小区|区|街道|镇|村|县|市|省|单位|公司|学校|班)|\\d+(栋|号楼|幢|单元)|这栋|那栋|我们这|咱这|咱们这")
# A chat message that calls off the danger it tells (see `called_off`).
_RETRACTED = re.compile(
    "(?<!是不是)(?<!是否)(虚惊|误会|误报|搞错|弄错|看错|闻错|闻岔|听错|发错|手滑|乱按|按错|点错|撤回|是假的|假消息|谣言"
    "|别管了|不用管|不用派人)"
)
_SETTLED = re.compile(
    "没事了|冇事|啥事没有|(还好|幸好|好在)(人)?没事|(别|不用|(?<!要)不要|无需|用不着|莫)(报警|打119|惊慌|慌|紧张|害怕|报(?![修名]))|(一点|一丝|啥|什么)(味|味道|味儿)?都没(有)?了|没什么事|没啥事|放心了|(这边|这里|这点|这儿|这头|家里|我家)[^。，,]{0,2}(没事|莫得事|没得事|冇得事)|莫得事了|不用(来|理|担心)|(?<!是)不是(真(的)?)?(煤气|燃气|天然气|着火|火灾|漏气|失火)"
    "|(已经|早就|早已)(浇灭|踩灭|按灭|扑灭|灭了)|(?<!火)(按|踩|扑|浇|拍|盖|捂)灭了|没事体|没味了|(现在|已经)都?好了|现在好好的|就好了(?![吗吧呢?])"
    "|没事没事|没事啊"
    "|(?<!不)是(消防)?(演习|演练)[啊呀哈嘛!！。 ]*$"  # (what it was, at the end: not 那现在那股黑烟也是演练？)
)
# A request called off because it is sorted (see `_takes_back`).
# (Not 以后不用管我了, 下周不用来了: farewells.)
_MISSENT = re.compile("发错(了|人|群|地方)|手滑|撤回|(按|点)错了")
_CANCELLED = re.compile("不用派人|不用来人|(那条|那个|刚才|刚说)[^。]{0,6}不用管了|^不用了|撤单|撤了|想撤|取消|不报了")
_SORTED = re.compile("(修|弄|整|搞)好了|搞定了|已经好了|没事了|已经(赶|跑)?(过去|到)了")
_SELF_HANDLED = re.compile("自己(去|来)(办|弄|处理|跑)")  # (别找我了 我自己去办: the resident will see to it)
_DREAMT = re.compile("梦见|梦到|做梦(?![都也]没想到)|噩梦|做了个梦")  # (not 做梦都没想到: never imagined)
# A figure of speech: 热得冒烟, 手机烫得要着火了, 嗓子都冒烟了, 辣得嘴里冒火, 激动得差点晕倒, 吵得火星四溅 (its clause, up to the danger
# word); not 屋头, 里头 (places).
FIGURATIVE = re.compile(
    "(热|烫|渴|急|忙|气|辣|晒|累|吵|讲|说|看|算|想|绿|红|恋|火大|快)得[^,。 ]{0,4}(冒(烟|火)|[着著]火|烧起来|冒火星)"
    "|(嗓子|喉咙|脑袋|脑壳|头顶|脑门|(?<![屋里外上前后楼车炉灶])头|嘴|嘴里|心里)(都|要|直)?(在)?冒(烟|火)"
    "|(炒|煎|炸|熬)(到|得)冒烟"  # (cooking: 辣椒炒到冒烟才香)
    "|(得|就)[^,。 ]{0,6}(差点|想|快|要)(晕倒|晕过去|昏过去)|火星四溅|太火了|(看|吓|气|惊)得(我)?[^,。 ]{0,2}心脏骤停"
)
# Words that place a danger at the writer's own home, building or family (see `told_as_earlier`); not 小区 or
# 隔壁 alone, which news and stories name as often (新闻上说 隔壁区有栋楼着火了).
_AT_HOME = re.compile(
    "我家|我们家|俺家|咱家|我屋|家里|家头|屋里|屋头|屋企|屋里厢|我们楼|我们小区|咱们小区|咱小区|我们单元|我们这栋"
    "|厨房|卫生间|阳台|卧室|客厅|楼道|楼梯|楼下|楼上|对门|我妈|我爸|老伴|我奶奶|我爷爷|我老公|我老婆"
)
_TURN = re.compile("不过|但是|可是|但(?!愿)|可惜|只是|没想到|谁知")  # (see `told_as_earlier`)
_DENIED_OR_QUOTED = re.compile("不是|没有|没|[\"“”「」『』]")  # (see `_reports_anew`)
_TOLD_WHAT = re.compile("是.{0,8}的")  # (what it was: 是电视里的; see `_reports_anew`)
_THOUGHT = re.compile("以为")
_TURNED_OUT = re.compile("原来|其实|结果是|才知道|一看是|后来发现|发现是|一问才知道")
# A search before what it turned out to be (找了半天 原来是粥熬糊了): the danger was only supposed.
_SEARCHED = re.compile("找了?(半天|一圈|好久|一会)|查了(半天|一圈)|翻了(半天|一圈)|(下去|过去|上去|出去)(看|问)")
# A smell or smoke named as the one told before, then what it was (那股焦味是楼下烤红薯的炉子; not 是从…: where from).
_EXPLAINED = re.compile(
    "(那股|那阵|这股|那个|刚才那|早上那|中午那|昨晚那|晚上那|昨天那)[^。,，]{0,8}(味|烟|火光|火)[^。,，]{0,3}(是(?!从|哪|不是)|找到了)"
)
# (差点以为着火了, 好多人以为真着火了: it was not)
_ALMOST_THOUGHT = re.compile("差点(以为|当成|当作)|还以为|(好多人|很多人|不少人|大家|别人|邻居)(都)?以为")
# The cause of a danger told (听说是电动车在家里充电引起的): the danger it caused is over (see `told_as_earlier`).
CAUSE = re.compile("(是|因为)[^。，,]{0,14}(引起|导致|造成|引发|惹的祸)")
_DANGER_AGAIN = re.compile(
    "现在(?!" + _NOW_SETTLED + "|[都也]?没了)|正在|还在|还有(味|烟|火)|还是(不行|没|有)|又(?![快好])|越来越|快来|快派|救命|紧急"
    "|但(?!愿)|可(是|他|她)|这回|这次|不一样"
)
# Words of something burning, smoking, leaking or an alarm sounding in a danger pattern's match (not 灭火器, 防火门).
_BURNING = re.compile("[着著烧冒烟焦糊味漏嘶滋炸爆响叫鸣]|(?<![灭防消])火(?![器栓门])")
# A question about a thing or a rule (还能用吗, 能不能进电梯, 会不会爆炸), not what to do now (怎么办, 咋整).
_ASKS_ABOUT = re.compile("[吗?？]|还能用|(能|会|要|是|有|该|可)[不没]\\1|多久|几年|安全不")
# A story, a film or the news told of, and the writer's own words (see `told_of_a_story`).
_STORY = re.compile(
    "电影|电视剧|小说|新闻|剧里|戏里|套戏|那部戏|书里|动画|动漫|热搜|报道|短视频|抖音|快手|纪录片|剧本杀|《|这剧|追剧|这部剧|游戏里|谣言|网上说|网传"
)
# (那个跳楼的新闻你们看了冇, 跳楼新闻是假的, 有人跳楼是谣言)
_STORY_NAMED_AFTER = re.compile("的?(新闻|视频|电影|电视剧|报道|帖子|短视频)|[^。，,]{0,4}是(谣言|假的)")
_DIED_AFTER = re.compile("[^。，,]{0,2}(走的|走了|去世|死的|没的)")
_YEARS_AGO = re.compile("[0-9一二三四五六七八九十几两多]+年(了|前)|当年|那年|那会儿|早年|多年")
_FIRST_PERSON = re.compile("我|俺|咱|自己|偶|吾|阿拉|侬")
_REACTION = re.compile(
    "(看|听|吓|哭|弄|搞|惹)得(我|俺)|吓(我|俺)一跳|不敢看|看不下去|(我|俺)?(直接)?跳过了|(我|俺)?(喊|哭)(到|得)(唔停|不停|稀里哗啦)|(我|俺)(妈|爸|娘|爹|老伴|家人|们全家)"
    "|(我们|咱们|俺们|咱)(这|这里|这边|社区|小区|村|学校)"  # (a place: 我们这的学校有没有心理老师)
)
THING_SIGNALS = frozenset({"fire"})  # the signal whose patterns also name equipment and rules
# Signs of self-harm said to be a joke (see `laughed_off`).
# (Not hedged: 开个玩笑吧可能 hid a real sign in tune53.)
# (Not bare 开玩笑 nor a joke said anywhere for the self-harm model's reading: each lost held-back signs.)
_JOKE_SAID = re.compile("(开玩笑的|开个玩笑|说着玩的?|逗你们?(玩)?的)(?![吧啦]?(可能|吗|么|\\?|？))")
_NOT_JOKING = re.compile("(不是|没|没有|没在|不|别|不要)(在)?(跟你们?)?(开玩笑|说笑|逗你)|说真的|认真的|真心的")
# Smoke or burning as a habit from a factory, a chimney or waste (see `_burns_as_a_habit`).
_SMOKE_SOURCE = re.compile("厂|烟囱|烟筒|收购站|废品站|烧垃圾|烧秸秆|焚烧|搅拌站|锅炉房|窑")
_HABIT = re.compile("天天|每天|每晚|经常|老是|总是|隔三差五|三天两头|持续|好几个月|一到晚上|常年|偷偷|偷排|排放|排黑烟|往外排")
# A fire that took the home, and aid asked for (see `_asks_aid_after_a_fire`).
_AID_ASKED = re.compile("救助|救济|补助|补贴|低保|困难帮扶")
_BURNT_OUT = re.compile("烧(没|光|完|掉|了)|遭了?(一场)?火灾|失火|着了?(一场|场)?火")
# A fire burning now (火苗, 还在烧, 快来), and a fire named at all (起火): see `fire_not_now`.
_BURNING_NOW = re.compile("还在烧|正在烧|火还|火越|火苗|火光|明火|蔓延|烧到|快来|救命|119")
_FIRE_NAMED = re.compile("[着著]火|起火|烧着")
# (Not 有股没气味: 没气 is a homophone of 煤气; nor 奶奶说她闻不到: the one who cannot smell it is not the one who tells.)
# Someone hurt (a body harmed, not 没人受伤): an urgent message with these words gives the ambulance's number first.
_PERSON = "人|孩子|小孩|娃|宝宝|老人|大爷|大妈|大哥|大姐|阿姨|他|她|我|妈|爸|爷爷|奶奶|外婆|外公|老伴|工人|邻居"
HURT = re.compile(f"流血|出血|血流|({_PERSON})[^。，,]{{0,10}}(掉|摔|跌|滚)下来|坠楼|骨折|咬伤|({_PERSON})[^。，,]{{0,3}}被[^。，,]{{0,3}}咬"
                   "|烫伤|烧伤|头[^。，,]{0,3}(破|流血)|不省人事|昏迷|晕倒|晕过去|(?<!没人)(?<!没有)(?<!无人)(?<!没)(?<!冇人)受伤|伤得")
NO_GAS_SMELL = re.compile("没(有)?闻到(煤气|燃气)?(的)?(味|气味)|没(有)?(煤气|燃气)?味(道|儿)?|没(有)?漏气|没漏|不漏气|无闻着|没什么味|唔系漏气|没闻着味|冇味")
# What makes a letter's grievance 信访化解 (taxonomy.md: long-running grievances, repeated petitions, historical issues)
# rather than the story of complaining that frames every letter to the board (市长信箱, 踢皮球, 没有下文, 反映到).
PETITION_ITEM = "dispute.petition"
LONG_RUNNING = re.compile("上访|信访|申诉|遗留|多年|几十年|十几年|反复")
# Where noise comes from (taxonomy.md's boundary): construction, shops, factories, schools and traffic, or the
# neighbours (a shop next door is a shop: 隔壁汽修店; 广场舞 is neighbours' daily life, as the taxonomy says).
NEIGHBOURS_NOISE_ITEM = "dispute.noise_dispute"
BUSINESS_NOISE_ITEM = "environment.noise"
NOISE_FROM_BUSINESS = re.compile(
    "工地|施工|工程|打桩|挖掘机|搅拌|混凝土|机械|店|商铺|商家|门面|超市|酒吧|歌厅|ktv|卡拉ok|夜宵|烧烤|大排档|饭馆|餐馆|麻将馆"
    "|棋牌室|茶馆|网吧|工厂|厂房|车间|修车|汽修|学校|高架|高速|车流|火车|铁路|地铁|飞机|广告"
)
NOISE_FROM_NEIGHBOURS = re.compile("隔壁|邻居|楼上|对门|合租|室友|租户|广场舞")
OVER_SIGNALS = frozenset({"fire"})  # the signal whose event a chat message may tell as not burning now (`fire_not_now`)
ENDED_SIGNALS = frozenset({"gas", "fire", "medical"})  # the signals whose event a chat message may tell by how it ended
# The signal whose event a chat message that says nothing of now may tell as past by its time alone (去年在家晕倒过一回,
# 上次叫救护车花了三千多 医保能报多少): see `timed_in_the_past`.
TIMED_SIGNALS = frozenset({"medical"})
_TIMED_PAST = re.compile(_PAST.pattern + "|前几天|前些天|上礼拜|上周|上星期|后来(咋样|怎么样|如何)")
# A person's fall told as it is now (老人在家摔倒了, 我妈摔了一跤, 老伴滑倒了快来): a short chat message that names who fell
# (not a phone, a bike, a cat or the stock market) and ends with the fall or a call for help after it (not
# 摔倒了能自动报警, 摔倒了别急着扶, 他摔倒了，又站起来了), with no question and nothing that tells it as past, supposed, feared, warned of, nearly
# happened, seen or heard elsewhere, joked about or over (老人摔倒了该不该扶, 怕摔, 别摔倒了, 差点摔了, 抖音上…, 听说…,
# 哈哈…滑冰, 已经扶起来了), is a request for help, whatever the kind model's odds for its few words; its item is 就医协助
# unless the message names another need clearly (see `Classifier.classify`).
_FALLER = (
    "(老人|老年人|老头|老太|老汉|老爷子|大爷|大妈|大娘|奶奶|爷爷|姥姥|姥爷|外婆|外公|婆婆|公公|阿婆|阿公|阿爷|阿嫲|老伴|老公"
    "|老婆|媳妇|丈夫|妻子|爸|妈|娘|爹|父亲|母亲|儿子|女儿|孩子|小孩|娃|孙子|孙女|邻居|阿姨|叔叔|伯伯|嬢嬢|婶|有人)"
    "[^,，。!！?？ ]{0,10}?|我(刚|刚才|刚刚|在[^,，。!！?？ ]{1,5})?"  # (I myself: 我刚在厨房摔倒了, not 我家猫)
)
_PERSON_FELL = re.compile(
    "(?P<who>" + _FALLER + ")(?P<fell>摔倒|跌倒|滑倒|绊倒|栽倒|摔了一跤|滑了一跤|跌了一跤|摔了一下|摔跤|摔在地上|摔地上|摔下来"
    "|跌下来|摔(?=[了啦咗]))"
    "(了|啦|咗)?([啊呀啦哦喔]|!|！|…|。|~)*[,， ]*(?=$|快|请|帮|赶紧|救|怎么办|咋办)"
)
_FALL_NOT_NOW = re.compile(
    _TIMED_PAST.pattern + "|" + _STORY.pattern + "|" + _HEARSAY.pattern
    + "|昨天|昨晚|前天|那天|小时候|差点|差一点|怕|担心|万一|如果|要是|梦|以为|别|小心|容易|防|视频|朋友圈|电视|还是"
    "|还好|幸好|幸亏|没事|没大碍|已经(好|扶|来|处理|送|没事|回)|好了|不用|哈哈|笑|😂|社死|丢人|滑冰|滑雪|溜冰|比赛|踢球|打球"
)
FALL_MAX_CHARS = 40
_A_THING_DROPPED = re.compile("[把将]|的(?![^把将]*(厕所|卫生间|厨房|浴室|房|家|楼|门口|床|地|路|院|阳台))")  # (not 家里的厕所)
# A gas leak or a fire told by how it ended, in a chat message that says nothing of now (上礼拜楼下饭店着火 … 没人受伤,
# 上次厨房起火 幸亏我老伴拿湿毛巾盖住了 现在想起来还后怕): see `tells_how_it_ended`.
_ENDED = re.compile(
    "后怕|虚惊一场|没出事|(还好|幸好|幸亏)[^。]{0,4}闻到|赶紧关(了)?火|(没|冇|无)(有)?(人)?(受伤|伤着|伤到)|人都没事|(很快|一会儿?|几分钟|十几分钟|马上)就?(给)?(灭|扑灭|浇灭)了"
    "|(给|被|就|都)(扑灭|浇灭|弄灭)了|(抢救|救)(过|回)来了|脱离(了)?危险|(已经|都)出院了"
)
# A simile (嘴跟漏了气的煤气罐似的, 做饭跟放火一样): a danger it likens to is not what the message tells: no evidence of the
# item (`Classifier._dangers_likened`) and no urgent signal from a match inside it (`Classifier._urgent_matches`).
SIMILE_ENDING = re.compile("似的|一样|一般|一个样")
# (A simile's ending or a figure of speech's danger word: see `Classifier._dangers_likened`.)
LIKENING_HINT = re.compile(SIMILE_ENDING.pattern + "|[冒火晕昏]")
SIMILE = re.compile("(跟|像|好像|好比|如同|赛过)[^。，,！!？?\\s]{1,8}?(似的|一样|一般|一个样)")
_STARTLED = re.compile("吓(了|我|得我)?一(跳|大跳)|吓死(我|人|宝宝)?了?")
_CHAT_CLAUSE_END = re.compile("[。！？；!?;\n，,、：: ]")
_DRILL = re.compile("演练|演习|讲座|培训|测试|安全教育|教(小朋友|孩子们?|大家|我们)")  # (in the match's clause: 天然气泄漏演练, 测试烟感报警器)
# (A question also by its A-not-A form: 行不行, 会不会, 是不是, 有没有; and 几年, not 好几年.)
QUESTION = re.compile("[?吗呢嘛]|怎么|如何|怎样|应该|哪|什么|啥|咋|多久|多长时间|为何|(?<![好这那前十])几年|([^\\W\\d_])[不没]\\1")
# A chat message that opens with thanks, and asks, wants or hurries nothing (帮我扛煤气罐上楼 is thanks for the
# help, 谢谢 能不能再来看看 a request), nor says anything of now or again (see `only_thanks`).
_TAUGHT_HOW = re.compile("教(他|她|我|我们|大家|老人|我妈|我爸|俺)?(怎么|如何|咋)")
_OPENS_WITH_THANKS = re.compile("谢谢|感谢|多谢|太感谢|太谢谢|辛苦|thx|thanks|3q")
_WANTS = re.compile("能不能|可不可以|可以|能否|请|麻烦|想|需要|希望|快|急")
ASKS_TO_ACT = re.compile("帮|派人|上门|来人|过来|来看|检查(?![了过])|安装|装个|换个|麻烦|请(?!大家|家长|各位|居民|业主)[^。]{0,4}(来|派|查|看)|希望|建议|组织|搞(个|一个|一下|点|些)")
_ASKS_FOR_HELP = re.compile(ASKS_TO_ACT.pattern + "|能不能|可不可以|能否")  # (asking whether one may, too)


# The predicates: what a text, or a match in it, tells (pure functions of the text).
def clause_windows(text: str, size: int) -> list[str]:
    """From each clause of a chat message on, the clauses that together reach `size` characters (the last ones
    shorter)."""
    clauses = [clause for clause in _CHAT_CLAUSE_END.split(text) if clause]
    windows = []
    for i, clause in enumerate(clauses):
        window, j = clause, i + 1
        while len(window) < size and j < len(clauses):
            window, j = window + " " + clauses[j], j + 1
        windows.append(window)
    return windows


def last_position(match: re.Match[str]) -> int:
    """Where a match's words end (what to read around: patterns anchored at the text's start span every
    sentence before their words)."""
    return match.end() - 1 if match.end() > match.start() else match.start()


def own_words(text: str, match: re.Match[str]) -> tuple[int, int]:
    """A match's span within the clause where it ends (some patterns span every sentence before their
    words)."""
    return max(match.start(), _part_start(text, last_position(match), _CLAUSE_END)), match.end()


def affirmed(text: str, match: re.Match[str]) -> bool:
    """Whether a match is not negated by 没/不/无/没有… right before it."""
    before = text[max(0, match.start() - 2) : match.start()]
    return not before or (before[-1] not in NEGATIONS and before not in NEGATION_WORDS)


def next_sentences(text: str, match: re.Match[str]) -> str:
    """A match's sentence and the one after it."""
    end = last_position(match)
    stop = min(len(text), end + 1 + 2 * PART_LIMIT)
    ends = _SENTENCE_END.finditer(text, end + 1, stop)  # (the first two are read, not all the letter's)
    next(ends, None)  # (the match's own sentence ends)
    following = next(ends, None)
    return text[_part_start(text, end, _SENTENCE_END) : following.end() if following else stop]


def a_plants_smell(text: str, match: re.Match[str]) -> bool:
    """Whether a rotten-egg smell (像烂鸡蛋) is told with a factory or emissions in its sentence, the one before or
    the one after (see `_INDUSTRY`)."""
    if "蛋" not in match.group():
        return False
    start = _part_start(text, match.start(), _SENTENCE_END)
    before = _around(text, start - 1, _SENTENCE_END) if start > 0 else ""
    return bool(_INDUSTRY.search(before) or _INDUSTRY.search(next_sentences(text, match)))


# A letter dates what it tells as history (2018年10月弱电井起火, 在18年的下半年…引起2次火灾, 2019年8月2日…发生火灾), or
# tells it as what keeps happening (多次火灾, 起火现象司空见惯, 起火的可不少案例, 发生了3起火灾): the ground of its need.
_LETTER_DATED = re.compile(r"(19|20)\d\d年|\d\d年的?[上下]半年|\d{1,2}月\d{1,2}[日号]")
_RECURRING = re.compile("多次|屡次|屡屡|频发|司空见惯|案例|[0-9几两三]+起")
_SUPPOSED = re.compile(_SUPPOSING + "|一但")  # (一但: how 一旦 is often typed)


def told_as_background(text: str, match: re.Match[str], *, past_only: bool) -> bool:
    """Whether a match in a letter is told as past or hypothetical (`past_only`: as past and resolved), and its
    sentence says nothing of now; supposed in its own clause (一旦发生火灾), whatever its sentence says of now."""
    end = last_position(match)
    if not past_only and _SUPPOSED.search(_around(text[: end + 1], end, _CLAUSE_END)):
        return True  # (现在正直夏天高温…一但发生火灾，消防栓被挡: the fire is supposed)
    sentence = _around(text, end, _SENTENCE_END)
    if _PRESENT.search(sentence):
        return False
    if past_only:
        return bool(_PAST.search(sentence)) and not _UNRESOLVED.search(sentence)
    before, after = _around(text[: end + 1], end, _SENTENCE_END), _around(text[end:], 0, _SENTENCE_END)
    # Supposed or feared: said before it in its sentence (我担心万一着火，杂物会让火势更大) or after it in its clause.
    supposed = before + _around(text[end:], 0, _CLAUSE_END)
    # Or of the news, before it in its sentence (看到新闻里电动车起火烧死人的事) or after it (…发生火灾，而消防车进不去的报道,
    # …是谣言): a fire elsewhere, as in chat (`_STORY`, `_STORY_NAMED_AFTER`).
    return bool(_PAST.search(sentence) or _LETTER_DATED.search(sentence) or _RECURRING.search(sentence)
                or _HYPOTHETICAL.search(supposed) or _STORY.search(before) or _STORY.search(after)
                or _STORY_NAMED_AFTER.search(after))


class NotNowFrame(NamedTuple):
    """How a chat message that says nothing of now frames the dangers it tells (see `not_now_frame`)."""

    earlier_kind: str | None  # "status" or "thanks": it asks about or thanks for something earlier
    what_if: bool  # it tells a danger as supposed or seen elsewhere (`supposes`)


def not_now_frame(text: str, woken: Mapping[str, set[re.Pattern[str]]]) -> NotNowFrame:
    """For a (normalized) chat message that says nothing of now: "status" or "thanks" when it asks about
    or thanks for something earlier (`tells_of_earlier`), and whether it tells a danger as supposed or
    seen elsewhere (`supposes`); (None, False) for any other text. See ALWAYS_NOW_SIGNALS. `woken`: the patterns
    the text wakes, by group (`Classifier.woken_patterns`)."""
    if not says_nothing_of_now(text):
        return NotNowFrame(None, False)
    kind = None
    if tells_of_earlier(text):
        kind = next((k for k in ("status", "thanks") if kind_matches(text, woken, k)), None)
    return NotNowFrame(kind, supposes(text))


def told_as_earlier(text: str, match: re.Match[str], earlier: str | None, what_if: bool) -> bool:
    """Whether a match in a chat message that says nothing of now (`not_now_frame`) is told as
    earlier (its clause names the report: 昨天报的煤气味那单; in thanks also the time or the work done), as
    supposed (its clause, before it, says 万一/如果/遇到…: in its words between spaces, or anywhere before it
    when the clause asks after it, 万一 着火了 怎么办; or its usual cause asked right after it), as seen elsewhere (its
    sentence, before it: 新闻上说…; or a story named right after it: 着火的视频; its clause: 演练), as the cause of an
    earlier one (its clause: 是…引起的), or in a question the message says is asked to learn (长长知识)."""
    if KNOWLEDGE.search(text):
        return True  # a question asked to learn, said so, whatever else it says (119还是110 老记混)
    end = last_position(match)
    # A danger placed at home in words of its own (群里说要停水 我家厨房着火了; spaces part a chat message's
    # clauses) is told of now, whatever the other words say (not those words telling of earlier themselves:
    # 我爸上次晕倒叫的陪诊 那个单子…); elsewhere the whole clause and sentence count.
    own = _around(text, end, _CHAT_CLAUSE_END)
    here = _AT_HOME.search(own) and not _EARLIER.search(own) and not _PAST.search(own)
    clause_end, sentence_end = (_CHAT_CLAUSE_END, _CHAT_CLAUSE_END) if here else (_CLAUSE_END, _SENTENCE_END)
    clause = own if here else _around(text, end, _CLAUSE_END)
    start = _part_start(text, end, clause_end)
    after = clause[end + 1 - start :]
    # A turn before the match in its clause (谢谢上回修灶的师傅 不过今天厨房一股燃气味) starts what it tells.
    turn = _TURN.search(text, start, match.start())
    if turn:
        clause = clause[turn.start() - start :]
    if earlier and (_REPORTED.search(clause) or TICKET_NUMBER.search(clause)):
        return True
    if earlier == "thanks" and (_EARLIER.search(clause) or WORK_DONE.search(clause)):
        return True
    if CAUSE.search(clause) and says_nothing_of_now(text):
        return True  # (查出来是电动车充电引起的: the cause of a fire told, not a danger of now)
    head = text[: end + 1]
    # (Not a question asked before it: 如果是漏气怎么办 厨房一股煤气味 tells a smell now.)
    supposed = _WHAT_IF.search(_around(head, end, _CHAT_CLAUSE_END)) or (
        _WHAT_IF.search(_around(head, end, _CLAUSE_END)) and QUESTION.search(after)
    )
    return what_if and bool(
        supposed
        or _USUAL_CAUSE.search(after)  # (插座冒火花一般是什么原因啊)
        or _TOLD_ELSEWHERE.search(_around(head, end, sentence_end))
        or _STORY_NAMED_AFTER.match(text, match.end())
        or _NOTICE.search(_around(text, end, _SENTENCE_END))
        or (_HEARSAY.search(_around(text, end, sentence_end)) and not here and not _NEARBY.search(own))
        or _DRILL.search(clause)
        or _LIVED_THROUGH.search(clause)
    )


def timed_in_the_past(text: str, match: re.Match[str]) -> bool:
    """Whether a chat message that says nothing of now times a match in the past in its sentence (see TIMED_SIGNALS)."""
    return (
        says_nothing_of_now(text)
        and not _THIS_TIME.search(text)  # (上回我说我爸晕倒是虚惊 这回不一样 叫不应)
        and bool(_TIMED_PAST.search(_around(text, last_position(match), _SENTENCE_END)))
    )


def _told_as_over(text: str, match: re.Match[str]) -> bool:
    """Whether a fire in a chat message that says nothing of now is told as over: its own words (between spaces
    or punctuation) name the event and time it, or go on with what came after it (see _FIRE_EVENT)."""
    if not says_nothing_of_now(text):
        return False
    end = last_position(match)
    own = _around(text, end, _CHAT_CLAUSE_END)
    if not _FIRE_EVENT.search(match.group()) or _NEAR_MISS.search(own):
        return False
    start = _part_start(text, end, _CHAT_CLAUSE_END)
    return bool(_FIRE_TIMED.search(own, 0, end - start + 1) or _FIRE_AFTERMATH.match(text, match.end()))


def told_of_a_story(text: str, match: re.Match[str]) -> bool:
    """Whether signs of self-harm are told of a story, a film or the news (小说里主角割腕那段, 新闻说又有学生跳楼了):
    named before the match or right after it (跳楼的新闻), and no one of the writer's own (我, 俺, 自己…) from the match's clause on. (Not 朋友圈
    or 视频: a friend's post or a video call tells of someone the writer knows.)"""
    clause = _part_start(text, match.start(), _CHAT_CLAUSE_END)
    told = _STORY.search(text, 0, match.start()) or _STORY_NAMED_AFTER.match(text, match.end())
    if _DIED_AFTER.match(text, match.end()) and _YEARS_AGO.search(text):
        return True  # a death long past (我爸自杀走了已经十五年了, 我哥当年跳河走的)
    # (The writer's reaction is not the writer's own sign: 看得俺心里难受, 吓我一跳, 我妈看得直抹眼泪.)
    return bool(told) and not _FIRST_PERSON.search(_REACTION.sub("", text[clause:]))


def laughed_off(text: str, match: re.Match[str]) -> bool:
    """Whether signs of self-harm are said after them to be a joke (不想活了 开玩笑的), and nowhere a "no joke"
    (不是开玩笑, 说真的). (Laughter alone is not enough: 哈哈 right after the words hid a real sign in a held-back
    set.)"""
    return bool(_JOKE_SAID.search(text, match.end())) and not _NOT_JOKING.search(text)


def laughs_off_self_harm(text: str, woken: Mapping[str, set[re.Pattern[str]]]) -> bool:
    """Whether a chat message laughs off its signs of self-harm (`laughed_off`): then the self-harm model's
    reading of the same words is laughed off too. `woken`: as for `not_now_frame`."""
    return len(text) <= LETTER_CHARS and any(
        affirmed(text, match) and laughed_off(text, match)
        for pattern in woken.get("urgent:self_harm", ())
        for match in pattern.finditer(text)
    )


def asks_about_the_thing(text: str, match: re.Match[str]) -> bool:
    """Whether a chat message only asks about equipment or a rule its match names, nothing burning or leaking
    in the match's words (灭火器过期了还能用吗, 电动车电池能不能拿回家充电): the clause after the match, or the last
    one, is a question, and the message says nothing of now and asks no one to act (能不能 alone asks whether
    one may: 电动车能不能进电梯)."""
    if _BURNING.search(match.group()) or not says_nothing_of_now(text) or ASKS_TO_ACT.search(text):
        return False
    after = _around(text[last_position(match) + 1 :], 0, _CHAT_CLAUSE_END)  # (the rest of the match's clause)
    last = text.rstrip(" ,，。!！~")
    last = last[_part_start(last, len(last) - 1, _CHAT_CLAUSE_END) :] if last else ""
    return bool(_ASKS_ABOUT.search(after) or _ASKS_ABOUT.search(last))


def done_then_wrong_again(text: str) -> bool:
    """Whether a text tells work as done (修好了, not 修好了吗) and, after it, something wrong again or
    besides."""
    if not _WRONG_AFTER_DONE.search(text):  # (the rarer of the two: most messages stop here)
        return False
    for done in WORK_DONE.finditer(text):
        if not _DONE_QUESTIONED.match(text, done.end()) and _WRONG_AFTER_DONE.search(text, done.end()):
            return True
    return False


def tells_trouble_plainly(text: str) -> bool:
    """Whether a short chat message tells a trouble plainly and nothing else (`TROUBLE_TOLD`, thanks after it
    aside)."""
    if "了" not in text:
        return False
    told = COURTESY_AFTER.sub("", ASK_AFTER.sub("", COURTESY_AFTER.sub("", text)))
    return (
        len(told) <= TROUBLE_MAX_CHARS
        and bool(TROUBLE_TOLD.search(told))
        and not QUESTION.search(told)
        and not tells_of_earlier(told)
    )


def called_off(text: str, position: int) -> bool:
    """Whether a danger told at `position` of a chat message is called off: the message is taken back
    (发错了, 撤回, 虚惊一场, 看错了: anywhere), the danger settled after it (没事了, 放心了, 已经踩灭了), dreamt
    (梦见, in its sentence), a figure of speech (热得冒烟, in its clause) or mistaken (差点以为 in its clause; 以为…
    in its sentence, and after it 原来/其实/结果是; or 原来… right after it) — and nothing after it, or after the taking back,
    says danger again (现在还有味, 又冒烟, 这回是真的, 但…)."""
    if len(text) > LETTER_CHARS:
        return False
    head = text[: position + 1]
    clause = _around(head, position, _CHAT_CLAUSE_END)
    if FIGURATIVE.search(clause):
        return True  # a figure of speech whatever follows it (气得我冒烟 老头下棋又悔棋)
    if _DANGER_AGAIN.search(text, position + 1):
        return False
    retracted = _RETRACTED.search(text)
    if retracted and _reports_anew(text, position, retracted):
        retracted = None
    if (retracted and not _DANGER_AGAIN.search(text, retracted.end())) or _SETTLED.search(text, position + 1):
        return True
    # Mistaken: thought so (以为, in its sentence, before or after it) and then what it was (原来, 结果是), or
    # told at once what it was (冒烟 其实是水箱开锅了); a danger told after 原来 is no mistake (its own match).
    turned = _TURNED_OUT.search(text, position + 1)
    mistaken = turned and (
        _THOUGHT.search(_around(text[: turned.start()], position, _SENTENCE_END))
        or _SEARCHED.search(text, position + 1, turned.start())
        or len(_STARTLED.sub("", text[position + 1 : turned.start()]).strip(" ,，")) <= 2  # (焦味 吓一跳 原来是…)
    )
    explained = _EXPLAINED.search(text)
    return bool(
        _DREAMT.search(_around(head, position, _SENTENCE_END))
        or _ALMOST_THOUGHT.search(clause)
        or mistaken
        or (explained is not None and explained.start() <= position < explained.end())
    )


def _reports_anew(text: str, position: int, retracted: re.Match[str]) -> bool:
    """Whether, after a message taken back in words of their own (刚才那条发错了), a chat message tells a
    danger at home as it is (我家厨房着火了): not denied or quoted in its clause (不是我家着火, "家里冒烟"那句),
    nothing after it telling what it was (原来…, 是…的)."""
    start = _part_start(text, position, _CHAT_CLAUSE_END)
    own = _around(text, position, _CHAT_CLAUSE_END)
    return (
        retracted.end() <= start
        and bool(_AT_HOME.search(own))
        and not _DENIED_OR_QUOTED.search(own)
        and not _TURNED_OUT.search(text, position + 1)
        and not _TOLD_WHAT.search(text, position + 1)
    )


# 想死 said of missing someone (宝贝想死妈妈了, 想死你们了): the idiom, not a wish to die. The patterns know it; the models
# read 想死 whatever follows it.
_MISSING_SOMEONE = re.compile(
    "想死(你|您|我|他|她|咱|大家|宝宝|宝贝|妈妈|爸爸|奶奶|爷爷|姥姥|姥爷|外婆|外公|孩子|闺蜜|老伴|兄弟|姐妹|孙子|孙女)(们)?"
    "(了|啦|啊|呀|喽|咯)"
)


# 想死 of being tired, hot, bored… (上班累得想死, 无聊到想死, 热到想死 汕头今日38度): the tuning sets' writers call it
# hyperbole ten times in twelve, and the two others say it is no joke (累到想死，不是开玩笑那种: `_NOT_JOKING`).
_WORN_OUT = re.compile("(累|热|冷|困|饿|无聊|吵|馋|晒|冻|忙)(得|到)(要)?想死")
# Being away (我这两天不在家, 我这几天都不在, 明天不在本地): the self-harm model learned 不在 from 我不在了 (gone), and
# read a member's 我这两天不在家 as signs of it. Not 不在了, nor 过两天我就不在了 (no time of being away before it).
_AWAY = re.compile("不在(家|本地|这边|那边|小区|单位|国内)|((这|这一)(两|几|一两)天|今天|明天|后天|这周|下周|周末|最近|这段时间)"
                   "(都|也)?不在(?!了)")


def _says_death_only_figuratively(text: str) -> bool:
    """Whether every 死 of a message is in 想死 said of missing someone (`_MISSING_SOMEONE`) or of being worn out
    (`_WORN_OUT`), and the message does not say it is no joke."""
    figurative = len(_MISSING_SOMEONE.findall(text)) + len(_WORN_OUT.findall(text))
    return "死" in text and text.count("死") == figurative and not _NOT_JOKING.search(text)


# 跳过 said for skip (the bot's own word at the phone step: 窗户这里，跳过), not 跳过去 (jump over).
_SKIP = re.compile("跳过(?![去来])")


def _blanked(pattern: re.Pattern[str], text: str) -> str:
    """The text with `pattern`'s matches blanked (as many spaces: the positions stay)."""
    return pattern.sub(lambda match: " " * len(match.group()), text)


def without_being_away(text: str) -> str:
    """The text with its words of being away (`_AWAY`) and of skipping (`_SKIP`) blanked, for the self-harm model."""
    text = _blanked(_AWAY, text) if "不在" in text else text
    return _blanked(_SKIP, text) if "跳过" in text else text


def unread_by_the_models(text: str) -> bool:
    """Whether the self-harm and danger models must leave a chat message unread: it takes itself back
    (`_takes_back`) or its every 死 is figurative (`_says_death_only_figuratively`)."""
    return _takes_back(text) or _says_death_only_figuratively(text)


def _takes_back(text: str) -> bool:
    """Whether a chat message was sent to the wrong chat (发错了, 撤回), calls off a request because it is
    sorted (不用了 已经自己弄好了, 不用派人了 已经好了) or says the resident will see to it (我自己去办): it tells
    nothing new for the self-harm model to read (its patterns still count)."""
    return len(text) <= LETTER_CHARS and bool(
        _MISSENT.search(text) or (_CANCELLED.search(text) and _SORTED.search(text)) or _SELF_HANDLED.search(text)
    )


def says_nothing_of_now(text: str) -> bool:
    """Whether a text is a chat message (not a letter) with no word of now (现在, 还有, 又, 快来…)."""
    return len(text) <= LETTER_CHARS and not _ONGOING.search(text)


def is_letter_of_thanks(text: str) -> bool:
    """Whether a letter thanks or praises (表扬, 锦旗, 点赞…) and turns to nothing still wrong after it."""
    thanks = _LETTER_OF_THANKS.search(text)
    return thanks is not None and not _BUT_A_PROBLEM.search(text, thanks.end())


def tells_of_earlier(text: str) -> bool:
    """Whether a text names something reported, done or past (报的, 工单, 修好了, 昨天, 幸亏…)."""
    return any(pattern.search(text) for pattern in (_REPORTED, _EARLIER, TICKET_NUMBER, WORK_DONE))


def written_as_a_letter(text: str) -> bool:
    """Whether a text of SALUTED_MIN_CHARS or more reads as a letter to the authorities: it asks, names an office or a
    public matter, and has no chat voice (see `_LETTER_ASKS`)."""
    return (len(text) >= SALUTED_MIN_CHARS and bool(_LETTER_ASKS.search(text) and _PUBLIC_MATTER.search(text))
            and not _CHAT_VOICE.search(text))


def kind_matches(text: str, woken: Mapping[str, set[re.Pattern[str]]], kind: str) -> bool:
    """Whether a pattern of a kind (greeting, thanks, status, other) matches a text, among those the text wakes
    (`woken`, by group: `Classifier.woken_patterns`)."""
    return any(pattern.search(text) for pattern in woken.get(f"kind:{kind}", ()))


def says_little_besides(text: str, woken: Mapping[str, set[re.Pattern[str]]]) -> bool:
    """Whether a text says at most a few Chinese characters besides its greetings (你好 在吗 我想问问)."""
    greeted = [False] * len(text)
    for pattern in woken.get("kind:greeting", ()):
        for match in pattern.finditer(text):
            greeted[match.start() : match.end()] = [True] * (match.end() - match.start())
    rest = sum(1 for char, inside in zip(text, greeted, strict=True) if not inside and CJK_RUN.match(char))
    return rest <= GREETING_REST_CHARS


def only_thanks(text: str) -> bool:
    """Whether a chat message opens with thanks and neither asks nor wants anything nor says anything of now
    (the caller checks that it says nothing of again: `STILL_WRONG`)."""
    if not _OPENS_WITH_THANKS.match(text):
        return False
    asked = QUESTION.search(_TAUGHT_HOW.sub("", text))  # (还教他怎么关阀门: no question)
    return not asked and not _WANTS.search(text) and says_nothing_of_now(text)


def resolved_story(text: str) -> bool:
    """Whether a chat message tells of a trouble at an earlier time (`_EARLIER`) as sorted (`WORK_DONE`, 还好没事),
    and asks nothing more (`_asks_nothing_after`; the caller checks that it says nothing of again: `STILL_WRONG`)."""
    if "了" not in text or len(text) > LETTER_CHARS or not _EARLIER.search(text) or _THIS_TIME.search(text):
        return False  # (the cheap checks first: WORK_DONE is the slowest pattern here)
    done = WORK_DONE.search(text) or _ENDED_WELL.search(text)
    return done is not None and _asks_nothing_after(text, done)


def only_work_done(text: str) -> bool:
    """Whether a chat message tells work done (`WORK_DONE`) or a thing that works again (`_WORKS_AGAIN`: 洗衣机能甩干了),
    and relief from there on (`_RELIEF`), and asks nothing more (`_asks_nothing_after`; the caller checks that it says
    nothing of again: `STILL_WRONG`)."""
    if "了" not in text or len(text) > LETTER_CHARS or not _RELIEF.search(text):
        return False  # (the cheap checks first: WORK_DONE is the slowest pattern here)
    done = WORK_DONE.search(text) or _WORKS_AGAIN.search(text)
    return done is not None and bool(_RELIEF.search(text, done.start())) and _asks_nothing_after(text, done)


def _asks_nothing_after(text: str, done: re.Match[str]) -> bool:
    """Whether what a chat message tells as done is not asked after (修好了没), and the message neither asks nor wants
    anything nor says anything of now."""
    return (
        not _DONE_QUESTIONED.match(text, done.end())
        and not QUESTION.search(text)
        and not _WANTS.search(text)
        and not _ASKS_FOR_HELP.search(text)
        and says_nothing_of_now(text)
    )


def fire_not_now(text: str, match: re.Match[str]) -> bool:
    """Whether a chat message's fire is not one burning now: told as over (`_told_as_over`), smoke as a habit
    (`_burns_as_a_habit`), or a fire that took the home, told to ask for aid (`_asks_aid_after_a_fire`)."""
    return _told_as_over(text, match) or _burns_as_a_habit(text) or _asks_aid_after_a_fire(text)


def _asks_aid_after_a_fire(text: str) -> bool:
    """Whether a chat message asks for aid after a fire that took the home (家里着火烧了 啥都没了 有临时救助吗): the
    need is employment.assistance, unless it says the fire is burning now."""
    return bool(_AID_ASKED.search(text) and _BURNT_OUT.search(text)) and not _BURNING_NOW.search(text)


def _burns_as_a_habit(text: str) -> bool:
    """Whether a chat message tells of smoke or burning from a factory, a chimney or waste burnt as a habit or let out
    (厂里天天晚上冒黑烟 一股塑料烧焦的味, 那个厂晚上偷偷排黑烟): pollution (taxonomy.md: factories discharging, black
    smoke), unless it names a fire now (起火, 火苗, 快来)."""
    return (
        bool(_SMOKE_SOURCE.search(text) and _HABIT.search(text))
        and not _FIRE_NAMED.search(text)
        and not _BURNING_NOW.search(text)
    )


def fell_now(text: str) -> bool:
    """Whether a short chat message tells a person's fall as now (`_PERSON_FELL`): no question, and no time before
    today, nothing supposed or feared, no near miss, story or relief (`_FALL_NOT_NOW`)."""
    if len(text) > FALL_MAX_CHARS or not ("摔" in text or "倒" in text or "跌" in text or "跤" in text):
        return False  # (the cheap test first: most tell no fall)
    fell = _PERSON_FELL.search(text)
    # (a bare 摔了 after an object the person dropped is no fall: 我老公把手机摔了, 孩子的碗摔了)
    dropped = fell is not None and fell.group("fell") == "摔" and _A_THING_DROPPED.search(fell.group("who")) is not None
    return fell is not None and not dropped and not QUESTION.search(text) and not _FALL_NOT_NOW.search(text)


def tells_how_it_ended(text: str) -> bool:
    """Whether a chat message that says nothing of now tells how a danger ended (`_ENDED`) and asks for no help."""
    # (_ENDED first: it is the rarest, so most messages are read by one search)
    if not _ENDED.search(text):
        return False
    rest = _ENDED.sub("", text)  # (the ending's own words: 赶紧关火 is told of then, 抢救过来了 asks no one to come over)
    return says_nothing_of_now(rest) and not _ASKS_FOR_HELP.search(rest)


def supposes(text: str) -> bool:
    """Whether a text asks what to do should something happen (万一…怎么办) or retells what was seen
    elsewhere (新闻上说…, 演练), and asks no one for help."""
    told = (
        (_WHAT_IF.search(text) and QUESTION.search(text))
        or _USUAL_CAUSE.search(text)  # (the question right after the danger's words: 着火的时候应该往上跑还是往下跑)
        or _TOLD_ELSEWHERE.search(text)
        or (_HEARSAY.search(text) and not _AT_HOME.search(text) and not _NEARBY.search(text))
        or _NOTICE.search(text)
        or _DRILL.search(text)
        or (_LIVED_THROUGH.search(text) and not STILL_WRONG.search(text))  # (not 去年着过火 今年还没装灭火器)
        or _STORY_NAMED_AFTER.search(text)
    )
    return bool(told) and not _ASKS_FOR_HELP.search(text)


def is_advert(text: str, woken: Mapping[str, set[re.Pattern[str]]]) -> bool:
    """Whether a text reads as an advert: two kinds of its markers (a price, a contact, wages, a free gift…)
    and no question (想申请上门服务 is a request; 修个水龙头要50元吗 师傅能上门服务吗 asks one).
    `woken`: the patterns the text wakes, by group (`Classifier.woken_patterns`), the markers' among them."""
    markers = [patterns for group in ADVERT_GROUPS if (patterns := woken.get(group))]
    if len(markers) < 2:  # (most messages: no marker can match)
        return False
    kinds = sum(1 for patterns in markers if any(p.search(text) for p in patterns))
    return kinds >= 2 and not re.search("[?吗]", text)


def _part_start(text: str, position: int, ends: re.Pattern[str]) -> int:
    """Where the part of `text` between the separators (`ends`) around `position` starts (at most PART_LIMIT
    characters before it)."""
    start = max(0, position - PART_LIMIT)
    return max((m.end() for m in ends.finditer(text, start, position)), default=start)


def _around(text: str, position: int, ends: re.Pattern[str]) -> str:
    """The part of `text` between the separators (`ends`) around `position` (at most PART_LIMIT characters
    either side of it)."""
    limit = min(len(text), position + PART_LIMIT)
    stop = ends.search(text, position, limit)
    return text[_part_start(text, position, ends) : stop.start() if stop else limit]


# Which patterns can match a text: the strings every match of a pattern needs (`required_strings`), and the
# index that searches a pattern only where the text holds one of them (`PatternIndex`).
_EXACT_CAP = 64  # the most strings a part of a pattern is expanded to (a product of alternatives grows fast)


def required_strings(pattern: re.Pattern[str], share: Callable[[str], float]) -> frozenset[str] | None:
    """Strings of which every match of `pattern` contains at least one (None: no such set).

    Read from the parsed pattern. A part that matches one of a few strings only (a literal, a class of
    characters, an alternation or an optional part of such) stands for those strings; a run of such parts for
    their concatenations, which every match of the run contains whole. A sequence requires the cheapest of its
    parts' and runs' requirements, an alternation the union of its branches', a repeat of at least once its
    body's. Cheapest: the strings least often seen in messages (`share`: string → share of messages holding
    it), then the fewest; so that 了 does not wake a pattern that also needs 修好."""

    def cost(need: frozenset[str]) -> tuple[float, int]:
        return math.fsum(map(share, need)), len(need)  # (exactly rounded: the same in any order)

    def minimal(strings: Iterable[str]) -> frozenset[str]:
        # A string that holds another of the set requires nothing more than that one.
        kept: list[str] = []
        for string in sorted(strings, key=len):
            if not any(shorter in string for shorter in kept):
                kept.append(string)
        return frozenset(kept)

    def exact(op: object, av: Any) -> frozenset[str] | None:
        """The strings a part matches, if they are few (zero-width parts match "")."""
        name = str(op)
        if name == "LITERAL":
            return frozenset(chr(av))
        if name == "IN":
            return frozenset(chr(v) for _, v in av) if all(str(o) == "LITERAL" for o, _ in av) else None
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return frozenset([""])
        if name == "SUBPATTERN":
            return sequence_exact(av[-1])
        if name == "BRANCH":
            branches = [sequence_exact(branch) for branch in av[1]]
            if any(b is None for b in branches):
                return None
            strings = frozenset().union(*branches)
            return strings if len(strings) <= _EXACT_CAP else None
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[1] <= 2:
            body = sequence_exact(av[2])
            if body is None:
                return None
            strings, power = {""} if av[0] == 0 else set(), {""}
            for count in range(1, av[1] + 1):
                power = {a + b for a in power for b in body}
                if count >= av[0]:
                    strings |= power
            return frozenset(strings) if len(strings) <= _EXACT_CAP else None
        return None

    exacts: dict[int, frozenset[str] | None] = {}  # (a part is read by each run that holds it: once is enough)

    def sequence_exact(items: Sequence) -> frozenset[str] | None:
        if id(items) not in exacts:
            strings: frozenset[str] | None = frozenset([""])
            for op, av in items:
                part = exact(op, av)
                if part is None or strings is None:
                    strings = None
                    break
                strings = frozenset(a + b for a in strings for b in part)
                if len(strings) > _EXACT_CAP:
                    strings = None
                    break
            exacts[id(items)] = strings
        return exacts[id(items)]

    def need_of(op: object, av: Any) -> frozenset[str] | None:
        name = str(op)
        if name == "BRANCH":
            branches = [sequence_need(branch) for branch in av[1]]
            return None if any(b is None for b in branches) else minimal(frozenset().union(*branches))
        if name == "SUBPATTERN":
            return sequence_need(av[-1])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            return sequence_need(av[2])
        strings = exact(op, av)
        return minimal(strings) if strings and "" not in strings else None

    def sequence_need(items: Sequence) -> frozenset[str] | None:
        parts = [exact(op, av) for op, av in items]
        needs = [need for need in (need_of(op, av) for op, av in items) if need is not None]
        for start in range(len(parts)):  # runs of parts of few strings: their concatenations
            strings = {""}
            for part in parts[start:]:
                if part is None:
                    break
                strings = {a + b for a in strings for b in part}
                if len(strings) > _EXACT_CAP:
                    break
                if "" not in strings:
                    needs.append(frozenset(strings))
        return minimal(min(needs, key=cost)) if needs else None

    if pattern.flags & re.IGNORECASE:
        return None  # (a literal would stand for either case)
    return sequence_need(re_parser.parse(pattern.pattern, pattern.flags))


def pattern_needs(
    patterns: Sequence[re.Pattern[str]], share_of: Callable[[list[str]], Mapping[str, float]] | None = None
) -> list[list[str] | None]:
    """Each pattern's `required_strings` (sorted; None: none), the cheapest by `share_of`: the strings a pattern
    may need → the share of messages holding each (without it, the fewest strings are the cheapest)."""
    asked: set[str] = set()

    def ask(string: str) -> float:
        asked.add(string)
        return 0.0

    if share_of is not None:
        for pattern in patterns:  # (a first reading only collects the strings whose share is asked)
            required_strings(pattern, ask)
    shares = share_of(sorted(asked)) if share_of is not None else {}
    needs = (required_strings(pattern, lambda string: shares.get(string, 0.0)) for pattern in patterns)
    return [None if need is None else sorted(need) for need in needs]


class PatternIndex:
    """Named groups of regular expressions, searched only when the text holds one of the strings every match
    of a pattern needs (an exact, automatic pre-filter: the result is what searching all gives)."""

    def __init__(
        self, groups: dict[str, Sequence[re.Pattern[str]]], needs: Sequence[list[str] | None] | None = None
    ) -> None:
        """`needs`: the `pattern_needs` of the groups' patterns in order (computed when not given)."""
        patterns = [(group, pattern) for group, group_patterns in groups.items() for pattern in group_patterns]
        if needs is None:
            needs = pattern_needs([pattern for _, pattern in patterns])
        self.groups = groups
        self.always: list[tuple[str, re.Pattern[str]]] = []
        by_string: dict[str, dict[str, set[re.Pattern[str]]]] = defaultdict(lambda: defaultdict(set))
        for (group, pattern), need in zip(patterns, needs, strict=True):
            if need is None:
                self.always.append((group, pattern))
            for string in need or ():
                by_string[string][group].add(pattern)
        # string → group → the patterns it wakes (frozen: merged into the result by set union, in C)
        self.wakes: dict[str, dict[str, frozenset[re.Pattern[str]]]] = {
            string: {group: frozenset(ps) for group, ps in wakes.items()} for string, wakes in by_string.items()
        }

    def woken_patterns(self, strings: Iterable[str]) -> dict[str, set[re.Pattern[str]]]:
        """For each group, the patterns that can match a text that holds `strings` (each of `wakes` it holds: found
        with the classifier's other keys, in one pass over the text — see `Classifier.woken_patterns`)."""
        found: dict[str, set[re.Pattern[str]]] = defaultdict(set)
        for group, pattern in self.always:
            found[group].add(pattern)
        for wakes in filter(None, map(self.wakes.get, strings)):
            for group, patterns in wakes.items():
                found[group] |= patterns
        return found
