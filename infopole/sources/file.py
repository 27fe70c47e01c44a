"""Adding and removing a source edits the municipality file itself, never a second copy of it.

The file stays the one reviewed, versioned description of the information field: the flows read
it at every run, so a source added here is collected in the next cycle. The edit is a YAML
round-trip (comments, order and quoting kept), the whole new file is validated by the same
``parse_municipality`` as ``infopole check`` before anything is written, and the write is atomic
(a temporary file renamed over the old one). A change that would break the file — a duplicate id,
removing a source that a госпаблик or an alert rule still names — is refused with the reasons.
An approved discovery candidate goes in the same way (``add_candidate``), refused if the file
already collects its page.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from crawlers.discovery.run import candidate_source_id
from infopole.config.municipality import ConfigError, Municipality, parse_municipality
from infopole.domain.candidate import Candidate
from infopole.domain.source import Source

YAML_WIDTH = 4096  # never re-wrap an administrator's long lines


class SourceEditError(Exception):
    """The edit was refused; the message says why, in Russian, for the page."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = YAML_WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _edit(text: str, filename: str, change: Any) -> tuple[str, Municipality]:
    yaml = _yaml()
    tree = yaml.load(text)
    if not isinstance(tree, CommentedMap):
        raise SourceEditError("файл муниципалитета не похож на словарь полей")
    sources = tree.get("sources")
    if sources is None:
        sources = tree["sources"] = CommentedSeq()
    change(sources)
    out = io.StringIO()
    yaml.dump(tree, out)
    new_text = out.getvalue()
    try:
        return new_text, parse_municipality(new_text, filename)
    except ConfigError as error:
        reasons = "; ".join(f"{p.field or 'файл'}: {p.message}" for p in error.problems)
        raise SourceEditError(f"файл не прошёл бы проверку: {reasons}") from error


def add_source(text: str, source: Source, filename: str) -> tuple[str, Municipality]:
    """The file with ``source`` appended to ``sources`` (only the fields that differ from defaults)."""
    entry = CommentedMap(source.model_dump(mode="json", exclude_defaults=True))
    entry.move_to_end("id", last=False)

    def append(sources: CommentedSeq) -> None:
        if any(str(item.get("id")) == source.id for item in sources if isinstance(item, dict)):
            raise SourceEditError(f"источник с id «{source.id}» уже есть в файле")
        sources.append(entry)

    return _edit(text, filename, append)


def add_candidate(text: str, candidate: Candidate, filename: str) -> tuple[str, Municipality, Source]:
    """The file with an approved discovery candidate added as a source, and that source.

    The id comes from the candidate's address (``crawlers.discovery.run.candidate_source_id``),
    unique in the file; the settlement is kept only when it is one of the file's own. A candidate
    whose page the file already collects (same kind and target) is refused, not added twice.
    """
    try:
        municipality = parse_municipality(text, filename)
    except ConfigError as error:
        reasons = "; ".join(f"{p.field or 'файл'}: {p.message}" for p in error.problems)
        raise SourceEditError(f"файл муниципалитета сейчас не проходит проверку: {reasons}") from error
    for existing in municipality.sources:
        if existing.kind is candidate.kind and _same_target(existing.target, candidate.target):
            raise SourceEditError(
                f"{candidate.kind.value} «{candidate.target}» уже есть в файле как источник «{existing.id}»"
            )
    known = municipality.settlement(candidate.settlement) if candidate.settlement else None
    try:
        source = Source(
            id=candidate_source_id(candidate, (s.id for s in municipality.sources)),
            kind=candidate.kind,
            title=candidate.title.strip() or candidate.target,
            target=candidate.target,
            settlement=known.name if known else None,
        )
    except ValidationError as error:
        reasons = "; ".join(str(e["msg"]) for e in error.errors())
        raise SourceEditError(f"из кандидата не получается источник: {reasons}") from error
    new_text, edited = add_source(text, source, filename)
    return new_text, edited, source


def _same_target(a: str, b: str) -> bool:
    """Targets as the platforms compare them: Telegram usernames ignore case and a leading ``@``."""
    return a.strip().lstrip("@").casefold() == b.strip().lstrip("@").casefold()


def remove_source(text: str, source_id: str, filename: str) -> tuple[str, Municipality]:
    def drop(sources: CommentedSeq) -> None:
        for index, item in enumerate(sources):
            if isinstance(item, dict) and str(item.get("id")) == source_id:
                del sources[index]
                return
        raise SourceEditError(f"источника «{source_id}» нет в файле")

    return _edit(text, filename, drop)


def write_atomically(path: Path, text: str) -> None:
    """Readers (a flow starting now) see the old file or the new one, never half of it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
