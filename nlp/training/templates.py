"""Template-generated posts for the incident model's weak supervision.

The appeals teach «a resident's long formal complaint»; random VK posts teach «chatter». Neither
teaches the hard cases, so these templates combine hand-written parts into short informal
complaints (positives) and municipal posts that are not incidents (negatives): announced
outages and events, news of finished works, thanks, resolved problems, questions.
"""

from __future__ import annotations

import random
import re

STREETS = [
    "Ленина",
    "Мира",
    "Садовой",
    "Заречной",
    "Советской",
    "Школьной",
    "Молодежной",
    "Полевой",
    "Гагарина",
]
PLACES = [
    "у нас на {street}", "во дворе дома {n}", "на {street} {n}", "в нашем подъезде", "возле школы",
    "у остановки", "на {street}", "в поселке", "у {n} дома", "в частном секторе", "около садика", "",
]  # fmt: skip
PROBLEMS = [
    "нет горячей воды", "нет воды", "не вывозят мусор",
    "яма на дороге", "не горят фонари", "лифт не работает",
    "батареи холодные", "течет крыша", "автобус не пришел", "нет света", "воняет из подвала",
    "собаки кидаются на людей", "снег не убран", "не работает светофор", "затопило подвал",
    "баки переполнены", "дорогу размыло", "сломаны качели", "не дозвониться в поликлинику", "нет связи",
    "открытый люк", "гололед и никто не посыпает", "вода ржавая", "в квартире холодно", "прорвало трубу",
    "оборваны провода", "дерево упало на дорогу", "в подъезде грязь", "не ходит автобус",
    "к врачу не записаться", "тротуар разбит", "ливневка забита", "стихийная свалка", "мигает свет",
    "напора воды нет", "канализация засорилась", "крысы в подвале", "дети ходят по обочине",
    "трава по пояс", "фонарь разбит", "в садике холодно", "нет лекарств в аптеке", "скорая не едет",
]  # fmt: skip
DURATIONS = [
    "уже третий день", "вторую неделю", "с утра", "с понедельника", "опять", "который месяц", "",
    "до сих пор", "с прошлой осени", "уже неделю", "снова", "",
]  # fmt: skip
TAILS = [
    "сколько можно?", "когда сделают?", "куда звонить?", "примите меры", "никто не реагирует", "😡",
    "!!!", "безобразие", "ук молчит", "", "помогите", "позор", "а платим исправно", "🤬",
    "жалобы не помогают",
    "дети страдают", "ну класс 👏", "спасибо, как всегда)))", "",
]  # fmt: skip

GREETINGS = [
    "Уважаемые жители!",
    "Внимание!",
    "Информируем:",
    "Администрация сообщает:",
    "",
    "❗️",
    "Объявление.",
]
RESOURCES = [
    "будет отключено холодное водоснабжение",
    "будет отключена горячая вода", "будет отключена электроэнергия",
    "будет приостановлена подача газа", "будет ограничено движение транспорта", "будет отключено отопление",
    "возможны перебои с водой", "возможны кратковременные отключения света", "будет закрыт проезд",
]  # fmt: skip
REASONS = [
    "плановыми работами", "ремонтом сетей", "заменой оборудования", "подключением новых абонентов",
    "гидравлическими испытаниями", "ремонтом дороги", "заменой опор", "проведением праздника",
]  # fmt: skip
EVENTS = [
    "концерт", "субботник", "турнир по футболу", "встречу с главой района", "ярмарку", "праздник двора",
    "открытие новой площадки", "выставку", "день здоровья",
    "собрание жителей", "мастер-класс", "лыжную гонку",
]  # fmt: skip
WORKS = [
    "ремонт дороги", "укладку асфальта", "замену труб", "ремонт кровли", "благоустройство сквера",
    "установку новых фонарей", "ремонт спортзала в школе", "замену лифтов", "строительство площадки",
    "газификацию улицы", "ремонт поликлиники", "обустройство остановок",
]  # fmt: skip
WHO = [
    "коммунальщикам", "администрации", "дорожникам", "энергетикам", "врачам поликлиники", "водителю автобуса",
    "управляющей компании", "аварийной службе", "учителям", "волонтерам", "главе поселения",
]  # fmt: skip
WHAT = [
    "быструю работу", "уборку снега", "новую площадку", "оперативность", "починку фонарей", "заботу",
    "ремонт подъезда", "помощь", "чистые дворы", "праздник",
]  # fmt: skip
FIXED = [
    "воду дали", "свет включили", "яму заделали", "мусор вывезли", "лифт починили", "светофор починили",
    "отопление дали", "фонари починили", "трубу заменили", "дорогу отремонтировали", "снег убрали",
    "газ подключили", "люк закрыли", "автобус вернули на маршрут",
]  # fmt: skip
QUESTIONS = [
    "кто знает во сколько {event}?", "а {event} в этом году будет?", "где будет {event}?",
    "как вам {event}? нам понравилось", "кто пойдет на {event}?",
]  # fmt: skip


