"""Hard negatives of the incident model, round 3: texts of municipal pages that name problems without
reporting one — replies of the administration to residents, reference and contact lists, news of
finished repairs, event announcements, schedules, official notices with addresses and dates,
residents' questions about opening hours, local news in the third person, opinions in a discussion —
and complaints that quote officials and dates, so that official words alone do not carry the label.

Written from what municipal VK pages usually look like, without looking at the development set
(``tests/data/nlp_dev.jsonl``); the kinds of the demo field's false incidents (replies, the contact
list, news) were seen, their texts were not reused. ``tests/test_nlp_classifiers.py`` checks that no
training text is a development text.
"""

from __future__ import annotations

import random
import re

STREETS = [
    "Садовая",
    "Школьная",
    "Заводская",
    "Молодежная",
    "Полевая",
    "Советская",
    "Пушкина",
    "Чехова",
    "Комсомольская",
    "Первомайская",
    "Речная",
    "Строителей",
    "Мира",
    "Победы",
    "Лесная",
]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "сентября", "октября", "ноября", "декабря"]
TOPICS = [
    "отсутствия уличного освещения",
    "вывоза мусора с контейнерной площадки",
    "ямы на проезжей части",
    "протечки кровли",
    "холодных батарей",
    "подтопления подвала",
    "работы автобусного маршрута",
    "уборки снега во дворе",
    "бездомных собак",
    "сломанных качелей",
    "низкого давления воды",
    "неработающего лифта",
    "плохой связи",
    "записи к врачу",
]
BODIES = [
    "управляющую организацию",
    "МКУ «Служба заказчика»",
    "отдел ЖКХ администрации",
    "комитет по благоустройству",
    "региональному оператору",
    "ГБУЗ «Районная больница»",
    "подрядную организацию",
    "ресурсоснабжающую организацию",
]
DEADLINES = [
    "Работы будут выполнены до {d} {month}.",
    "Срок выполнения работ — до {d} {month}.",
    "Ремонт запланирован на {d} {month}.",
    "Выезд специалистов назначен на {d} {month}.",
    "Работы включены в план, срок — {d} {month}.",
    "Ответ будет направлен вам в установленный законом срок.",
    "Вопрос находится на контроле администрации.",
    "О результатах сообщим в комментариях.",
]
REPLY_HEADS = [
    "Добрый день!",
    "Здравствуйте!",
    "Добрый вечер.",
    "Уважаемая Ольга!",
    "Уважаемый Сергей Петрович!",
    "",
]
REPLY_BODIES = [
    "Ваше обращение по вопросу {topic} направлено в {body}.",
    "Информация по вопросу {topic} передана в {body}.",
    "По вашему обращению дано поручение ответственным службам.",
    "Ваша заявка зарегистрирована и передана исполнителю.",
    "Мы связались с {body}: специалисты проверят ситуацию на ул. {street}, д. {n}.",
    "По данным, полученным от {body_gen}, причина установлена.",
    "Благодарим за сигнал! Информация о {topic_short} передана профильной службе.",
    "Просим уточнить адрес и номер подъезда в личных сообщениях сообщества.",
    "Обращение рассмотрено, в адрес {body_gen} направлено письмо.",
]
BODIES_GEN = [
    "управляющей компании",
    "подрядчика",
    "отдела ЖКХ",
    "дорожной службы",
    "регионального оператора",
    "ресурсоснабжающей организации",
    "больницы",
]
TOPICS_SHORT = ["фонарях", "контейнерной площадке", "яме", "кровле", "батареях", "лифте", "дороге"]
REPLY_TAILS = [
    "Спасибо за обращение.",
    "Благодарим за неравнодушие.",
    "Телефон для справок: 8 (813) 4-{a}-{b}.",
    "С уважением, администрация.",
    "",
]

