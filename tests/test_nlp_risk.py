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