def _fill(text: str, rng: random.Random) -> str:
    return text.format(street=rng.choice(STREETS), n=rng.randint(1, 40), event=rng.choice(EVENTS))


def complaint(rng: random.Random) -> str:
    parts = [_fill(rng.choice(PLACES), rng), rng.choice(PROBLEMS), rng.choice(DURATIONS)]
    if rng.random() < 0.5:
        parts[0], parts[1] = parts[1], parts[0]
    text = " ".join(part for part in parts if part)
    tail = rng.choice(TAILS)
    text = f"{text}, {tail}" if tail and tail[0].isalpha() else f"{text} {tail}"
    return text.strip().capitalize() if rng.random() < 0.4 else text.strip()


def not_incident(rng: random.Random) -> str:
    kind = rng.randrange(6)
    date = f"{rng.randint(1, 28)} {rng.choice(['марта', 'июня', 'сентября', 'ноября'])}"
    if kind == 0:
        hours = f"с {rng.randint(8, 11)}:00 до {rng.randint(14, 18)}:00"
        where = f"по ул. {rng.choice(STREETS)}" if rng.random() < 0.7 else "в поселке"
        return (
            f"{rng.choice(GREETINGS)} {date} {hours} {rng.choice(RESOURCES)} {where} "
            f"в связи с {rng.choice(REASONS)}."
        ).strip()
    if kind == 1:
        return f"Приглашаем всех на {rng.choice(EVENTS)} {date} в {rng.randint(10, 18)}:00 у дома культуры!"
    if kind == 2:
        verb = rng.choice(["завершили", "закончили", "провели", "начали", "продолжается"])
        tail = rng.choice(["", "Работы выполнены по программе.", "Следующий этап — летом."])
        return f"На улице {rng.choice(STREETS)} {verb} {rng.choice(WORKS)}. {tail}".strip()
    if kind == 3:
        ending = rng.choice(["!", " 👍", " ❤️", ", молодцы", ""])
        return f"Спасибо {rng.choice(WHO)} за {rng.choice(WHAT)}{ending}"
    if kind == 4:
        tail = rng.choice([", спасибо", ", все работает", " вчера вечером", ", если что", " наконец-то", ""])
        return f"{_fill(rng.choice(PLACES), rng)} {rng.choice(FIXED)}{tail}".strip()
    return _fill(rng.choice(QUESTIONS), rng)


