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


def generate(count: int, seed: int) -> tuple[list[str], list[str]]:
    """``count`` complaints and ``count`` municipal non-incidents, deduplicated."""
    rng = random.Random(seed)
    positives = sorted({complaint(rng) for _ in range(count)})
    negatives = sorted({not_incident(rng) for _ in range(count)})
    return positives, negatives


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