PHONE_HEADS = [
    "📌 Полезные номера",
    "Телефоны экстренных служб",
    "Куда звонить, если",
    "Справочная информация",
    "Сохраните себе!",
    "☎ Контакты дежурных служб района",
    "Горячие линии",
]
PHONE_SERVICES = [
    "Единая дежурно-диспетчерская служба",
    "Аварийная служба водоканала",
    "Дежурный электросетей",
    "Скорая помощь",
    "Полиция",
    "Газовая служба",
    "Регистратура поликлиники",
    "Управляющая компания",
    "Приемная главы поселения",
    "Горячая линия по вывозу мусора",
    "Диспетчер теплосети",
    "МФЦ",
]
HOURS_LINES = [
    "Прием граждан: вторник и четверг с 10:00 до 13:00.",
    "Работаем круглосуточно.",
    "Часы работы: пн–пт 9:00–18:00, обед 13:00–14:00.",
    "Звонок бесплатный.",
    "",
]

DONE_NEWS = [
    "Завершен ремонт {object} на ул. {street}. {detail}",
    "На ул. {street} {done_verb} {object_acc}. {detail}",
    "После обращений жителей на ул. {street} {done_verb} {object_acc}.",
    "Подрядчик выполнил работы по {work}: {detail_low}",
    "В рамках муниципальной программы {done_verb} {object_acc} в деревне {village}.",
    "{village}: {done_verb} {object_acc}, работы приняты комиссией.",
]
OBJECTS = [
    "участка дороги",
    "кровли школы",
    "детской площадки",
    "тротуара",
    "моста через ручей",
    "сетей водопровода",
]
OBJECTS_ACC = [
    "новые светильники",
    "участок тротуара",
    "детскую площадку",
    "контейнерную площадку",
    "остановочный павильон",
    "аварийный участок теплотрассы",
    "асфальтовое покрытие",
    "ливневую канализацию",
]
DONE_VERBS = ["заменили", "отремонтировали", "обустроили", "установили", "привели в порядок", "восстановили"]
WORKS = ["ямочному ремонту", "благоустройству двора", "замене окон в поликлинике", "очистке ливневки"]
DETAILS = [
    "Заменено 1200 квадратных метров покрытия.",
    "Установлены новые бордюры и скамейки.",
    "Следующий этап начнется весной.",
    "Работы выполнены за счет областного бюджета.",
    "Гарантийный срок — пять лет.",
    "Стоимость работ составила 3,2 млн рублей.",
]
VILLAGES = ["Лужки", "Березовка", "Красный Бор", "Горки", "Новоселье", "Заречье"]

EVENTS = [
    "{day} в {h}:00 в {place} состоится {event}. {invite}",
    "Приглашаем жителей на {event} — {day}, начало в {h}:00, {place}. {invite}",
    "{day} {place} пройдет {event}. Вход свободный.",
    "Анонс недели: {event} ({day}, {h}:00).",
]
EVENT_NAMES = [
    "праздник двора",
    "встреча главы администрации с жителями",
    "ярмарка выходного дня",
    "турнир по мини-футболу",
    "субботник на набережной",
    "концерт ко Дню матери",
    "прием депутата по личным вопросам",
    "публичные слушания по бюджету",
    "день открытых дверей в музыкальной школе",
]
EVENT_PLACES = [
    "в Доме культуры",
    "на центральной площади",
    "в библиотеке",
    "в парке",
    "в актовом зале администрации",
]
DAYS = ["В субботу", "В воскресенье", "Завтра", "В пятницу", "{d} {month}"]
INVITES = [
    "Ждем всех!",
    "Приходите всей семьей.",
    "Предварительная запись по телефону.",
    "Будет интересно.",
    "",
]

SCHEDULES = [
    "Расписание автобуса №{n} с {d} {month}: отправление от вокзала в {h}:{mm}, {h2}:{mm}, {h3}:{mm}.",
    "График вывоза крупногабаритных отходов в {month}: ул. {street} — по вторникам, "
    "ул. {street2} — по пятницам.",
    "График приема специалистов поликлиники на неделю: терапевт — пн, ср с {h}:00, хирург — вт, чт.",
    "Изменение режима работы МФЦ: с {d} {month} прием ведется с {h}:00 до 20:00 без перерыва.",
    "В праздничные дни отделения почты работают по особому графику: {d} {month} — выходной.",
]