# Short informal complaints without a «problem word»: money, irony, safety, queues, quality of works.
INFORMAL = [
    "платим за {service} как за золото а {failure}",
    "{work} сделали так что через неделю {decay}",
    "{work} называется))) {decay}",
    "{vehicle} битком, {crowd}",
    "опять {decay}, деньги на ветер",
    "в {office} очередь на месяц вперед, {need}",
    "{danger}, пока кого-нибудь не {harm}",
    "{danger}, {ask}",
    "поставьте уже {fix}, {danger}",
    "нужен {fix} у {object}, {danger}",
    "{who} {misconduct}, это нормально?",
    "квитанции за {service} выросли вдвое, за что платим?",
    "{service} дали только в половине дома, у нас {cold}",
    "с работы не уехать: последний {vehicle} в 19:00",
]
SLOTS = {
    "service": ["отопление", "вывоз мусора", "воду", "капремонт", "содержание дома", "свет"],
    "failure": ["в квартире +15", "мусор неделями лежит", "из крана ржавчина", "подъезд не моют"],
    "work": ["асфальт положили", "ремонт подъезда", "двор благоустроили", "дорогу сделали", "крышу латали"],
    "decay": ["все в дырах", "облезло", "опять ямы", "плитка отвалилась", "течет как раньше", "все размыло"],
    "vehicle": ["автобус", "маршрутка", "электричка"],
    "crowd": ["стоим как селедки", "бабушки не влезают", "дверь не закрывается", "половина не уехала"],
    "office": ["мфц", "поликлинику", "паспортный стол", "собес", "регистратуру"],
    "need": ["а справка нужна завтра", "а ребенку к врачу срочно", "как так"],
    "danger": [
        "машины носятся под сотню",
        "дети перебегают дорогу",
        "ветка висит над тротуаром",
        "на горке торчит железка",
        "провод висит до земли",
        "гололед у входа в школу",
    ],
    "harm": ["собьют", "покалечится", "убьет", "зацепит"],
    "ask": ["сделайте что-нибудь", "куда смотрит администрация", "кто за это отвечает", "ау"],
    "fix": ["лежачего полицейского", "светофор", "ограждение", "фонарь", "пешеходный переход"],
    "object": ["школы", "детского сада", "остановки", "поликлиники"],
    "who": ["водитель маршрутки", "дворник", "охранник в поликлинике", "контролер", "сантехник из ук"],
    "misconduct": [
        "курит в салоне",
        "хамит пенсионерам",
        "не вышел на смену третий день",
        "требует деньги за вызов",
        "бросил мусор прямо во дворе",
    ],
    "cold": ["стояк холодный", "батареи еле теплые", "дети болеют"],
}
# Municipal posts that are not incidents: chit-chat requests for advice, news of handled events,
# planned works with a request to residents, updates that a problem is fixed.
ADVICE = [
    "подскажите хорошего {specialist} в городе",
    "кто знает где {purchase}?",
    "посоветуйте {specialist}, пожалуйста",
    "ищу {specialist}, кто может порекомендовать?",
    "подскажите, где у нас {purchase}",
    "где можно {purchase}?",
]
SPECIALISTS = [
    "стоматолога",
    "детского стоматолога",
    "мастера по ремонту стиральных машин",
    "репетитора по математике",
    "ветеринара",
    "электрика",
    "сантехника",
    "массажиста",
    "юриста",
    "фотографа на свадьбу",
]
PURCHASES = [
    "купить дрова",
    "починить телефон",
    "сделать ключи",
    "заказать торт",
    "купить саженцы",
    "сдать макулатуру",
    "заточить коньки",
]
NEWS = [
    "В {place} {event_news}, пострадавших нет. Причины устанавливаются.",
    "{event_news} в {place}: на месте работают экстренные службы, движение восстановлено.",
    "По информации ГУ МЧС, {event_news} в {place} ликвидирован, пострадавших нет.",
    "Вчера в {place} {event_news}. Полиция проводит проверку.",
]
NEWS_EVENTS = ["сгорел сарай", "произошло ДТП", "загорелась трава", "пожар в бане", "опрокинулся грузовик"]
PLANNED = [
    "{date} с {h1} до {h2} на улице {street} будут {works}, просим {request}.",
    "Управляющая компания сообщает: {date} будут {works} в домах по ул. {street}. Просьба {request}.",
    "В связи с работами на сетях {date} с {h1} до {h2} {supply} в поселке будет отсутствовать.",
    "Внимание! {date} будут {works} во дворах по улице {street}. Просим {request}.",
]
PLANNED_WORKS = [
    "спиливать аварийные деревья",
    "проводить дезинсекцию подвалов",
    "красить фасады",
    "промывать трубы",
    "чистить крыши от снега",
    "менять счетчики",
    "проверять газовое оборудование",
]
REQUESTS = [
    "убрать автомобили",
    "обеспечить доступ в квартиры",
    "отнестись с пониманием",
    "не парковаться у домов",
]
UPDATES = [
    "Обновление: {supply} в доме {n} по {street} восстановлено, причиной была авария на сетях.",
    "{supply} дали, авария на подстанции устранена, спасибо аварийной службе",
    "Аварийную ситуацию на улице {street} устранили, территорию убрали. Благодарим жителей за сигнал.",
    "Свалку у дома {n} вывезли, спасибо всем кто писал",
]
SUPPLIES = ["электроснабжение", "водоснабжение", "отопление", "горячая вода", "свет"]


