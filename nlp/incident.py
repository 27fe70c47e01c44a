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
from nlp.pack import Checkpoints, CountCache, PackError, TextModel
from nlp.sentiment import SentimentClassifier

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
NAVEC = [f"navec_{i}" for i in range(vectors.DIM)]
DENSE = [*CUES, "topic_hits", "short", *NAVEC]  # round 4 packs: no sentiment columns
SENTIMENT_COLUMNS = ["negative", "positive", "negative_topic", "negative_place", "negative_short"]
# the products (packs up to round 3): a linear model cannot say «municipal AND negative» by itself


@lru_cache(maxsize=4096)  # features and reasons both ask, per text of a batch; read-only
def cue_matches(text: str) -> dict[str, list[str]]:
    lowered = text.lower().replace("ё", "е")
    return {name: [m.group(0) for m in pattern.finditer(lowered)] for name, pattern in _COMPILED.items()}


def cue_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        hits = cue_matches(text)
        topic_hits = sum(len(words) for words in topic_matches(text).values())
        row = [min(len(hits[name]), 3) / 3 for name in CUES]
        row.append(min(topic_hits, 4) / 4)
        row.append(1.0 if len(text) < 80 else 0.0)
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), len(CUES) + 2)


def dense_features(texts: Sequence[str], sentiment: np.ndarray | None = None) -> np.ndarray:
    """Cue counts, topic keyword hits, shortness and the mean navec vector of the text
    (``nlp.vectors``): the columns of ``DENSE``. With ``sentiment`` (the sentiment pack's scores,
    texts × ``LABELS``) the layout of packs up to round 3: the negative and positive scores and the
    negative score times the topic hits, the place cues and shortness before the vector."""
    cues = cue_features(texts)
    parts = [cues]
    if sentiment is not None:
        negative = sentiment[:, [0]].astype(np.float32)
        columns = [len(CUES), list(CUES).index("place"), len(CUES) + 1]  # topic_hits, place, short
        parts += [sentiment[:, [0, 2]].astype(np.float32), cues[:, columns] * negative]
    parts.append(vectors.mean_vectors(texts) / 3)  # ``fit`` scales the dense columns ×3: norm 1
    return np.hstack(parts)


@dataclass(frozen=True)
class IncidentScore:
    score: float
    is_incident: bool
    problem: str  # the matched problem or request cue, for the reason; may be empty


class IncidentClassifier:
    """A pack up to round 3 needs the sentiment pack it was trained with: its negative and positive
    scores are features (``uses_sentiment``); a round 4 pack reads the text alone."""

    def __init__(self, model: TextModel, sentiment: SentimentClassifier | None = None) -> None:
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
        return cls(model, sentiment)

    def dense(
        self, texts: Sequence[str], cache: CountCache | None = None, sentiment: np.ndarray | None = None
    ) -> np.ndarray:
        if self.sentiment is None:
            return dense_features(texts)
        if sentiment is None:
            sentiment = self.sentiment.model.scores(texts, cache=cache)
        return dense_features(texts, sentiment)

    def map(
        self, texts: Sequence[str], cache: CountCache | None = None, sentiment: np.ndarray | None = None
    ) -> list[IncidentScore]:
        """``sentiment``: the sentiment pack's scores of ``texts`` if already computed (texts × 3);
        only a pack with sentiment columns reads them."""
        dense = self.dense(texts, cache, sentiment) if self.model.dense else None  # a checkpoint: text only
        scores = self.model.scores(texts, dense=dense, cache=cache)[:, 0]
        out = []
        for text, score in zip(texts, scores, strict=True):
            hits = cue_matches(text)
            problem = (hits["problem"] or hits["request"] or [""])[0]
            out.append(IncidentScore(round(float(score), 4), bool(score >= self.threshold), problem))
        return out