NOTICES = [
    "Уважаемые жители! В соответствии с постановлением администрации № {n}{m} с {d} по {d2} {month} "
    "ограничивается движение транспорта по ул. {street}. Объезд по ул. {street2}.",
    "Информируем: {d} {month} с {h}:00 до {h2}:00 на ул. {street} будут проводиться работы по "
    "опиловке деревьев. Просим не оставлять автомобили вдоль проезжей части.",
    "В соответствии с графиком с {d} {month} начинается подготовка к отопительному сезону: "
    "гидравлические испытания сетей в домах по ул. {street}.",
    "Администрация поселения извещает о проведении публичных слушаний {d} {month} в {h}:00.",
    "Уведомляем собственников о проведении общего собрания в доме № {n} по ул. {street} {d} {month}.",
    "Напоминаем: с {d} {month} запрещен выход на лед водоемов района. Штраф — до 3000 рублей.",
]

HOURS_QUESTIONS = [
    "Подскажите, до скольки сегодня работает {office}?",
    "{office} в субботу работает?",
    "кто знает во сколько открывается {office}",
    "Не подскажете часы приема {office_gen}?",
    "А {office} на {street} переехал? Какой теперь адрес?",
    "Как записаться в {office}, по телефону или на месте?",
]
OFFICES = ["МФЦ", "почта", "паспортный стол", "пенсионный фонд", "налоговая", "ЗАГС", "библиотека"]
OFFICES_GEN = ["МФЦ", "паспортного стола", "соцзащиты", "главы поселения", "депутата"]

# Local news in the third person: a problem reported with the service's response, prices and tariffs,
# inspections, statistics of a day; and residents' opinions in a discussion with no problem to solve.
NEWS = [
    "{source}: {where_news} {outage_news}. {response}",
    "{where_cap} {outage_news}, {response_low}",
    "С {d} {month} {tariff}. {tariff_tail}",
    "{inspector} провела проверку {inspected}. {outcome}",
    "За {period} {stat}. {stat_tail}",
    "Жители {district_gen} пожаловались на {complaint_news}. В администрации пообещали {promise_news}.",
]
NEWS_SOURCES = [
    "По информации ЕДДС",
    "Как сообщает пресс-служба района",
    "По данным энергетиков",
    "Городской портал",
]
WHERE_NEWS = [
    "в поселке Лесном",
    "в микрорайоне у вокзала",
    "в деревне Березовка",
    "в трех домах на ул. Мира",
]
OUTAGES_NEWS = [
    "из-за повреждения кабеля нет электричества",
    "после порыва трубы временно нет воды",
    "из-за аварии на котельной снижена температура теплоносителя",
    "упавшее дерево оборвало провода",
]
RESPONSES = [
    "На месте работает аварийная бригада.",
    "Специалисты устраняют повреждение.",
    "Восстановить подачу обещают к вечеру.",
    "Организован подвоз питьевой воды.",
]
TARIFFS = [
    "проезд в городских автобусах подорожает на 4 рубля",
    "тарифы на вывоз мусора вырастут на 9 %",
    "изменится стоимость парковки у вокзала",
    "плата за отопление будет начисляться по новому нормативу",
]
TARIFF_TAILS = ["Решение принял областной комитет по тарифам.", "Льготы для пенсионеров сохранятся.", ""]
INSPECTORS = ["Прокуратура района", "Госжилнадзор", "Роспотребнадзор", "Контрольно-счетная палата"]
INSPECTED = [
    "по обращению жителей дома на ул. {street}",
    "содержания дорог в поселке",
    "работы управляющей компании",
    "исполнения муниципального контракта на благоустройство",
]
OUTCOMES = [
    "Подрядчику выдано представление.",
    "Нарушения устранены.",
    "Материалы направлены в суд.",
    "Управляющая компания оштрафована.",
]
PERIODS = ["сутки", "неделю", "выходные", "прошлый месяц"]
STATS = [
    "в районе произошло {n} ДТП",
    "в травмпункт обратились {n} человек",
    "пожарные выезжали {n} раз",
    "на горячую линию поступило {n} обращений",
]
STAT_TAILS = [
    "Будьте внимательны на дорогах.",
    "Большинство вопросов решено.",
    "Подробности — в нашей группе.",
    "",
]
DISTRICTS_GEN = ["поселка Лесного", "микрорайона Южный", "деревни Горки", "улицы Садовой"]
COMPLAINTS_NEWS = ["плохое освещение", "долгое ожидание автобусов", "шум от стройки", "состояние дороги"]
PROMISES_NEWS = ["разобраться", "включить работы в план следующего года", "проверить подрядчика"]
DISCUSSION = [
    "А мне кажется, {opinion}",
    "по-моему {opinion}",
    "Согласна с вами, {opinion}",
    "Не соглашусь, {opinion}",
    "{opinion} Кто что думает?",
    "Каждый видит по-своему. {opinion}",
]
OPINIONS = [
    "новую площадь сделали красиво, только скамеек маловато.",
    "раньше город был уютнее, но и сейчас неплохо.",
    "фонтан лучше бы оставили старый.",
    "ярмарку надо проводить чаще, людям нравится.",
    "у нас нормальный город, не хуже других.",
    "ёлку в этом году поставили удачнее, чем в прошлом.",
    "памятник красивый, а споры о месте пустые.",
    "велодорожка пригодится, летом будут ездить.",
]


