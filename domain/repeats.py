"""Likely repeat appeals (重复诉求): what makes two appeals look like one matter raised again.

Two appeals are likely repeats when they were received within ``WINDOW_DAYS``
of each other and either give one enterprise credit code (统一社会信用代码) or
have subjects at least ``SIMILAR`` alike. Likeness is over character
trigrams, as PostgreSQL's pg_trgm counts them for a word: the text without
white space, two spaces before and one after, every run of three characters;
the similarity is the Jaccard index of the two sets (shared / all). Chinese
has no spaces between words, so a subject is one "word" and its trigrams are
runs of three characters.
"""

from __future__ import annotations

WINDOW_DAYS = 30
SIMILAR = 0.5


def trigrams(text: str) -> set[str]:
    padded = f"  {''.join(text.lower().split())} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    x, y = trigrams(a), trigrams(b)
    return len(x & y) / len(x | y)
