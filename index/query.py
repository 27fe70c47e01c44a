"""The analysts' query language: parsed once into an AST, then translated by each backend.

Examples::

    вода отключили                         both words (implicit AND), any form: «воды», «отключат»
    "горячей воды"                         these exact words, consecutive
    (свет OR электричество) NOT столб      boolean logic; И / ИЛИ / НЕ and a leading "-" work too
    block:ЖКХ sentiment:negative platform:vk settlement:"Ивангород" incident:true
    risk>0.7 reach>=100 toxicity<0.2 risk:0.5..0.9
    date:2026-11-01..2026-11-24  date:2026-11-01  date:-7d  date:-24h  date:today  date:yesterday

Why a hand-written recursive-descent parser rather than pyparsing (installed) or lark (not):
the grammar is a dozen lines, and what analysts need most is a precise *Russian* message
pointing at the offending character («не закрыта скобка, открытая в позиции 7»). With a
parser generator the error would come out as the library's English "Expected ')'", whose
position often lands on the wrong token after backtracking; rewriting those messages costs
more than the parser. Hand-written code also keeps the dependency surface of the index at
the standard library plus ``nlp.lemmas``.

Dates are resolved while parsing, against an injected ``now`` and the municipality time
zone: the AST holds absolute UTC bounds, so both backends translate the same instants and
a test states its clock instead of racing the real one. A saved search stores the *text*
and is parsed again on each run, so «за 7 дней» keeps meaning the last seven days.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from index.document import norm
from infopole.config.blocks import blocks as known_blocks
from nlp.lemmas import lemma, tokens

# ---------------------------------------------------------------- the AST


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty query: every (non-deleted) document."""


@dataclass(frozen=True, slots=True)
class Word:
    """A word in any form: matches documents containing its lemma."""

    text: str
    lemma: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """Exact consecutive words of the text (after lower-casing and «ё» → «е»)."""

    text: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Term:
    """A keyword filter: ``field`` is an ``IndexDocument`` attribute, ``value`` is ``norm``-ed."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Flag:
    field: str
    value: bool


@dataclass(frozen=True, slots=True)
class Compare:
    """A numeric comparison; ``op`` is one of ``> >= < <= =``."""

    field: str
    op: str
    value: float


@dataclass(frozen=True, slots=True)
class DateRange:
    """``start <= published_at < end`` in UTC; a missing bound is open."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Query


Query = MatchAll | Word | Phrase | Term | Flag | Compare | DateRange | And | Or | Not


def walk_positive(query: Query) -> Iterator[Word | Phrase]:
    """The words and phrases a hit may contain, i.e. not under a NOT: for highlights and relevance."""
    if isinstance(query, Word | Phrase):
        yield query
    elif isinstance(query, And | Or):
        for child in query.children:
            yield from walk_positive(child)


# ---------------------------------------------------------------- fields

