"""Is this text Russian? A letter-statistics test, enough to skip foreign posts cleanly.

Social-network text is short and mixed, so this looks at the alphabet, not at n-gram
profiles: Cyrillic without the Ukrainian/Belarusian letters is Russian, Latin-dominated
text is foreign. Text with no letters at all (emoji, numbers) is ``und`` and is still
analysed as Russian by the analyzer: it was found in a Russian information field.
"""

from __future__ import annotations

import re

LETTER = re.compile(r"[^\W\d_]")
CYRILLIC = re.compile(r"[а-яёіїєґў]", re.IGNORECASE)
UKRAINIAN = re.compile(r"[іїєґ]", re.IGNORECASE)
BELARUSIAN = re.compile(r"ў", re.IGNORECASE)
RUSSIAN_ONLY = re.compile(r"[ыэъё]", re.IGNORECASE)

RUSSIAN = "ru"
UNDETERMINED = "und"


def detect(text: str) -> str:
    """``ru``, ``uk``, ``be``, ``und`` (no letters) or ``other``."""
    letters = LETTER.findall(text)
    if not letters:
        return UNDETERMINED
    cyrillic = sum(1 for letter in letters if CYRILLIC.match(letter))
    if cyrillic < 0.5 * len(letters):
        return "other"
    ukrainian = len(UKRAINIAN.findall(text))
    russian = len(RUSSIAN_ONLY.findall(text))
    if ukrainian >= 2 and ukrainian > russian:
        return "uk"
    if len(BELARUSIAN.findall(text)) >= 2:
        return "be"
    return RUSSIAN


def is_russian(text: str) -> bool:
    return detect(text) in (RUSSIAN, UNDETERMINED)
