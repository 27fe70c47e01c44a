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


# Official posts of the administration and of the utilities that announce a problem they are already
# handling (planned or emergency outages, weather warnings, delays), invite residents to vote or take
# part, or answer a resident in the comments: municipal, often negative, never a request to act.
OFFICIAL = [
    "{head}{date} {hours} {stop} {resource} {addresses}. {reason_sentence} {apology}",
    "{head}{stop_cap} {resource} {addresses} {date} {hours}. {advice} {apology}",
    "{emergency_sentence} {addresses}. {restore} {apology}",
    "{warning_head} {weather}. {weather_advice}",
    "{operator} сообщает: {delay}. {apology}",
    "{vote_sentence} {vote_tail}",
]
HEADS = ["⚠ ", "‼ ", "📢 ", "Уважаемые абоненты! ", "Вниманию жителей! ", "Информация для жителей. ", ""]
STOPS = [
    "будет прекращена подача", "временно прекращается подача", "будет приостановлена подача",
    "планируется отключение", "производится отключение", "ограничивается подача",
]  # fmt: skip
RESOURCE_NOUNS = ["холодной воды", "горячей воды", "электроэнергии", "теплоносителя", "газа"]
ADDRESS_LISTS = [
    "по адресам: ул. {street}, д. {n}–{m}", "в домах {n}, {m} по ул. {street}", "в микрорайоне {district}",
    "в деревне {village}", "на участке от ул. {street} до ул. {street2}", "в домах частного сектора",
]  # fmt: skip
DISTRICTS = ["Южный", "Северный", "Заречье", "Химиков", "Лесобиржа", "Центральный"]
VILLAGES = ["Малое Жабино", "Касколовка", "Ополье", "Домашово", "Кошкино", "Сельцо"]
REASON_SENTENCES = [
    "Причина — замена задвижки на магистральном водоводе.", "Работы ведет АО «Водоканал».",
    "Это необходимо для подключения нового многоквартирного дома.",
    "Идет ремонт трансформаторной подстанции.",
    "Проводится опрессовка тепловых сетей.", "",
]  # fmt: skip
ADVICES = [
    "Рекомендуем заранее набрать воду.", "Просим отключить электроприборы.", "Позаботьтесь о запасе воды.",
    "Телефон диспетчера для справок: 2-16-37.", "",
]  # fmt: skip
APOLOGIES = [
    "Приносим извинения за временные неудобства.", "Благодарим за понимание.",
    "Извините за доставленные неудобства.", "Спасибо за терпение.", "",
]  # fmt: skip
EMERGENCIES = [
    "В связи с аварией на водоводе временно отсутствует холодное водоснабжение",
    "Из-за повреждения кабеля подрядчиком прекращено электроснабжение",
    "В результате порыва на теплотрассе приостановлена подача тепла",
    "Аварийное отключение горячей воды",
    "По причине падения дерева на линию обесточены дома",
]
RESTORES = [
    "Ориентировочное время восстановления — {h}:00.", "Бригады работают на месте.",
    "Аварийные службы приступили к ремонту, сроки сообщим дополнительно.", "Подвоз воды организован.",
]  # fmt: skip
WARNING_HEADS = [
    "❄ Штормовое предупреждение:",
    "ЕДДС предупреждает:",
    "МЧС информирует:",
    "Внимание, непогода!",
]
WEATHER = [
    "в ближайшие сутки ожидаются сильный ветер и мокрый снег", "ночью прогнозируется гололедица",
    "ожидается аномальная жара до +33", "в выходные ожидаются сильные морозы до -30",
    "надвигается гроза с градом", "ожидается подъем воды в реке",
]  # fmt: skip
WEATHER_ADVICE = [
    "Будьте осторожны на дорогах и тротуарах.", "Не оставляйте автомобили под деревьями.",
    "Без необходимости не выходите из дома.", "При чрезвычайной ситуации звоните 112.",
    "Коммунальные службы переведены на усиленный режим.",
]  # fmt: skip
OPERATORS = ["Региональный оператор", "Управляющая компания «Уют»", "Перевозчик", "Водоканал", "Теплосеть"]
DELAYS = [
    "из-за поломки техники вывоз отходов может задерживаться на 1–2 суток",
    "в праздничные дни автобусы ходят по расписанию выходного дня",
    "прием показаний счетчиков продлен до 28 числа",
    "в связи с ремонтом котельной подача отопления начнется на три дня позже",
]
VOTES = [
    "Открыто голосование за дворы, которые отремонтируют в следующем году.",
    "Начался прием предложений жителей в план благоустройства.",
    "Проходит опрос о работе общественного транспорта.",
    "Объявлен конкурс на лучший новогодний двор.",
]
VOTE_TAILS = ["Голосуйте на Госуслугах до конца месяца.", "Ссылка в описании группы.", "Ждем ваших идей!", ""]
REPLIES = [
    "Добрый день! Информация передана в {service}, {promise}.",
    "Здравствуйте. {promise_cap}. Спасибо за обращение.",
    "Ваше сообщение зарегистрировано, номер заявки {n}{m}. {promise_cap}.",
    "Добрый вечер! Уточните, пожалуйста, адрес в личных сообщениях, мы передадим заявку в {service}.",
    "Специалисты {service_gen} проинформированы, {promise}.",
]
SERVICES = ["управляющую компанию", "дорожную службу", "водоканал", "теплосеть"]
SERVICES_GEN = ["управляющей компании", "дорожной службы", "водоканала", "теплосети"]
PROMISES = [
    "работы запланированы на завтра", "выезд бригады назначен на утро", "ответ будет дан в течение трех дней",
    "ремонт включен в план на следующую неделю", "ситуация на контроле", "о результатах сообщим здесь же",
]  # fmt: skip
MORE_ADVICE = [
    "{who_ask} {specialist}, чтобы не дорого?",
    "{who_ask} куда сдать старый холодильник",
    "где в городе хороший {shop}?",
    "{who_ask} как записаться к {doctor} платно",
    "девочки, кто знает хорошего {specialist}?",
]
WHO_ASK = [
    "Подскажите",
    "подскажите пожалуйста",
    "Люди добрые, подскажите",
    "народ, посоветуйте",
    "кто знает",
]
SHOPS = ["шиномонтаж", "автосервис", "ремонт обуви", "цветочный", "мясной магазин", "детский магазин"]
DOCTORS = ["неврологу", "лору", "гинекологу", "кардиологу"]


