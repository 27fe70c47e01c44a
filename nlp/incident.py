"""Incident: a citizen's concrete problem or request that needs action from a responsible body.

A linear model over text n-grams plus counts of cue groups (a problem named, a request made,
an official announcement, thanks or a problem resolved, a question to others) and the mean
navec vector. The cue counts let the weakly supervised model tell «воду отключат 5 мая с 9 до
17» (an announcement) from «третий день нет воды» (an incident).

Packs up to round 3 also read the sentiment pack's negative and positive scores. Since the
sentiment pack is trained on the same template and hand-written municipal texts (complaints
negative, notices neutral), its scores on the incident training rows are near-perfect labels,
and a pack trained on them leaned on them and missed real complaints (blind-1 recall 0.92 →
0.81). Round 4 packs have no sentiment columns, so they no longer depend on the sentiment pack;
the older layout is still read (``SENTIMENT_COLUMNS`` in a pack's ``dense``).

Round 5 adds cue groups for when and where the problem is (a past told as a story, finished
works, live now, another town or television), irony and mock praise, rhetorical questions,
opinions in a discussion and questions asking for information. A pack's ``dense`` list names its
columns and is the source of truth for its layout: every layout (round 3, 4, 5) is computed by
name. The cue × problem interactions (``INTERACTIONS``) were compared in round 5 and are not in
the pack's layout: with the groups alone the model did as well or better (nlp/README.md).

Round 6 packs take a second look at their score (``nlp.recalibration``): a logistic regression over
the score's logit, the named cue columns and the text's length, fitted on the hand-written realistic
rows scored out of fold, stored in the pack's meta (``recalibration``) and applied by
``IncidentClassifier.map``; older packs have none and are read as before.

Round 9 packs carry a word CNN (``nlp.word_cnn``, ``word_cnn.npz`` beside the pack, named by the
meta's ``word_cnn``) whose logit is one more column of the second look (``WORD_CNN_COLUMN``): it reads
the words in order through navec, so a problem told in words the n-grams rarely saw still counts.
Blending its probability with the pack's before the second look did less (nlp/README.md, round 9).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp import vectors
from nlp.lexicon import topic_matches
from nlp.pack import Checkpoints, CountCache, PackError, TextModel, pack_dir
from nlp.recalibration import Recalibration, logit
from nlp.sentiment import SentimentClassifier
from nlp.word_cnn import WordCNN, named_word_cnn

NAME = "incident"

CUES: dict[str, list[str]] = {
    "problem": [
        r"\bнет (?:\w+ )?(?:вод|свет|отоплени|газ|тепл)",
        r"\b(?:вод[аы]|свет[а]?|отоплени[яе]|газ[а]?|тепла) (?:опять |снова |до сих пор |так и )?нет\b",
        r"\bне (?:работа|горит|горят|вывоз|убира|чист|почин|отремонт|дают|включ|отвеча|реагир|приезжа|ход)",
        r"\bсломал",
        r"\bслома[нл]",
        r"\bразбит",
        r"\bпрорвал",
        r"\bпрорыв",
        r"\bтечет",
        r"\bтечь",
        r"\bзатопил",
        r"\bзалива",
        r"\bзасор",
        r"\bвоня",
        r"\bвонь",
        r"\bяма",
        r"\bям[ыу]\b",
        r"\bгрязь",
        r"\bгрязн",
        r"\bхолодно\b",  # not «холодного водоснабжения» of an outage notice
        r"\bопасн",
        r"\bавари",
        r"\bрухнул",
        r"\bупал[аио]?\b",
        r"\bповален",
        r"\bоборван",
        r"\bпереполнен",
        r"\bсвалк",
        r"\bненадлежащ",
        r"\bневозможно",
        r"\bужас",
        r"\bбеспредел",
        r"\bбезобрази",
        r"\bкошмар",
        r"\bпроблем",
        r"\bжалоб",
        r"\bнарушени",
        r"\bнарушают",
        r"\bотсутств",
        r"\bзасыпал",
        r"\bгололед",
        r"\bне (?:пройти|проехать|выехать|добраться|дозвон|могут|можем|дали)",
        r"\bне (?:пришел|ходит|вывезли|убрали|чистили)",
        r"\bнереально",
        r"\bсгорел",
        r"\bнагруби",
        r"\bхамств",
        r"\bхамят",
        r"\bповалил",
        r"\bпокосил",
        r"\bотклеил",
        r"\bпротечк",
        r"\bпотоп",
        r"\bшприц",
        r"\bмерзн",
        r"\bотрубил",
        r"\bотрубают",
        r"\bноль реакции",
        r"\bнет реакции",
        r"\bбез ответа",
        r"\bкормят обещаниями",
        r"\bобещали",
        r"\bстрашно",
        r"\bнечем дышать",
        r"\bзадыха",
        r"\bкуда смотр",
        r"\bброшен",
        r"\bбросили",
        r"\bразвалива",
        r"\bразруш",
        r"\bзаросл",
        r"\bтемно",
        r"\bнет (?:мест|связи|интернета|врача|педиатра|лекарств)",
        r"\bочередь",
        r"\bждем\b",
        r"\bждать\b",
        r"\bжду\b",
    ],
    "duration": [
        r"\bуже (?:\w+ )?(?:дн|недел|месяц|год|час|втор|трет)",
        r"\bдо сих пор",
        r"\bкоторый (?:день|год|месяц)",
        r"\bсколько можно",
        r"\bопять",
        r"\bснова",
        r"\bвторой",
        r"\bтретий",
        r"\bнеделю",
        r"\bмесяц[а]?\b",
        r"\bпостоянно",
        r"\bкаждый (?:год|день)",
        r"\bкогда (?:уже|же|наконец)",
        r"\bникто не",
    ],
    "request": [
        r"\bпрошу",
        r"\bпросим",
        r"\bпросьба",
        r"\bпомогите",
        r"\bпримите меры",
        r"\bразберитесь",
        r"\bобратите внимание",
        r"\bкуда смотр",
        r"\bсделайте",
        r"\bуберите",
        r"\bпочините",
        r"\bотремонтируйте",
        r"\bвывезите",
        r"\bпочистите",
        r"\bустраните",
        r"\bпримите",
        r"\bнеобходимо",
        r"\bтребуем",
        r"\bтребуется",
        r"\bнужно (?:сделать|убрать|починить|решить)",
        r"\bкто (?:должен|отвечает|будет)",
        r"\bкуда (?:звонить|обращаться|писать)",
        r"\bкогда (?:уже )?(?:будет|будут|восстановят|сделают|починят|уберут|вывезут|отремонтируют|дадут)",
        r"\bзасыпьте",
        r"\bзалатайте",
        r"\bпокосите",
        r"\bотловите",
        r"\bзамените",
        r"\bвосстановите",
        r"\bпринимайте меры",
        r"\bдоколе",
        r"\bверните",
    ],
    "place": [
        r"\bу нас\b",
        r"\bнаш(?:ем|ей|его|их|ему) (?:дом|двор|подъезд|улиц|район|посел|деревн|сел)",
        r"\bво двор",
        r"\bв подъезд",
        r"\bул\.",
        r"\bулиц[аеы]",
        r"\bдом[ае]? \d",
        r"\bд\. ?\d",
        r"\b[а-я]{3,}(?:ая|ой|ей|ская|ского|ина|ова) \d{1,3}[а-я]?\b(?![.:,]\d)",  # «садовая 14», «ленина 30»
    ],
    "announcement": [
        r"\bуважаемые (?:жители|граждане|родители|абоненты|потребители)",
        r"\bинформиру",
        r"\bсообщаем",
        r"\bуведомля",
        r"\bпланов",
        r"\bбудет (?:произвед|отключ|проводит|ограничен|закрыт)",
        r"\bбудут (?:отключ|провод|закрыт)",
        r"\bв связи с (?:проведением|плановыми|ремонт)",
        r"\bграфик",
        r"\bприглаша",
        r"\bсостоится",
        r"\bпройдет",
        r"\bпройдут",
        r"\bначнется",
        r"\bобъявлени",
        r"\bанонс",
        r"\bвнимание[!:]",
        r"\bадминистраци\w* (?:информир|сообща|напомина)",
        r"\bнапомина",
        r"\bс \d{1,2}[.:]\d{2} до \d{1,2}[.:]\d{2}",
        r"\bс \d{1,2} до \d{1,2} час",
        r"\bпресс-служб",
        r"\bпо информации",
        r"\bсостоялось",
        r"\bсостоялся",
        r"\bпрошл[аи]? (?:\w+ )?(?:акци|встреч|мероприят|субботник|заседани)",
        r"\bв рамках",
        r"\bнацпроект",
        r"\bпрограмм[аы]",
        r"\bзавершен[аы]? работ",
        r"\bпоздравля",
        r"\bбудут проводиться",
        r"\bбудет проводиться",
        r"\bпросим (?:водителей|жителей|убрать|учитывать|соблюдать)",
        r"\bработает (?:по|с|ежедневно)",
        r"\bприглашает",
        r"\bзапись (?:до|в|по|открыт)",
        r"\bоткрыт[аы]? (?:запись|прием)",
        r"\bожидается",
        r"\bпредупреждени",
        r"\bизменился график",
        r"\bизменяется",
        r"\bпо вашим обращениям",
        r"\bдрузья!",
        r"\bсообщил[аи]?\b",
        r"\bпреобразил",
        r"\bпроверил",
        r"\bвыдано предписание",
        r"\bбудет отсутств",
        r"\bбуд(?:ет|ут) \w+(?:ть|ться)\b",
        r"\bпросьба\b",
        r"\bпросим заранее",
        r"\bпросим (?:\w+ )?(?:убрать|освободить|отнестись|не парковать|обеспечить)",
        r"\bпострадавших нет",
        r"\bпричин\w* \w+ устанавлива",
        r"\bобновление:",
        r"\bликвидирован",
    ],
    "resolved": [
        r"(?<!заранее )\bспасибо(?! за (?:внимание|ответ|понимание|помощь заранее))",
        r"(?<!заранее )\bблагодар(?!\w* за внимание)",
        r"\bустранен",
        r"(?<!не )\bустранил",
        r"\bвосстановлен",
        r"(?<!не )\bвосстановил",
        r"(?<!не )\bпочинил",
        r"(?<!не )\bотремонтировал",
        r"(?<!не )\bубрали",
        r"(?<!не )\bвывезли",
        r"(?<!не )\bсделали",
        r"\bрешен",
        r"(?<!не )\bрешили",
        r"\bдали (?:вод|свет|тепл|отоплен)",
        r"(?<!не )\bвключили",
        r"\bоперативно",
        r"\bмолодцы",
        r"\bнаконец-то (?:сделали|починили|убрали|отремонт|положили|дали)",
        r"\bвсе работает",
    ],
    "question": [
        r"\bкто-нибудь знает",
        r"\bкто знает",
        r"\bподскажите",
        r"\bне подскажете",
        r"\bкак думаете",
        r"\bкак вам\b",
        r"\?",
        r"\bпосоветуйте",
        r"\bпорекомендуйте",
        r"\bкто может порекомендовать",
        r"\bподскажите (?:хорош|где|кто|номер|телефон|пожалуйста)",
        r"\bищу\b",
        r"\bгде можно",
    ],
    # round 3: the register of official replies and notices, reference lists, the writer's own voice
    "reply": [
        r"\bваш[аеи]? (?:обращени|сообщени|заявк|вопрос)",
        r"\bпередан[аоы]?\b",
        r"\bнаправлен[аоы]?\b",
        r"\bрассмотрен",
        r"\bв соответствии с",
        r"\bпостановлени",
        r"\bпоручени",
        r"\bбуд(?:ет|ут) выполнен",
        r"\bзапланирован",
        r"\bна контроле",
        r"\bпо данным",
        r"\bза обращение",
        r"\bблагодарим",
        r"\bпроинформирован",
        r"\bсвязались с",
        r"\bсообщите",
        r"\bнапишите в (?:сообщени|личн)",
        r"\bуточните",
        r"\bвыполнил[аи]?\b",
        r"\bзавершен",
        r"\bприняты комиссией",
        r"\bуважаем(?:ая|ый)\b",
        r"\bизвеща",
        r"\bс уважением",
        r"\bспециалист\w* (?:провер|выед|выех|приед)",
    ],
    "reference": [
        r"\d{1,3}-\d{2}-\d{2}",
        r"\bтел(?:ефон\w*)?[.:]",
        r"\bчасы (?:работы|приема)",
        r"\bрежим работы",
        r"\bкруглосуточно",
        r"\bгорячая линия",
        r"\bрасписани",
        r"\bполезные (?:номера|телефоны)",
        r"\bконтакт",
        r"\bпн\b|\bпн–пт|\bпн-пт",
    ],
    "news": [
        r"\bжители \w*\s?(?:жалуются|пожаловались|собирают|обратились)",
        r"\bпо (?:информации|данным|предварительн)",
        r"\bсообщает\b",
        r"\bна месте работа",
        r"\bвыехал[аи]?\b",
        r"\bпрокуратур",
        r"\bтариф",
        r"\bподорожа",
        r"\bза (?:сутки|неделю|выходные)\b",
        r"\bобратились \d+",
        r"\bпресс-служб",
        r"\bв администрации (?:пообещали|ответили|сообщили|ссылаются)",
    ],
    "first_person": [
        r"\b(?:я|мы|мне|меня|мной|нам|нас|нами|мой|моя|мою|мое|моего|мои|моих|наш|наша|нашу|наши|наших)\b",
    ],
    # round 5: when and where the problem is, irony, opinions, information questions. Alone each
    # says little; the interaction columns (``INTERACTIONS``) pair them with a named problem.
    "past": [  # a problem told as a story: it was, not it is («вчера» is not: yesterday's outage is live)
        r"\bв прошл(?:ом|ую|ый|ой) (?:году|месяце|неделе|раз|зиму|сезоне)",
        r"\bпрошл(?:ой|ым|ую) (?:зимой|весной|осенью|летом|зиму|весну|осень)",
        r"\bраньше\b",
        r"\bкогда-то",
        r"\b(?:лет|год|года|месяц\w*) (?:\w+ )?назад",
        r"\bпомню",
        r"\bв детстве",
        r"\bв советское",
        r"\bв (?:19|20)\d\d(?:-м)? году",
        r"\bбывало",
        r"\bв свое время",
    ],
    "done": [  # works finished: the problem is over (beside ``resolved``'s thanks and «устранено»)
        r"\bуже (?:все )?(?:сделали|починили|убрали|вывезли|дали|включили|восстановили|отремонтировали)",
        r"(?<!не )\b(?:установили|заменили|запустили|завершили|ликвидировали|обновили|открыли|построили)\b",
        r"(?<!не )\b(?:положили|покрасили|заасфальтировали|высадили|провели|отремонтировали|благоустроили)\b",
        r"\bтеперь\b",
        r"\bдождались",
        r"(?<!не )\bзаработал",
        r"\bстало (?:лучше|чисто|светло|тепло|уютно|удобно|спокойно)",
    ],
    "now": [  # the problem is live at this moment (``duration`` says it has lasted or come back)
        r"\bсейчас\b",
        r"\bсегодня\b",
        r"\bс (?:утра|вечера|ночи|обеда)\b",
        r"\bпо-прежнему",
        r"\bвсе еще\b",
        r"\bтак и не\b",
        r"\bкак не было",
        r"\b\d+-?(?:й|ой|ий|ый|ю)? (?:день|сутки|неделю|час)",
        r"\b(?:втор|трет|четверт|пят)\w+ (?:день|сутки|неделю|час|месяц|раз)",
        r"\bуже \d+",
        r"\bне первый (?:день|раз|год)",
    ],
    "elsewhere": [  # another town, the country, television: nothing for this centre to do
        r"\bв (?:москве|питере|петербурге|спб|мск|европе|америке|китае)\b",
        r"\bв соседн\w+",
        r"\bу соседей\b",
        r"\bв друг(?:ом|их) (?:город|район|регион|стран|сел|поселк)",
        r"\bпо (?:телевизору|телеку|тв|новостям|первому)\b",
        r"\bв новостях",
        r"\bпо (?:всей )?стране\b",
        r"\bв (?:стране|россии)\b",
        r"\bза (?:границей|рубежом)",
        r"\bу них\b",
        r"\bпишут (?:местные|в|что)",
        r"\bв интернете",
    ],
    "irony": [  # mock praise and markers of irony; with a problem named it is a complaint
        r"\bбраво\b",
        r"\bмолодцы\b",
        r"\b(?:ну|ой|огромное) спасибо",
        r"\bспасибо,? что хоть",
        r"\bза (?:незабываем|бесплатн|прекрасн|отличн|чудесн|романтич)",
        r"\b(?:отличн|прекрасн|замечательн|шикарн|великолепн|чудесн)\w*",
        r"\b(?:класс|супер|ура|красота|красотища|стабильность)\b",
        r"\bзаботлив|\bзабота\b|\bщедр",
        r"\bромантик|\bромантич",
        r"\bв восторге",
        r"\bвидимо\b",
        r"\bне иначе",
        r"\bзато\b",
        r"\bдожив",
        r"\b(?:экстрим|аттракцион|квест|ралли|дакар|сафари|бассейн|фитнес)",
        r"[«\"](?:по плану|временн|планов|ремонт|благоустр|комфорт|работа|забот|чист)",
        r"[👏🤡🙃😂🤣🙄😆]",
    ],
    "rhetorical": [  # questions that expect no answer: the writer is fed up
        r"\bсколько можно",
        r"\bкому (?:жаловаться|писать|звонить)",
        r"\bкуда (?:жаловаться|бежать|смотрят|смотрит|деваются)",
        r"\bкто (?:за это )?ответит",
        r"\bдо каких пор",
        r"\bкогда (?:это )?(?:кончится|закончится|прекратится)",
        r"\bза что (?:мы )?платим",
        r"\bэто как\?",
        r"\bкак так\b",
        r"\bа воз и ныне там",
        r"\bнеужели\b",
        r"\bдоколе",
        r"\bгде (?:же )?(?:деньги|ук|администрация|власти|глава)\b",
    ],
    "opinion": [  # a view in a discussion, a generalisation, an answer to other commenters
        r"\bя считаю",
        r"\bсчитаю,? что",
        r"\bпо-моему",
        r"\bпо моему мнению",
        r"\bмне кажется",
        r"\bимхо\b",
        r"\bна мой взгляд",
        r"\bя думаю",
        r"\bлучше бы\b",
        r"\bнадо было\b",
        r"\bвезде\b",
        r"\bвсегда так",
        r"\bвсе чиновники",
        r"\bсоглас(?:ен|на|ны|шусь)",
        r"\bвы правы",
        r"\bподдерживаю\b",
        r"\bинтересно\b",
        r"\bзачем нам",
        r"\bкому это (?:надо|нужно)",
        r"\bна самом деле",
        r"\bвообще-то",
        r"^\+",
        r"\bвот именно",
    ],
    "info_question": [  # asking for a fact (when, where, how to), not reporting a problem
        r"\bкогда (?:откро|начн|закро|заработает|привезут|можно|заливать|зальют)",
        r"\bво сколько",
        r"\bдо скольки",
        r"\bс какого числа",
        r"\b(?:будет|будут|работает|есть|можно) ли\b",
        r"\bкак (?:записаться|получить|оформить|попасть|узнать)",
        r"\bгде (?:можно|найти|взять|купить|записаться|получить)",
        r"\bне знаете",
        r"\bкто (?:знает|в курсе)",
        r"\bкакой (?:номер|телефон|график)",
        r"\bкуда (?:сдать|обратиться)",
    ],
    "chatter": [
        r"\bлюблю",
        r"\bдруз",
        r"\bдень рождени",
        r"\bпоздравляю",
        r"\bкрасив",
        r"\bфото",
        r"\bмузык",
        r"\bпесн",
        r"\bфильм",
        r"\bигр[аеу]\b",
        r"\bпродам",
        r"\bкуплю",
    ],
}
_COMPILED = {name: re.compile("|".join(patterns)) for name, patterns in CUES.items()}
PROBLEM_CUE = _COMPILED["problem"]  # on lower-cased text; training picks the problem sentences of appeals
TROUBLE = ("problem", "duration")  # a problem named: what the interaction columns pair a cue with
ASKED = (*TROUBLE, "request", "rhetorical")  # a question about these is a complaint put as a question
# round 5: a linear model cannot say «a question AND no problem» by itself. Each column is 1 when the
# text has the first cue group's words and (True) words of one of the partner groups, or (False) none.
# Compared and not kept (``DENSE_INTERACTIONS``): no better than the groups alone on dev, blind 1, CV.
INTERACTIONS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "question_trouble": ("question", ASKED, True),  # «когда уберут мусор?»
    "question_only": ("question", ASKED, False),  # «когда откроют каток?»: asking for information
    "request_trouble": ("request", TROUBLE, True),  # «уберите мусор, неделю стоит» (not «просим водителей»)
    "past_trouble": ("past", TROUBLE, True),  # «в прошлом году была яма»: a story, not a report
    "done_trouble": ("done", TROUBLE, True),  # «яму заасфальтировали»: the problem is over
    "elsewhere_trouble": ("elsewhere", TROUBLE, True),  # «в соседнем районе нет воды»: not ours
    "irony_trouble": ("irony", TROUBLE, True),  # «браво, опять нет воды»: mock praise of a live problem
    "opinion_trouble": ("opinion", TROUBLE, True),  # «по-моему, ямы везде»: a discussion of problems
}
NAVEC = [f"navec_{i}" for i in range(vectors.DIM)]
NAMED = [*CUES, "topic_hits", "short", *INTERACTIONS]  # the columns ``named_features`` computes
DENSE = [*CUES, "topic_hits", "short", *NAVEC]  # round 5 packs; older packs list their own, by name
DENSE_INTERACTIONS = [*CUES, "topic_hits", "short", *INTERACTIONS, *NAVEC]  # compared in round 5, not kept
RECALIBRATION = [*NAMED, "log_length"]  # the columns beside the logit in a round 6 pack's second look
WORD_CNN_COLUMN = "word_cnn_logit"  # round 9: the logit of the pack's word CNN, beside them
ROUND4_CUES = [
    "problem", "duration", "request", "place", "announcement", "resolved", "question", "reply",
    "reference", "news", "first_person", "chatter",
]  # fmt: skip
DENSE_ROUND4 = [*ROUND4_CUES, "topic_hits", "short", *NAVEC]  # for comparisons with the round-4 layout
SENTIMENT_COLUMNS = ["negative", "positive", "negative_topic", "negative_place", "negative_short"]
# the products (packs up to round 3): a linear model cannot say «municipal AND negative» by itself


@lru_cache(maxsize=4096)  # features and reasons both ask, per text of a batch; read-only
def cue_matches(text: str) -> dict[str, list[str]]:
    lowered = text.lower().replace("ё", "е")
    return {name: [m.group(0) for m in pattern.finditer(lowered)] for name, pattern in _COMPILED.items()}


def named_features(texts: Sequence[str]) -> np.ndarray:
    """The columns of ``NAMED``: cue counts (3 or more hits = 1), topic keyword hits, a short text,
    and the cue × problem interactions."""
    rows = []
    for text in texts:
        hits = cue_matches(text)
        topic_hits = sum(len(words) for words in topic_matches(text).values())
        row = [min(len(hits[name]), 3) / 3 for name in CUES]
        row.append(min(topic_hits, 4) / 4)
        row.append(1.0 if len(text) < 80 else 0.0)
        for group, partners, present in INTERACTIONS.values():
            row.append(float(bool(hits[group]) and any(hits[name] for name in partners) == present))
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), len(NAMED))


def dense_features(
    texts: Sequence[str], sentiment: np.ndarray | None = None, names: Sequence[str] = DENSE
) -> np.ndarray:
    """The dense columns ``names`` (a pack's ``dense`` list: the source of truth for its layout) of
    the texts: cue counts, topic keyword hits, shortness, interactions and the mean navec vector
    (``nlp.vectors``). Packs up to round 3 also list ``SENTIMENT_COLUMNS``, computed from
    ``sentiment`` (the sentiment pack's scores, texts × ``LABELS``): the negative and positive scores
    and the negative score times the topic hits, the place cues and shortness."""
    named = named_features(texts)
    parts, columns = [named], list(NAMED)
    if sentiment is not None:
        negative = sentiment[:, [0]].astype(np.float32)
        at = {name: named[:, [i]] for i, name in enumerate(NAMED)}
        parts += [negative, sentiment[:, [2]].astype(np.float32)]
        parts += [at["topic_hits"] * negative, at["place"] * negative, at["short"] * negative]
        columns += SENTIMENT_COLUMNS
    parts.append(vectors.mean_vectors(texts) / 3)  # ``fit`` scales the dense columns ×3: norm 1
    columns += NAVEC
    index = {name: i for i, name in enumerate(columns)}
    unknown = [name for name in names if name not in index]
    if unknown:
        given = "given" if sentiment is not None else "not given"
        raise PackError(f"incident dense columns unknown to this code (sentiment scores {given}): {unknown}")
    return np.hstack(parts)[:, [index[name] for name in names]]


def recalibration_columns(
    texts: Sequence[str], names: Sequence[str] = RECALIBRATION, cnn: WordCNN | None = None
) -> np.ndarray:
    """The columns ``names`` (a pack's ``recalibration.columns``) of the texts: the named cue
    columns, the log of the length, which tells a 5-word comment from a long letter, and the logit of
    the pack's word CNN (``WORD_CNN_COLUMN``; ``cnn`` must then be given)."""
    columns = {name: i for i, name in enumerate(NAMED)}
    unknown = [name for name in names if name not in columns and name not in ("log_length", WORD_CNN_COLUMN)]
    if unknown:
        raise PackError(f"incident recalibration columns unknown to this code: {unknown}")
    if WORD_CNN_COLUMN in names and cnn is None:
        raise PackError(f"incident recalibration reads {WORD_CNN_COLUMN}, but the pack has no word CNN")
    named = named_features(texts)
    length = np.log1p(np.asarray([len(text) for text in texts], dtype=np.float32))
    special = {"log_length": length}
    if cnn is not None and WORD_CNN_COLUMN in names:
        special[WORD_CNN_COLUMN] = word_cnn_logit(cnn, texts)
    parts = [special[name] if name in special else named[:, columns[name]] for name in names]
    return np.stack(parts, axis=1) if parts else np.zeros((len(texts), 0), dtype=np.float32)


def word_cnn_logit(cnn: WordCNN, texts: Sequence[str]) -> np.ndarray:
    """The logit of the word CNN's incident probability (class 1 of its two)."""
    if not texts:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(logit(cnn.probabilities(texts)[:, 1]), dtype=np.float32)


@dataclass(frozen=True)
class IncidentScore:
    score: float
    is_incident: bool
    problem: str  # the matched problem or request cue, for the reason; may be empty
    joined: bool = False  # a comment that is an incident by joining its post's (``nlp.thread``)


class IncidentClassifier:
    """A pack up to round 3 needs the sentiment pack it was trained with: its negative and positive
    scores are features (``uses_sentiment``); a round 4 pack reads the text alone."""

    def __init__(
        self, model: TextModel, sentiment: SentimentClassifier | None = None, cnn: WordCNN | None = None
    ) -> None:
        """``cnn``: the pack's word CNN, read by a second look with ``WORD_CNN_COLUMN`` (round 9); such
        a pack given none fails in ``map`` (``recalibration_columns``), not here, so its parts can still
        be inspected."""
        self.uses_sentiment = "negative" in model.dense
        if self.uses_sentiment:
            required = model.meta.get("sentiment")
            if sentiment is None:
                raise PackError(f"incident pack reads the scores of sentiment pack {required}: none given")
            if required and required != sentiment.model.model_id:
                raise PackError(
                    f"incident pack was trained with sentiment pack {required}, "
                    f"found {sentiment.model.model_id}: retrain incident"
                )
        self.model = model
        self.sentiment = sentiment if self.uses_sentiment else None  # kept only where it is read
        self.threshold = float(model.meta.get("threshold", 0.5))
        second_look = model.meta.get("recalibration")  # round 6 packs; a checkpoint has none
        self.recalibration = Recalibration.from_json(second_look) if second_look else None
        self.cnn = cnn

    @classmethod
    def load(
        cls,
        root: Path | None = None,
        sentiment: SentimentClassifier | None = None,
        checkpoints: Checkpoints | None = None,
    ) -> IncidentClassifier:
        """The committed pack, or a configured checkpoint. ``sentiment`` is read only by a pack with
        sentiment columns (up to round 3); such a pack given none gets the committed sentiment pack."""
        from nlp.hf import load_model

        model = load_model(NAME, root, checkpoints)
        if "negative" in model.dense and sentiment is None:
            sentiment = SentimentClassifier.load(root)
        return cls(model, sentiment, named_word_cnn(model, pack_dir(NAME, root)))  # round 9 packs name one

    def dense(
        self, texts: Sequence[str], cache: CountCache | None = None, sentiment: np.ndarray | None = None
    ) -> np.ndarray:
        if self.sentiment is None:
            return dense_features(texts, names=self.model.dense)
        if sentiment is None:
            sentiment = self.sentiment.model.scores(texts, cache=cache)
        return dense_features(texts, sentiment, self.model.dense)

    def map(
        self, texts: Sequence[str], cache: CountCache | None = None, sentiment: np.ndarray | None = None
    ) -> list[IncidentScore]:
        """``sentiment``: the sentiment pack's scores of ``texts`` if already computed (texts × 3);
        only a pack with sentiment columns reads them."""
        dense = self.dense(texts, cache, sentiment) if self.model.dense else None  # a checkpoint: text only
        scores = self.model.scores(texts, dense=dense, cache=cache)[:, 0]
        if self.recalibration is not None:
            columns = recalibration_columns(texts, self.recalibration.columns, self.cnn)
            scores = self.recalibration.apply(scores, columns)
        out = []
        for text, score in zip(texts, scores, strict=True):
            hits = cue_matches(text)
            problem = (hits["problem"] or hits["request"] or [""])[0]
            out.append(IncidentScore(round(float(score), 4), bool(score >= self.threshold), problem))
        return out
