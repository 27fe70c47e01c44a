"""Text normalisation before classification: links, mentions, emoji, repeated letters, «ё».

NER and geo-linking run on the original text (their offsets point into it); classifiers see
``normalize(text)``. Emoji are kept as tokens because they carry sentiment.
"""

from __future__ import annotations

import re

URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:vk\.com|vk\.ru|t\.me|ok\.ru)/\S*", re.IGNORECASE)
VK_MENTION = re.compile(r"\[(?:id|club|public)\d+\|([^\]]*)\]")  # [id123|Имя] → Имя
AT_MENTION = re.compile(r"(?<!\w)@\w+")
HASHTAG = re.compile(r"#(\w+)")
REPEATS = re.compile(r"(\w)\1{2,}")  # «дааааа» → «да»; two equal letters are legitimate («ссылка»)
PUNCT_REPEATS = re.compile(r"([!?.)(])\1{2,}")  # «!!!!» → «!!!», keeps the emphasis as a token
EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\u2190-\u21ff\u2b00-\u2bff]"
)
SPACES = re.compile(r"\s+")


def emoji_tokens(text: str) -> str:
    """Separate emoji from words so that «класс👍» becomes «класс 👍 »."""
    return EMOJI.sub(lambda match: f" {match.group(0)} ", text)


def normalize(text: str) -> str:
    text = URL.sub(" ", text)
    text = VK_MENTION.sub(r"\1", text)
    text = AT_MENTION.sub(" ", text)
    text = HASHTAG.sub(r"\1", text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = REPEATS.sub(r"\1", text)
    text = PUNCT_REPEATS.sub(r"\1\1\1", text)
    text = emoji_tokens(text)
    return SPACES.sub(" ", text).strip()