def official(rng: random.Random) -> str:
    """One official post (announcement, warning, vote) or reply of the administration or a utility."""
    kind = rng.randrange(len(OFFICIAL) + 2)
    if kind >= len(OFFICIAL):
        return rng.choice(REPLIES).format(
            service=rng.choice(SERVICES),
            service_gen=rng.choice(SERVICES_GEN),
            promise=rng.choice(PROMISES),
            promise_cap=rng.choice(PROMISES).capitalize(),
            n=rng.randint(10, 99),
            m=rng.randint(100, 999),
        )
    street, street2 = rng.sample(STREETS, 2)
    n = rng.randint(1, 30)
    addresses = rng.choice(ADDRESS_LISTS).format(
        street=street, street2=street2, n=n, m=n + rng.randint(2, 12), district=rng.choice(DISTRICTS),
        village=rng.choice(VILLAGES),
    )  # fmt: skip
    stop = rng.choice(STOPS)
    text = OFFICIAL[kind].format(
        head=rng.choice(HEADS),
        date=f"{rng.randint(1, 28)} {rng.choice(['января', 'апреля', 'июля', 'октября', 'декабря'])}",
        hours=f"с {rng.randint(8, 11):02d}:00 до {rng.randint(13, 19)}:00",
        stop=stop,
        stop_cap=stop.capitalize(),
        resource=rng.choice(RESOURCE_NOUNS),
        addresses=addresses,
        reason_sentence=rng.choice(REASON_SENTENCES),
        advice=rng.choice(ADVICES),
        apology=rng.choice(APOLOGIES),
        emergency_sentence=rng.choice(EMERGENCIES),
        restore=rng.choice(RESTORES).format(h=rng.randint(14, 23)),
        warning_head=rng.choice(WARNING_HEADS),
        weather=rng.choice(WEATHER),
        weather_advice=rng.choice(WEATHER_ADVICE),
        operator=rng.choice(OPERATORS),
        delay=rng.choice(DELAYS),
        vote_sentence=rng.choice(VOTES),
        vote_tail=rng.choice(VOTE_TAILS),
    )
    return re.sub(r"\s+", " ", text).strip()


