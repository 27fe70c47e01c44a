from __future__ import annotations

import pytest

from nlp.language import detect, is_russian
from nlp.normalize import normalize


def test_links_mentions_repeats_yo_and_emoji() -> None:
    text = "[id123|Ирина], смотри https://vk.com/wall-1_2 @admin ЁЛКИ, воды нееееет!!!!!!👍#Троицк"
    assert normalize(text) == "Ирина, смотри ЕЛКИ, воды нет!!! 👍 Троицк"


def test_double_letters_are_kept() -> None:
    assert normalize("ссылка на аллею") == "ссылка на аллею"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Третий день нет горячей воды", "ru"),
        ("Вже третій день немає гарячої води, їдемо", "uk"),
        ("The weather is lovely today", "other"),
        ("😡😡😡 !!!", "und"),
        ("Tesla и iPhone подорожали снова", "ru"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert detect(text) == language
    assert is_russian(text) == (language in ("ru", "und"))