def informal_complaint(rng: random.Random) -> str:
    text = rng.choice(INFORMAL)
    for slot, values in SLOTS.items():
        text = text.replace("{" + slot + "}", rng.choice(values))
    if rng.random() < 0.3:
        text = text.capitalize()
    return text + rng.choice(["", "", "!!", "(((", " 😡", "...", "?"])


def municipal_non_incident(rng: random.Random) -> str:
    kind = rng.randrange(4)
    date = f"{rng.randint(1, 28)} {rng.choice(['марта', 'июня', 'сентября', 'ноября'])}"
    if kind == 0:
        text = rng.choice(ADVICE).format(specialist=rng.choice(SPECIALISTS), purchase=rng.choice(PURCHASES))
        return text.capitalize() if rng.random() < 0.5 else text
    if kind == 1:
        return rng.choice(NEWS).format(
            place=rng.choice(["поселке", "деревне", "районе", "городе"]), event_news=rng.choice(NEWS_EVENTS)
        )
    if kind == 2:
        return rng.choice(PLANNED).format(
            date=date,
            h1=f"{rng.randint(8, 10)}:00",
            h2=f"{rng.randint(15, 18)}:00",
            street=rng.choice(STREETS),
            works=rng.choice(PLANNED_WORKS),
            request=rng.choice(REQUESTS),
            supply=rng.choice(SUPPLIES),
        )
    return rng.choice(UPDATES).format(
        supply=rng.choice(SUPPLIES), n=rng.randint(1, 40), street=rng.choice(STREETS)
    )


def generate(count: int, seed: int) -> tuple[list[str], list[str]]:
    """``count`` complaints and ``count`` municipal non-incidents of the first kinds, and ``count // 2``
    more of each of the informal complaints and of advice requests, news, planned works and updates."""
    rng = random.Random(seed)
    positives = {complaint(rng) for _ in range(count)}
    negatives = {not_incident(rng) for _ in range(count)}
    positives |= {informal_complaint(rng) for _ in range(count // 2)}
    negatives |= {municipal_non_incident(rng) for _ in range(count // 2)}
    return sorted(positives), sorted(negatives)


POSITIVE = re.compile(r"спасибо|благодар|молодц|👍|❤️|праздник|поздравля|ура\b", re.IGNORECASE)


def sentiment_examples(count: int, seed: int) -> list[tuple[str, str]]:
    """Municipal posts with weak sentiment labels: complaints are negative, thanks positive,
    announcements, news and questions neutral. RuSentiment has few posts of this kind."""
    rng = random.Random(seed + 1)
    out = [(complaint(rng), "negative") for _ in range(count)]
    for _ in range(count):
        text = not_incident(rng)
        out.append((text, "positive" if POSITIVE.search(text) else "neutral"))
    return sorted(set(out))