KEYWORD_FIELDS = {
    "block": "blocks",
    "блок": "blocks",
    "topblock": "block",
    "sentiment": "sentiment",
    "тональность": "sentiment",
    "platform": "platform",
    "платформа": "platform",
    "source": "source_id",
    "источник": "source_id",
    "settlement": "settlement",
    "нп": "settlement",
    "street": "street",
    "улица": "street",
    "kind": "kind",
    "тип": "kind",
    "author": "author_id",
    "автор": "author_id",
    "entity": "entities",
    "упоминание": "entities",
    "story": "story_id",
    "сюжет": "story_id",
    "department": "department",
    "ведомство": "department",
}
FLAG_FIELDS = {"incident": "is_incident", "инцидент": "is_incident"}
NUMERIC_FIELDS = {
    "risk": "risk_score",
    "риск": "risk_score",
    "reach": "reach",
    "охват": "reach",
    "toxicity": "toxicity",
    "токсичность": "toxicity",
    "incident_score": "incident_score",
    "likes": "likes",
    "views": "views",
    "reposts": "reposts",
    "comments": "comments",
}
DATE_FIELDS = {"date": "published_at", "дата": "published_at"}
VALUE_ALIASES = {
    "sentiment": {
        "негатив": "negative",
        "негативная": "negative",
        "neg": "negative",
        "позитив": "positive",
        "позитивная": "positive",
        "pos": "positive",
        "нейтральная": "neutral",
        "нейтрал": "neutral",
    },
    "platform": {
        "вк": "vk",
        "вконтакте": "vk",
        "ок": "ok",
        "одноклассники": "ok",
        "tg": "telegram",
        "телеграм": "telegram",
        "телеграмм": "telegram",
    },
}
TRUE_WORDS = {"true", "yes", "1", "да"}
FALSE_WORDS = {"false", "no", "0", "нет"}
OPERATORS = {"AND": "AND", "И": "AND", "OR": "OR", "ИЛИ": "OR", "NOT": "NOT", "НЕ": "NOT"}
OPERATOR_NAMES = {"AND": "И (AND)", "OR": "ИЛИ (OR)", "NOT": "НЕ (NOT)"}


def field_names() -> list[str]:
    return sorted(
        name for name in (*KEYWORD_FIELDS, *FLAG_FIELDS, *NUMERIC_FIELDS, *DATE_FIELDS) if name.isascii()
    )


def canonical_block(value: str) -> str:
    """«ТКО» means «Мусор/Свалки/ТКО»: accept a block by its full name or any part of it."""
    key = norm(value)
    for block in known_blocks():
        if key == norm(block) or key in (norm(part) for part in block.split("/")):
            return norm(block)
    return key


# ---------------------------------------------------------------- errors


