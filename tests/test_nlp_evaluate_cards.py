"""`python -m nlp.evaluate --cards`: each pack's figures land in its own model card, replacing the
previous section and keeping what training wrote above it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nlp.evaluate import card_lines, main, write_cards
from nlp.pack import MODELS_DIR

REPORT = """sentiment RuSentiment test, as trained: n=10 macro-F1 0.5000 weighted-F1 0.6000
development set: 3 posts, groups {'a': 3}
topic (dev, 3 posts with a block): top-1 accuracy 1.000
incident (dev, 3): P 1.000 R 0.500 F1 0.667
  informal       1/2 right
  news           1/1 right
sentiment (dev): macro-F1 0.400, accuracy 0.500
subtopic (labels.jsonl: 2 labels): coverage 0.500
incident: false-incident rate on 10 held-out random VK posts 0.1000 (1)
"""


def test_report_lines_go_to_the_pack_they_name() -> None:
    lines = card_lines(REPORT)
    assert lines["incident"] == [
        "incident (dev, 3): P 1.000 R 0.500 F1 0.667",
        "  informal       1/2 right",
        "  news           1/1 right",
        "incident: false-incident rate on 10 held-out random VK posts 0.1000 (1)",
    ]
    assert [line.split(" ")[0] for line in lines["topic"]] == ["topic", "subtopic"]
    assert len(lines["sentiment"]) == 2 and lines["toxicity"] == []


def _models(tmp_path: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        (tmp_path / name).mkdir()
        shutil.copy(MODELS_DIR / name / "meta.json", tmp_path / name)
        (tmp_path / name / "README.md").write_text(f"# {name}\n\nwritten by training\n", "utf-8")
    return tmp_path


def test_cards_get_one_section_replaced_on_each_run(tmp_path: Path) -> None:
    models = _models(tmp_path, ("incident", "sentiment", "topic"))
    write_cards(REPORT, models, "python -m nlp.evaluate")
    write_cards(REPORT.replace("F1 0.667", "F1 0.700"), models, "python -m nlp.evaluate")
    card = (models / "incident" / "README.md").read_text("utf-8")
    pack_id = json.loads((models / "incident" / "meta.json").read_text("utf-8"))["id"]
    assert card.startswith("# incident\n\nwritten by training\n\n## Held-out numbers")
    assert card.count("## Held-out numbers") == 1 and pack_id in card
    assert "F1 0.700" in card and "F1 0.667" not in card and "news           1/1 right" in card
    assert "macro-F1 0.5000" in (models / "sentiment" / "README.md").read_text("utf-8")


def test_the_command_writes_what_it_measured(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    models = _models(tmp_path, ("toxicity",))
    shutil.copy(MODELS_DIR / "toxicity" / "weights.npz", models / "toxicity")
    main(["--skip", "sentiment,dev,blind,subtopic,random,speed", "--models", str(models), "--cards"])
    printed = capsys.readouterr().out
    assert printed.startswith("toxicity (RUSSE detox dev")
    assert printed.strip() in (models / "toxicity" / "README.md").read_text("utf-8")


def _sets_labelled_twice(tmp_path: Path) -> Path:

    first = [
        ("a", "Третий день нет воды на Лесной 5, когда дадут?", True, "ЖКХ", "negative"),
        ("b", "Поздравляем всех с Днём матери!", False, None, "positive"),
        ("c", "Во сколько открывается каток в парке?", False, None, "neutral"),
        ("d", "яма у школы опять, колесо пробил", True, "Дороги", "negative"),
    ]
    blind = tmp_path / "nlp_blindx.jsonl"
    blind.write_text(
        "".join(
            json.dumps(
                {"id": i, "text": t, "is_incident": x, "block": b, "sentiment": s, "group": "g"},
                ensure_ascii=False,
            )
            + "\n"
            for i, t, x, b, s in first
        ),
        "utf-8",
    )
    second = [("a", True, "ЖКХ", "negative"), ("b", False, None, "positive"), ("c", True, None, "neutral")]
    (tmp_path / "nlp_blindx_second.jsonl").write_text(
        "".join(
            json.dumps({"id": i, "is_incident": x, "block": b, "sentiment": s}, ensure_ascii=False) + "\n"
            for i, x, b, s in second
        ),
        "utf-8",
    )
    return blind


def test_a_second_labeller_is_compared_with_the_first(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from nlp.evaluate import blind_report

    blind_report(_sets_labelled_twice(tmp_path), None)  # the shipped packs predict
    printed = capsys.readouterr().out
    assert "agreement (blindx, is_incident, 3 posts labelled twice): 0.667" in printed
    assert "agreement (blindx, sentiment, 3 posts labelled twice): 1.000, Cohen's kappa 1.000" in printed
    assert "incident (blindx, the second labeller's labels, 3): P " in printed
    assert "incident (blindx, posts both labellers call the same, 2): P " in printed


def test_no_second_labels_no_agreement(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from nlp.evaluate import agreement_report

    blind = tmp_path / "nlp_blindy.jsonl"
    blind.write_text(
        '{"id": "a", "text": "x", "is_incident": false, "block": null, "sentiment": "neutral"}\n'
    )
    agreement_report(blind, {"a": True})
    assert capsys.readouterr().out == ""


def test_the_incident_figures_by_either_labeller_score_the_same_predictions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from nlp.evaluate import agreement_report

    agreement_report(_sets_labelled_twice(tmp_path), {"a": True, "b": False, "c": False, "d": True})
    printed = capsys.readouterr().out
    # second labels a, c incidents: one of two found; on a and b, where both agree, both right
    assert "incident (blindx, the second labeller's labels, 3): P 1.000 R 0.500 F1 0.667" in printed
    assert "incident (blindx, posts both labellers call the same, 2): P 1.000 R 1.000 F1 1.000" in printed
