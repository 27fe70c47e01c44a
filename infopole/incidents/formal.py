"""Small lexicons over reply texts: the формальная отписка, «the problem is still there», and
«thank you, it is done».

An отписка names a procedure («ваше обращение направлено…», «принято к сведению») and nothing
the citizen can check: no date, no deadline, no work done. A reply that has any of those is an
answer, however bureaucratic its first sentence. The lists are deliberately short and readable;
extend them from what the analysts see.
"""

from __future__ import annotations

import re

FORMAL_PHRASES = (
    "ваше обращение направлено",
    "обращение направлено",
    "направлено в профильн",
    "передано в профильн",
    "передали в профильн",
    "передано ответственн",
    "принята к сведению",
    "принято к сведению",
    "приняли к сведению",
    "информация принята",
    "взято на контроль",
    "взяли на контроль",
    "будет рассмотрено",
    "рассмотрим ваше",
    "в установленные сроки",
    "в установленном порядке",
    "обращение зарегистрировано",
    "спасибо за обращение",
    "напишите в личные сообщения",
    "обратитесь в",
)

_SUBSTANCE = re.compile(
    r"\b\d{1,2}[./]\d{1,2}\b"  # 25.11, 25/11
    r"|\b\d{1,2}\s+(январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)"
    r"|\bдо\s+\d"  # «до 30 ноября», «до 15:00»
    r"|\b\d{1,2}:\d{2}\b"
    r"|выполнен|устранен|устранён|отремонтир|заменен|заменён|восстановлен|проведен|проведён"
    r"|запланирован|бригад|подрядчик|работы\s+(начн|провод|выполн|заверш)"
    r"|вывез|откачал|подключ|засыпал|заделал",
    re.IGNORECASE,
)

_PROMISE = re.compile(
    r"будет\s+(выполнен|устранен|устранён|отремонтир|заменен|заменён|восстановлен|проведен|проведён)"
    r"|будут\s+(выполнен|провед|начат)|запланирован|в\s+срок\s+до|планируется|выедет|выезд",
    re.IGNORECASE,
)

PERSISTS_PHRASES = (
    "до сих пор",
    "так и не",
    "ничего не сделано",
    "ничего не сделали",
    "ничего не изменилось",
    "не решена",
    "не решён",
    "не решен",
    "по-прежнему",
    "по прежнему",
    "всё так же",
    "все так же",
    "опять",
    "снова",
    "никто не приехал",
    "никто не пришёл",
    "никто не пришел",
    "не сделали",
    "отписк",
)


THANKS_PHRASES = (
    "спасибо, сделали",
    "спасибо сделали",
    "спасибо, починили",
    "спасибо, убрали",
    "спасибо, отремонтировали",
    "спасибо, устранили",
    "спасибо, дали",
    "спасибо, вывезли",
    "наконец-то сделали",
    "наконец сделали",
    "наконец-то починили",
    "все сделали",
    "всё сделали",
    "уже сделали",
    "проблема решена",
    "вопрос решен",
    "вопрос решён",
    "спасибо за оперативность",
    "спасибо за помощь",
    "оперативно отреагировали",
)


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def has_substance(text: str) -> bool:
    return bool(_SUBSTANCE.search(text))


def is_formal_reply(text: str) -> bool:
    """A procedure named, nothing checkable said."""
    normal = _normal(text)
    formal = any(_normal(phrase) in normal for phrase in FORMAL_PHRASES)
    return formal and not has_substance(text)


def is_promise(text: str) -> bool:
    """An interim answer: work promised for later rather than reported as done."""
    return bool(_PROMISE.search(text))


def says_problem_persists(text: str) -> bool:
    normal = _normal(text)
    return any(_normal(phrase) in normal for phrase in PERSISTS_PHRASES)


def says_thanks_for_fix(text: str) -> bool:
    """«Спасибо, сделали»: the citizen confirms the answer. «Проблема не решена» is not thanks."""
    normal = _normal(text)
    return not says_problem_persists(text) and any(_normal(phrase) in normal for phrase in THANKS_PHRASES)
