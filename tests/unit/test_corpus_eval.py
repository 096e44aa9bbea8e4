"""corpus-eval's labels come from folders, languages and variants from file names."""

from __future__ import annotations

import pytest

from extortion_milter.cli.corpus_eval import label_of, language_and_variant


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("c/extortion/en-rfc2047-026.eml", ("en", "rfc2047")),
        ("c/ham/ham-news-sextortion-002.eml", ("en", "ham-news-sextortion")),
        ("c/ham/de-ham-invoice-001.eml", ("de", "ham-invoice")),
        ("c/extortion/en-evasion-qr-003.eml", ("en", "evasion-qr")),
        ("shared/ham/easy-ham-1/00012.7c53336b37003a9286aba55d2945844c.txt", ("?", "other")),
    ],
)
def test_language_and_variant_from_the_file_name(path: str, expected: tuple[str, str]) -> None:
    assert language_and_variant(path) == expected


@pytest.mark.parametrize(
    ("path", "forced", "expected"),
    [
        ("corpus/extortion/x.eml", None, True),
        ("corpus/spam/x.eml", None, True),
        ("shared/corpus/ham/easy-ham-1/00001.txt", None, False),
        ("box.mbox#3", None, None),
        ("anything/x.eml", "ham", False),
    ],
)
def test_label_from_folders_or_forced(path: str, forced: str | None, expected: bool | None) -> None:
    assert label_of(path, forced) is expected