# Complaints that quote officials and dates: a resident's problem in words close to the negatives above.
QUOTING = [
    "Обещали сделать до {d} {month}, уже {month2} — ничего не сделано. {stays}",
    "Мне ответили «обращение передано в управляющую компанию», а {problem} как было, так и есть.",
    "По графику вывоз во вторник, а контейнеры на {street} не вывозили с прошлой недели. Примите меры!",
    "Администрация пишет, что работы выполнены, но {problem} до сих пор. Приезжайте посмотрите сами.",
    "Объявления не было, а у нас на {street} {n} с утра {problem}. Когда починят?",
    "Звонил в аварийную по номеру из группы — никто не берет трубку, а {problem}.",
    "Ремонт закончили месяц назад, а {problem} уже снова. Куда обращаться?",
    "уважаемая администрация когда наконец {fix}? живем на {street} и {problem} уже неделю",
]
QUOTED_PROBLEMS = [
    "яма на том же месте",
    "в подъезде течет с потолка",
    "фонари не горят",
    "батареи ледяные",
    "вода из крана ржавая",
    "лифт стоит",
    "мусор горой",
    "во дворе лужа по колено",
]
FIXES = ["сделаете освещение", "отремонтируете дорогу", "вывезете мусор", "дадите тепло", "почините лифт"]
STAYS = ["Сколько можно ждать?", "Разберитесь пожалуйста.", "Люди ноги ломают.", "Дети ходят по темноте."]


