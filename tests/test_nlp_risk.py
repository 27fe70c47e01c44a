from __future__ import annotations

from nlp.risk import assess


def test_calm_post_has_no_risk_whatever_its_reach() -> None:
    risk = assess("Котик спит на солнышке", negative=0.05, toxicity=0.01, reach=500_000)
    assert risk.score == 0.0 and risk.factors == ()


def test_announcement_by_the_administration_is_not_a_risk() -> None:
    risk = assess("Администрация информирует о приеме граждан главой района", negative=0.1, toxicity=0.0)
    assert risk.score < 0.05


def test_emergency_with_deaths_and_children_and_reach_is_high_and_explained() -> None:
    risk = assess(
        "Пожар в доме на Лесной, погибли двое, среди них ребенок. Администрация молчит!",
        negative=0.95,
        toxicity=0.2,
        reach=40_000,
    )
    assert risk.score > 0.85
    assert {"death", "emergency", "negative", "children", "reach"} <= set(risk.factors)
    assert risk.factors[0] == "death"


def test_named_official_in_a_complaint() -> None:
    risk = assess("Дудочкин обещал и забыл", negative=0.9, toxicity=0.1, officials=("Дудочкин",))
    assert "official:Дудочкин" in risk.factors
    assert 0.3 < risk.score < 0.7


def test_more_reach_more_risk() -> None:
    text = "Взятки берут открыто"
    low = assess(text, negative=0.8, toxicity=0.1, reach=10)
    high = assess(text, negative=0.8, toxicity=0.1, reach=100_000)
    assert high.score > low.score


THRESHOLD = 0.7  # the municipality file's default risk rule: «the куратор must hear about this now»


def test_a_bare_emergency_word_stays_below_the_alert_threshold_even_with_the_largest_reach() -> None:
    for text in (
        "Горит распродажа зимней обуви, скидки до 70%",
        "Учения по пожарной безопасности в школе в пятницу",
        "Взрыв эмоций на концерте, спасибо артистам",
    ):
        risk = assess(text, negative=0.05, toxicity=0.05, reach=500_000)
        assert risk.score < THRESHOLD, text


def test_an_emergency_confirmed_by_casualties_or_evacuation_passes_the_threshold_alone() -> None:
    for text in (
        "ДТП на трассе у Лужской развилки, есть пострадавшие",
        "Обрушение балкона на Ленина, пожилую женщину госпитализировали",
        "Пожар в общежитии, вывели всех жильцов, вызвали МЧС",
    ):
        risk = assess(text, negative=0.1, toxicity=0.0)
        assert risk.score >= THRESHOLD and risk.factors[0] == "emergency", text


def test_no_casualties_is_not_a_casualty() -> None:
    risk = assess("Небольшое ДТП во дворе, пострадавших нет", negative=0.1, toxicity=0.0)
    assert risk.score < THRESHOLD


def test_gas_a_burst_pipe_and_poisoning_are_emergencies_when_residents_report_them() -> None:
    for text in (
        "В подъезде сильно пахнет газом, аварийная служба не отвечает",
        "Прорвало трубу отопления, кипяток заливает подвал",
        "Отравление в столовой, дети жалуются на живот",
    ):
        calm = assess(text, negative=0.1, toxicity=0.0)
        reported = assess(text, negative=0.1, toxicity=0.0, incident=0.95)
        assert "emergency" in reported.factors, text
        assert calm.score < THRESHOLD <= reported.score, text


def test_a_utility_outage_for_a_whole_street_or_for_days_is_confirmed_by_its_scale() -> None:
    whole = assess("Вся улица Мира без горячей воды, а на улице минус двадцать", negative=0.2, toxicity=0.0)
    days = assess("Третий день нет отопления в доме на Школьной", negative=0.2, toxicity=0.0)
    notice = assess("Плановое отключение горячей воды 3 июня по графику", negative=0.05, toxicity=0.0)
    assert whole.score >= THRESHOLD and whole.factors[0] == "outage"
    assert days.score >= THRESHOLD
    assert notice.score < THRESHOLD  # an announcement is not an outage crisis


def test_corruption_counts_fully_when_it_is_a_complaint_and_little_as_a_word() -> None:
    complaint = assess(
        "Распилили деньги на ремонт дороги, а ямы всё те же", negative=0.3, toxicity=0.1, incident=0.95
    )
    word = assess("Лекция о противодействии коррупции в библиотеке", negative=0.0, toxicity=0.0)
    assert complaint.score >= THRESHOLD and complaint.factors[0] == "corruption"
    assert word.score < 0.5
