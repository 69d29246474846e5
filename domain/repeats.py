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

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from math import ceil

WINDOW_DAYS = 30
SIMILAR = 0.5


def trigrams(text: str) -> set[str]:
    padded = f"  {''.join(text.lower().split())} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    x, y = trigrams(a), trigrams(b)
    return len(x & y) / len(x | y)


def similar_pairs(subjects: Sequence[str], times: Sequence[datetime], window: timedelta,
                  threshold: float = SIMILAR) -> list[tuple[int, int, float]]:
    """Every pair (i, j, similarity), i before j in the given order (which must be by time), received at
    most ``window`` apart, with subjects at least ``threshold`` alike.

    All pairs are found without comparing all pairs (prefix filtering, as in Bayardo, Ma and Srikant's
    All-Pairs): with each trigram set sorted rarest first, two sets with a Jaccard index of at least t
    share a trigram among the first |x| - ceil(t·|x|) + 1 of each, and their sizes are within a factor
    t of each other; only pairs sharing such a trigram are compared. Common trigrams (those of a
    district's name, or of 咨询) are thus never looked up, however many subjects have them."""
    sets = [trigrams(s) for s in subjects]
    sizes = [len(s) for s in sets]
    frequency = Counter(g for s in sets for g in s)
    index: dict[str, list[int]] = defaultdict(list)
    pairs = []
    for j, grams in enumerate(sets):
        ordered = sorted(grams, key=lambda g: (frequency[g], g))
        prefix = ordered[:len(ordered) - ceil(threshold * len(ordered)) + 1]
        seen: set[int] = set()
        earliest = times[j] - window
        for g in prefix:
            postings = index[g]
            stale = bisect_left(postings, earliest, key=times.__getitem__)
            if stale:  # out of the window for every later set too (the sets come in order of time)
                del postings[:stale]
            seen.update(postings)
        size, low, high = sizes[j], threshold * sizes[j], sizes[j] / threshold
        for i in seen:
            if low <= sizes[i] <= high:
                shared = len(sets[i] & grams)
                score = shared / (sizes[i] + size - shared)
                if score >= threshold:
                    pairs.append((i, j, score))
        for g in prefix:
            index[g].append(j)
    return sorted(pairs)