def advice_request(rng: random.Random) -> str:
    """A resident asking others for a recommendation: municipal chit-chat, nobody must act."""
    return rng.choice(MORE_ADVICE).format(
        who_ask=rng.choice(WHO_ASK),
        specialist=rng.choice(SPECIALISTS),
        shop=rng.choice(SHOPS),
        doctor=rng.choice(DOCTORS),
    )


def generate_more(count: int, seed: int) -> list[str]:
    """``count`` official posts and replies, ``count // 4`` advice requests and ``count // 2`` local news
    of handled events and residents' word that a problem is over (all negatives)."""
    rng = random.Random(seed + 2)
    negatives = {official(rng) for _ in range(count)}
    negatives |= {advice_request(rng) for _ in range(count // 4)}
    negatives |= {local_news_or_done(rng) for _ in range(count // 2)}
    return sorted(negatives)


# The block of each complaint template's problem, for the topic model's short complaints.
PROBLEM_BLOCKS = {
    "нет горячей воды": "ЖКХ", "нет воды": "ЖКХ", "не вывозят мусор": "Мусор/Свалки/ТКО",
    "яма на дороге": "Дороги", "не горят фонари": "Благоустройство", "лифт не работает": "ЖКХ",
    "батареи холодные": "ЖКХ", "течет крыша": "ЖКХ", "автобус не пришел": "Общественный транспорт",
    "нет света": "Электроснабжение", "воняет из подвала": "ЖКХ", "собаки кидаются на людей": "Безопасность",
    "снег не убран": "Благоустройство", "не работает светофор": "Дороги", "затопило подвал": "ЖКХ",
    "баки переполнены": "Мусор/Свалки/ТКО", "дорогу размыло": "Дороги", "сломаны качели": "Благоустройство",
    "не дозвониться в поликлинику": "Здравоохранение/Медицина", "нет связи": "Связь и телевидение",
    "открытый люк": "ЖКХ", "гололед и никто не посыпает": "Дороги", "вода ржавая": "ЖКХ",
    "в квартире холодно": "ЖКХ", "прорвало трубу": "ЖКХ", "оборваны провода": "Электроснабжение",
    "дерево упало на дорогу": "Благоустройство", "в подъезде грязь": "ЖКХ",
    "не ходит автобус": "Общественный транспорт", "к врачу не записаться": "Здравоохранение/Медицина",
    "тротуар разбит": "Дороги", "ливневка забита": "Дороги", "стихийная свалка": "Мусор/Свалки/ТКО",
    "мигает свет": "Электроснабжение", "напора воды нет": "ЖКХ", "канализация засорилась": "ЖКХ",
    "крысы в подвале": "Роспотребнадзор",
    "дети ходят по обочине": "Дороги", "трава по пояс": "Благоустройство",
    "фонарь разбит": "Благоустройство", "в садике холодно": "Образование",
    "нет лекарств в аптеке": "Здравоохранение/Медицина", "скорая не едет": "Здравоохранение/Медицина",
}  # fmt: skip


def topic_examples(count: int, seed: int) -> list[tuple[str, str]]:
    """Short complaints (the ``complaint`` template) with the block of their problem."""
    rng = random.Random(seed + 3)
    out = set()
    for _ in range(count):
        problem = rng.choice(PROBLEMS)
        place = _fill(rng.choice(PLACES), rng)
        parts = [place, problem, rng.choice(DURATIONS)]
        if rng.random() < 0.5:
            parts[0], parts[1] = parts[1], parts[0]
        tail = rng.choice(TAILS)
        text = " ".join(part for part in [*parts, tail] if part)
        out.add((text, PROBLEM_BLOCKS[problem]))
    return sorted(out)


# More everyday problems per block, in residents' words, for the incident and topic corpora only
# (``complaint`` and the sentiment examples keep their own list, so the sentiment pack is unchanged).
EVERYDAY_PROBLEMS = {
    "ЖКХ": [
        "стояк холодный", "из крана бежит кипяток вместо холодной",
        "домофон не открывает", "в подвале вода стоит",
        "с потолка капает", "мусоропровод забит",
        "в подъезде лампочки не горят", "счетчики поменяли а воду не дали",
        "трубы гудят всю ночь", "по стенам плесень", "ступеньки у подъезда раскрошились", "напор еле идет",
        "батарея в детской ледяная", "запах газа в подъезде", "крышу так и не залатали",
    ],
    "Дороги": [
        "на дороге колея по колено", "выбоина на въезде во двор", "знак упал и никто не ставит",
        "пешеходный переход стерся", "машины гоняют по тротуару", "дорогу перекопали и бросили",
        "после грейдера еще хуже стало", "обочину размыло до асфальта",
    ],
    "Благоустройство": [
        "лужа во дворе не пройти", "горка на площадке треснула",
        "скамейки все поломаны", "ветки висят на проводах",
        "урны не вычищают", "двор весь в ямах после ремонта",
        "газон раскатали машинами", "песочница с осколками",
    ],
    "Мусор/Свалки/ТКО": [
        "контейнеры не вывозили с пятницы", "у гаражей опять вывалили мусор", "мусоровоз не приезжал неделю",
        "площадка завалена пакетами", "вонь от помойки на весь двор",
    ],
    "Общественный транспорт": [
        "автобус проехал мимо остановки",
        "маршрутку ждали сорок минут", "последний рейс отменили без объявления",
        "в автобусе не работает печка", "кондуктор не берет карту",
    ],
    "Электроснабжение": [
        "свет моргает весь вечер", "опять вырубило электричество",
        "напряжение скачет лампы горят", "в доме нет света с обеда",
    ],
    "Здравоохранение/Медицина": [
        "в поликлинике нет талонов к педиатру", "в регистратуре не берут трубку", "скорую ждали два часа",
        "к хирургу очередь на месяц", "в аптеке нет льготных лекарств",
    ],
    "Образование": ["в школе в классах холодно", "в садике нет мест", "школьный автобус не приехал"],
    "Безопасность": ["подростки жгут костры в подъезде",
    "бездомные собаки бегают стаей", "пьяные шумят под окнами до утра"],
    "Газ и топливо": ["газ горит еле-еле", "дрова обещали привезти и не привезли"],
    "Связь и телевидение": ["интернет пропадает каждый вечер", "мобильная связь не ловит в поселке"],
    "Экология": ["с котельной черный дым", "в речку сливают что-то вонючее"],
    'МФЦ "Мои документы"': ["в мфц работает одно окно", "в мфц не записаться на паспорт"],
}  # fmt: skip
EVERYDAY_TAILS = [
    "", "", "сколько можно", "кто-нибудь ответит?", "куда писать", "ау администрация", "😡😡", "(((", "!!!",
    "надоело", "спасибо управляйке)))",
    "ну конечно, все в порядке 👍", "и так каждый раз", "люди, у вас так же?",
    "когда починят", "жаловались уже", "нам что, самим делать?",
]  # fmt: skip


def everyday_complaint(rng: random.Random) -> tuple[str, str]:
    """A short complaint in residents' words and the block of its problem."""
    block = rng.choice(list(EVERYDAY_PROBLEMS))
    parts = [rng.choice(EVERYDAY_PROBLEMS[block]), rng.choice(DURATIONS)]
    place = _fill(rng.choice(PLACES), rng)
    parts.insert(0 if rng.random() < 0.5 else 2, place)
    parts.append(rng.choice(EVERYDAY_TAILS))
    return " ".join(part for part in parts if part), block


def everyday_complaints(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 4)
    return sorted({everyday_complaint(rng) for _ in range(count)})


# Local news of events that services already handle, and residents telling that a problem is over:
# municipal and often about a problem, but nobody is asked to act.
LOCAL_NEWS = [
    "{when} {where} {event}. {handled}",
    "{event_cap} {where}: {handled_low}",
    "Происшествие {where}: {event}. {handled}",
    "{source} сообщает: {when} {where} {event}. {handled}",
]
WHEN = ["Сегодня утром", "Вчера вечером", "Ночью", "В субботу", "Днем"]
WHERE_NEWS = [
    "на трассе у поворота на поселок", "в районе вокзала", "в частном секторе", "на перекрестке у рынка",
    "в одной из квартир на улице Ленина", "у торгового центра", "на въезде в город",
]  # fmt: skip
LOCAL_EVENTS = [
    "столкнулись грузовик и легковой автомобиль", "загорелся гараж", "пенсионерка упала на льду",
    "водитель сбил пешехода на переходе", "задержали подростков за порчу остановки", "обрушился старый сарай",
    "произошел пожар в частном доме", "автомобиль вылетел в кювет", "в реке спасли рыбака",
]  # fmt: skip
HANDLED = [
    "На месте работали сотрудники ГИБДД и скорая.", "Пожарные справились за час, пострадавших нет.",
    "Полиция устанавливает обстоятельства.", "Пострадавший доставлен в больницу.", "Возбуждено дело.",
    "Движение восстановлено.",
]  # fmt: skip
SOURCES = ["ГИБДД", "Пресс-служба МЧС", "ОМВД по району", "Городской портал", "Местная газета"]
DONE = [
    "{thing} сделали, всем спасибо",
    "все, {thing_done}",
    "у нас уже {thing_done}, если кто переживал",
    "{thing_done} буквально через час после звонка",
    "вопрос с {thing_about} решили, приезжали утром",
    "отбой, {thing_done}",
    "обновлю: {thing_done}",
]
THINGS_DONE = [
    "свет дали", "воду включили", "мусор увезли", "лифт запустили", "батареи потеплели", "яму засыпали",
    "фонарь горит", "автобус снова ходит по расписанию", "интернет появился", "дорогу почистили",
]  # fmt: skip
THINGS = ["Колодец", "Горку на площадке", "Крыльцо", "Забор у школы", "Остановку"]
THINGS_ABOUT = ["лужей у подъезда", "упавшим деревом", "светофором", "вывозом мусора", "отоплением"]


def local_news_or_done(rng: random.Random) -> str:
    """Local news of a handled event or a resident's word that a problem is over (negatives)."""
    if rng.random() < 0.5:
        event = rng.choice(LOCAL_EVENTS)
        handled = rng.choice(HANDLED)
        text = rng.choice(LOCAL_NEWS).format(
            when=rng.choice(WHEN), where=rng.choice(WHERE_NEWS), event=event, event_cap=event.capitalize(),
            handled=handled, handled_low=handled[:1].lower() + handled[1:], source=rng.choice(SOURCES),
        )  # fmt: skip
        return text
    return rng.choice(DONE).format(
        thing=rng.choice(THINGS), thing_done=rng.choice(THINGS_DONE), thing_about=rng.choice(THINGS_ABOUT)
    )