class QuerySyntaxError(ValueError):
    """A query the parser cannot read; ``position`` is the 0-based offset of the culprit."""

    def __init__(self, message: str, query: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.query = query
        self.position = max(0, min(position, len(query)))

    @property
    def caret_line(self) -> str:
        return " " * self.position + "^"

    def __str__(self) -> str:
        return f"{self.message} (позиция {self.position + 1})\n{self.query}\n{self.caret_line}"


# ---------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # LPAREN RPAREN OP MINUS PHRASE WORD FIELD EOF
    text: str
    position: int
    op: str = ""  # FIELD: the comparison; OP: AND/OR/NOT
    value: str = ""  # FIELD: the raw value
    value_position: int = 0
    value_quoted: bool = False


_FIELD = re.compile(r"([A-Za-zА-Яа-яЁё_]+)(>=|<=|:|>|<|=)")
_QUOTES = {'"': '"', "«": "»", "“": "”"}
_STOP = set(" \t\r\n()") | set(_QUOTES)


def _read_quoted(query: str, start: int) -> tuple[str, int]:
    closing = _QUOTES[query[start]]
    end = query.find(closing, start + 1)
    if end < 0:
        raise QuerySyntaxError("не закрыта кавычка", query, start)
    return query[start + 1 : end], end + 1


def _read_bare(query: str, start: int) -> tuple[str, int]:
    end = start
    while end < len(query) and query[end] not in _STOP:
        end += 1
    return query[start:end], end


def _lex(query: str) -> list[_Token]:
    result: list[_Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
        elif char in "()":
            result.append(_Token("LPAREN" if char == "(" else "RPAREN", char, position))
            position += 1
        elif char in _QUOTES:
            text, end = _read_quoted(query, position)
            result.append(_Token("PHRASE", text, position))
            position = end
        elif char == "-" and position + 1 < len(query) and query[position + 1] not in _STOP:
            result.append(_Token("MINUS", char, position))
            position += 1
        elif match := _FIELD.match(query, position):
            value_start = match.end()
            if value_start < len(query) and query[value_start] in _QUOTES:
                value, end = _read_quoted(query, value_start)
                quoted = True
            else:
                value, end = _read_bare(query, value_start)
                quoted = False
            if not value and not quoted:
                raise QuerySyntaxError(f"после «{match.group(0)}» ожидалось значение", query, value_start)
            result.append(
                _Token("FIELD", match.group(1), position, match.group(2), value, value_start, quoted)
            )
            position = end
        else:
            text, end = _read_bare(query, position)
            if text in OPERATORS:
                result.append(_Token("OP", text, position, op=OPERATORS[text]))
            elif tokens(text):  # punctuation alone ("—", "!!!") is not a search term
                result.append(_Token("WORD", text, position))
            position = end
    result.append(_Token("EOF", "", len(query)))
    return result


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, query: str, now: datetime, tz: ZoneInfo) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.index = 0
        self.now = now
        self.tz = tz

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, position)

    def parse(self) -> Query:
        if self.peek().kind == "EOF":
            return MatchAll()
        node = self.or_expr()
        token = self.peek()
        if token.kind == "RPAREN":
            raise self.error("лишняя закрывающая скобка", token.position)
        if token.kind != "EOF":  # pragma: no cover - or_expr consumes everything else
            raise self.error("непонятный фрагмент запроса", token.position)
        return node

    def or_expr(self) -> Query:
        children = [self.and_expr()]
        while self.peek().kind == "OP" and self.peek().op == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Query:
        children = [self.unary()]
        while True:
            token = self.peek()
            if token.kind in ("EOF", "RPAREN") or (token.kind == "OP" and token.op == "OR"):
                break
            if token.kind == "OP" and token.op == "AND":
                self.take()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Query:
        token = self.peek()
        if (token.kind == "OP" and token.op == "NOT") or token.kind == "MINUS":
            self.take()
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Query:
        token = self.take()
        if token.kind == "LPAREN":
            if self.peek().kind == "RPAREN":
                raise self.error("пустые скобки", token.position)
            node = self.or_expr()
            if self.peek().kind != "RPAREN":
                message = f"не закрыта скобка, открытая в позиции {token.position + 1}"
                raise self.error(message, token.position)
            self.take()
            return node
        if token.kind == "PHRASE":
            return self.phrase(token.text, token.position)
        if token.kind == "WORD":
            return self.word(token.text)
        if token.kind == "FIELD":
            return self.field(token)
        if token.kind == "OP":
            before = self.tokens[self.index - 2] if self.index >= 2 else None
            if before is None or before.kind in ("LPAREN", "OP", "MINUS"):
                message = f"оператору {OPERATOR_NAMES[token.op]} не хватает условия слева"
                raise self.error(message, token.position)
            raise self.error(f"после {OPERATOR_NAMES[before.op]} ожидалось условие", token.position)
        if token.kind == "RPAREN":
            raise self.error("лишняя закрывающая скобка", token.position)
        # EOF right after an operator or a minus
        before = self.tokens[self.index - 2]
        name = OPERATOR_NAMES.get(before.op, "«-»")
        raise self.error(f"после {name} ожидалось условие", token.position)

    def word(self, text: str) -> Query:
        parts = tokens(text)
        words: list[Query] = [Word(part, lemma(part)) for part in parts]
        return words[0] if len(words) == 1 else And(tuple(words))

    def phrase(self, text: str, position: int) -> Query:
        words = tuple(tokens(text))
        if not words:
            raise self.error("пустая фраза в кавычках", position)
        return Phrase(text, words)

    def field(self, token: _Token) -> Query:
        name = token.text.lower()
        value, at = token.value, token.value_position
        if name in KEYWORD_FIELDS:
            return self.keyword(name, token)
        if name in FLAG_FIELDS:
            if token.op != ":":
                raise self.error(f"поле «{name}» сравнивается только через «:»", token.position)
            lowered = value.lower()
            if lowered not in TRUE_WORDS | FALSE_WORDS:
                raise self.error(f"«{name}» принимает true или false, а не «{value}»", at)
            return Flag(FLAG_FIELDS[name], lowered in TRUE_WORDS)
        if name in NUMERIC_FIELDS:
            return self.numeric(NUMERIC_FIELDS[name], token)
        if name in DATE_FIELDS:
            return self.dates(token)
        raise self.error(
            f"неизвестное поле «{token.text}»; доступны: {', '.join(field_names())}"
            " (текст с двоеточием возьмите в кавычки)",
            token.position,
        )

    def keyword(self, name: str, token: _Token) -> Query:
        if token.op != ":":
            raise self.error(f"поле «{name}» сравнивается только через «:»", token.position)
        field = KEYWORD_FIELDS[name]
        value = norm(token.value)
        if not value:
            raise self.error(f"пустое значение поля «{name}»", token.value_position)
        value = VALUE_ALIASES.get(field, {}).get(value, value)
        if field in ("blocks", "block"):
            value = canonical_block(value)
        return Term(field, value)

    def number(self, text: str, position: int) -> float:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise self.error(f"ожидалось число, а не «{text}»", position) from None

    def numeric(self, field: str, token: _Token) -> Query:
        value, at = token.value, token.value_position
        if token.op == ":" and ".." in value:
            low, high = value.split("..", 1)
            parts: list[Query] = []
            if low:
                parts.append(Compare(field, ">=", self.number(low, at)))
            if high:
                parts.append(Compare(field, "<=", self.number(high, at + len(low) + 2)))
            if not parts:
                raise self.error("у диапазона нет ни одной границы", at)
            return parts[0] if len(parts) == 1 else And(tuple(parts))
        op = "=" if token.op == ":" else token.op
        return Compare(field, op, self.number(value, at))

    # dates ----------------------------------------------------------

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz).astimezone(UTC)

    def day(self, text: str, position: int) -> date:
        lowered = text.lower()
        today = self.now.astimezone(self.tz).date()
        if lowered in ("today", "сегодня"):
            return today
        if lowered in ("yesterday", "вчера"):
            return today - timedelta(days=1)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.error(
                f"ожидалась дата ГГГГ-ММ-ДД, today, yesterday или -7d, а не «{text}»", position
            ) from None

    def dates(self, token: _Token) -> Query:
        value, at = token.value, token.value_position
        relative = re.fullmatch(r"-(\d+)([dhwдчн])", value.lower())
        if relative and token.op == ":":
            amount, unit = int(relative.group(1)), relative.group(2)
            hours = {"d": 24, "д": 24, "h": 1, "ч": 1, "w": 168, "н": 168}[unit]
            return DateRange(self.now.astimezone(UTC) - timedelta(hours=amount * hours), None)
        if token.op == ":":
            if ".." in value:
                low, high = value.split("..", 1)
                start = self.local_midnight(self.day(low, at)) if low else None
                end_day = self.day(high, at + len(low) + 2) if high else None
                end = self.local_midnight(end_day + timedelta(days=1)) if end_day else None
                if start is None and end is None:
                    raise self.error("у диапазона дат нет ни одной границы", at)
                if start is not None and end is not None and end <= start:
                    raise self.error("конец диапазона дат раньше начала", at)
                return DateRange(start, end)
            one = self.day(value, at)
            return DateRange(self.local_midnight(one), self.local_midnight(one + timedelta(days=1)))
        one = self.day(value, at)
        start_of, next_day = self.local_midnight(one), self.local_midnight(one + timedelta(days=1))
        return {
            ">": DateRange(next_day, None),
            ">=": DateRange(start_of, None),
            "<": DateRange(None, start_of),
            "<=": DateRange(None, next_day),
            "=": DateRange(start_of, next_day),
        }[token.op]


def parse_query(text: str, *, now: datetime, tz: ZoneInfo | str = "Europe/Moscow") -> Query:
    """Parse an analyst's query; raises ``QuerySyntaxError`` with the position of the problem."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return _Parser(text, now, zone).parse()