def _fill(template: str, rng: random.Random) -> str:
    street, street2 = rng.sample(STREETS, 2)
    month, month2 = rng.sample(MONTHS, 2)
    d = rng.randint(1, 25)
    hour = rng.randint(7, 11)
    values = {
        "street": street,
        "street2": street2,
        "month": month,
        "month2": month2,
        "d": d,
        "d2": d + rng.randint(1, 5),
        "n": rng.randint(1, 60),
        "m": rng.randint(10, 99),
        "h": hour,
        "h2": hour + rng.randint(3, 8),
        "h3": hour + rng.randint(9, 11),
        "mm": rng.choice(["00", "15", "30", "45"]),
        "a": rng.randint(10, 99),
        "b": rng.randint(10, 99),
        "topic": rng.choice(TOPICS),
        "topic_short": rng.choice(TOPICS_SHORT),
        "body": rng.choice(BODIES),
        "body_gen": rng.choice(BODIES_GEN),
        "object": rng.choice(OBJECTS),
        "object_acc": rng.choice(OBJECTS_ACC),
        "done_verb": rng.choice(DONE_VERBS),
        "work": rng.choice(WORKS),
        "village": rng.choice(VILLAGES),
        "event": rng.choice(EVENT_NAMES),
        "place": rng.choice(EVENT_PLACES),
        "invite": rng.choice(INVITES),
        "office": rng.choice(OFFICES),
        "office_gen": rng.choice(OFFICES_GEN),
        "problem": rng.choice(QUOTED_PROBLEMS),
        "source": rng.choice(NEWS_SOURCES),
        "where_news": rng.choice(WHERE_NEWS),
        "outage_news": rng.choice(OUTAGES_NEWS),
        "tariff": rng.choice(TARIFFS),
        "tariff_tail": rng.choice(TARIFF_TAILS),
        "inspector": rng.choice(INSPECTORS),
        "outcome": rng.choice(OUTCOMES),
        "period": rng.choice(PERIODS),
        "stat_tail": rng.choice(STAT_TAILS),
        "district_gen": rng.choice(DISTRICTS_GEN),
        "complaint_news": rng.choice(COMPLAINTS_NEWS),
        "promise_news": rng.choice(PROMISES_NEWS),
        "opinion": rng.choice(OPINIONS),
        "fix": rng.choice(FIXES),
        "stays": rng.choice(STAYS),
    }
    detail = rng.choice(DETAILS)
    values["detail"], values["detail_low"] = detail, detail[:1].lower() + detail[1:]
    values["day"] = rng.choice(DAYS).format(**values)
    where = str(values["where_news"])
    values["where_cap"] = where[:1].upper() + where[1:]
    response = rng.choice(RESPONSES)
    values["response"], values["response_low"] = response, response[:1].lower() + response[1:]
    values["inspected"] = rng.choice(INSPECTED).format(street=street)
    values["stat"] = rng.choice(STATS).format(n=rng.randint(3, 40))
    return re.sub(r"\s+", " ", template.format(**values)).strip()


def reply(rng: random.Random) -> str:
    parts = [rng.choice(REPLY_HEADS), _fill(rng.choice(REPLY_BODIES), rng)]
    if rng.random() < 0.7:
        parts.append(_fill(rng.choice(DEADLINES), rng))
    parts.append(_fill(rng.choice(REPLY_TAILS), rng))
    return " ".join(part for part in parts if part)


def contacts(rng: random.Random) -> str:
    lines = [rng.choice(PHONE_HEADS)]
    for service in rng.sample(PHONE_SERVICES, rng.randint(2, 6)):
        code, a, b, c = rng.randint(1000, 9999), rng.randint(2, 7), rng.randint(10, 99), rng.randint(10, 99)
        phone = f"8 (8{code}) {a}-{b}-{c}"
        lines.append(f"{service}: {phone}")
    lines.append(rng.choice(HOURS_LINES))
    return "\n".join(line for line in lines if line)


FAMILIES = {
    "reply": reply,
    "contacts": contacts,
    "done_news": lambda rng: _fill(rng.choice(DONE_NEWS), rng),
    "event": lambda rng: _fill(rng.choice(EVENTS), rng),
    "schedule": lambda rng: _fill(rng.choice(SCHEDULES), rng),
    "notice": lambda rng: _fill(rng.choice(NOTICES), rng),
    "hours_question": lambda rng: _fill(rng.choice(HOURS_QUESTIONS), rng),
    "news": lambda rng: _fill(rng.choice(NEWS), rng),
    "discussion": lambda rng: _fill(rng.choice(DISCUSSION), rng),
}


def negatives(count: int, seed: int) -> list[str]:
    """About ``count`` distinct official texts and questions, an equal share per family (negatives)."""
    rng = random.Random(seed + 7)
    out: set[str] = set()
    for name in sorted(FAMILIES):
        out |= {FAMILIES[name](rng) for _ in range(count // len(FAMILIES))}
    return sorted(out)


def quoting_complaints(count: int, seed: int) -> list[str]:
    """Residents' complaints that quote answers, schedules and dates (positives)."""
    rng = random.Random(seed + 8)
    return sorted({_fill(rng.choice(QUOTING), rng) for _ in range(count)})
