"""The training-data helpers (augmentation, templates) and the navec text vectors."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from nlp import vectors
from nlp.incident import PROBLEM_CUE
from nlp.training import augment, templates


def test_noisy_is_seeded_and_keeps_the_words() -> None:
    text = "Во дворе дома 5 третий день не горят фонари, примите меры!"
    first = [augment.noisy(text, random.Random(7)) for _ in range(3)]
    assert first == [augment.noisy(text, random.Random(7)) for _ in range(3)]
    variants = {augment.noisy(text, random.Random(seed)) for seed in range(40)}
    assert len(variants) > 10
    for variant in variants:  # at most one word changed by a typo, nothing else lost
        words = {w.strip(",!").lower().replace("ё", "е") for w in text.split()}
        kept = {w.strip(",!").lower() for w in variant.split()}
        assert len(words - kept) <= 1


def test_excerpts_take_the_problem_sentences_not_the_greeting() -> None:
    appeal = (
        "Здравствуйте, уважаемый глава! Пишу вам от имени жильцов. "
        "В доме 12 по улице Мира третий месяц течет крыша. "
        "Просим помочь."
    )
    pieces = augment.excerpts(appeal, PROBLEM_CUE, random.Random(1))
    assert pieces and all("течет крыша" in piece for piece in pieces)
    assert not any(piece.startswith("Здравствуйте") for piece in pieces)
    assert augment.excerpts("Спасибо всем за праздник, было здорово.", PROBLEM_CUE, random.Random(1)) == []


def test_official_templates_are_varied_and_labelled_blocks_are_canonical() -> None:
    from infopole.config.blocks import blocks

    negatives = templates.generate_more(200, 13)
    assert len(negatives) > 150
    assert any("прекращ" in text or "приостановлена" in text for text in negatives)
    assert {block for _, block in templates.everyday_complaints(300, 13)} <= set(blocks())
    assert {block for _, block in templates.topic_examples(300, 13)} <= set(blocks())


def test_mean_vectors_are_unit_length_and_put_similar_posts_closer() -> None:
    matrix = vectors.mean_vectors(
        ["батареи холодные в квартире", "отопление не греет", "купил новый телефон", ""]
    )
    assert matrix.shape == (4, vectors.DIM)
    assert np.allclose(np.linalg.norm(matrix[:3], axis=1), 1, atol=1e-4)
    assert not matrix[3].any()  # no words: zeros, not NaN
    assert matrix[0] @ matrix[1] > matrix[0] @ matrix[2]


def test_shuffled_folds_put_every_row_in_exactly_one_fold_and_follow_the_seed() -> None:
    from nlp.train import shuffled_folds

    folds = shuffled_folds(103, 4, 13)
    assert len(folds) == 4 and all(fold == sorted(fold) for fold in folds)
    assert sorted(i for fold in folds for i in fold) == list(range(103))
    assert {len(fold) for fold in folds} == {25, 26}
    assert shuffled_folds(103, 4, 13) == folds and shuffled_folds(103, 4, 14) != folds


def test_social_sentiment_rows_call_toxic_comments_negative_and_leave_out_the_benchmark_posts(
    tmp_path: Path,
) -> None:
    from nlp.train import social_sentiment_rows

    for folder in ("rusentiment", "rusentitweet", "russe_detox"):
        (tmp_path / folder).mkdir()
    (tmp_path / "rusentiment" / "rusentiment_test.csv").write_text(
        "label,text\npositive,Спасибо всем!!!\nneutral,Кто идёт завтра?\n", encoding="utf-8"
    )
    (tmp_path / "rusentitweet" / "rusentitweet_test.csv").write_text(
        "text,label,id\nСпасибо всем!!!,positive,1\nНу и погодка сегодня,negative,2\nнепонятно,skip,3\n",
        encoding="utf-8",
    )
    (tmp_path / "russe_detox" / "train.tsv").write_text(
        "index\ttoxic_comment\tneutral_comment1\tneutral_comment2\tneutral_comment3\n"
        "0\tты дурак что ли\tты не прав\t\t\n"
        "1\tКто идёт завтра?\t\t\t\n",
        encoding="utf-8",
    )
    rows = social_sentiment_rows(tmp_path)
    assert [(row.text, row.label, source) for row, source in rows] == [
        ("Ну и погодка сегодня", "negative", "tweet_test"),
        ("ты дурак что ли", "negative", "toxic"),
    ]
