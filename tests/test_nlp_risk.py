from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nlp.risk import (
    GROWTH_FLOOR_PER_HOUR,
    SPREAD,
    assess,
    audience_strength,
    growth_strength,
    reach_per_hour,
)


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


# --- spread: growth and the source's audience ----------------------------------------------------

PUBLISHED = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
COMPLAINT = "Третий час не можем дозвониться в управляющую компанию, в подъезде потоп"


def test_the_same_views_in_the_first_hour_are_growth_and_after_a_month_are_not() -> None:
    fresh_rate = reach_per_hour(5_000, PUBLISHED, PUBLISHED + timedelta(minutes=50))
    old_rate = reach_per_hour(5_000, PUBLISHED, PUBLISHED + timedelta(days=30))
    assert fresh_rate == 5_000  # judged on the whole first hour, not on 50 minutes
    assert old_rate < GROWTH_FLOOR_PER_HOUR
    fresh = assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=5_000, per_hour=fresh_rate)
    old = assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=5_000, per_hour=old_rate)
    plain = assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=5_000)
    assert fresh.score > old.score + 0.05
    assert "growth" in fresh.factors and "growth" not in old.factors
    assert old.score == plain.score  # a month-old post shows no growth it does not have


def test_no_publication_or_observation_time_means_no_growth() -> None:
    assert reach_per_hour(50_000, None, PUBLISHED) == 0.0
    assert reach_per_hour(50_000, PUBLISHED, None) == 0.0
    assert reach_per_hour(0, PUBLISHED, PUBLISHED + timedelta(hours=1)) == 0.0
    # counters read "before" publication (a clock off by minutes) are the first hour's
    assert reach_per_hour(300, PUBLISHED, PUBLISHED - timedelta(minutes=5)) == 300


def test_a_big_audience_raises_a_negative_post_and_leaves_a_neutral_one_at_zero() -> None:
    small = assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=200, audience=300)
    big = assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=200, audience=120_000)
    assert big.score > small.score + 0.05
    assert "audience" in big.factors and "audience" not in small.factors
    assert small.score == assess(COMPLAINT, negative=0.85, toxicity=0.1, reach=200).score
    cat = assess("Котик спит на солнышке", negative=0.05, toxicity=0.01, reach=90_000, per_hour=50_000.0,
                 audience=500_000)  # fmt: skip
    assert cat.score == 0.0 and cat.factors == ()


def test_spread_strengths_grow_on_a_log_scale() -> None:
    assert growth_strength(100) == 0.0 and growth_strength(10_000) == 1.0
    assert 0.45 < growth_strength(1_000) < 0.55
    assert audience_strength(0) == 0.0 and audience_strength(1_000) == 0.0
    assert 0.45 < audience_strength(10_000) < 0.55 and audience_strength(1_000_000) == 1.0


def test_a_bare_word_stays_below_the_threshold_with_the_largest_reach_growth_and_audience() -> None:
    for text in (
        "Горит распродажа зимней обуви, скидки до 70%",
        "Взрыв эмоций на концерте, спасибо артистам",
        "Фильм «Протест» в кинотеатре Родина в субботу",  # the strongest bare words: protest, death
        "Герой фильма погиб в финале, зал плакал",
    ):
        risk = assess(text, negative=0.05, toxicity=0.05, reach=500_000, per_hour=1e6, audience=10**7)
        assert risk.score < THRESHOLD, (text, risk)
        assert risk.factors and set(risk.factors) & set(SPREAD), text  # the spread did count
