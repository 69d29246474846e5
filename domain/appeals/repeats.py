"""Likely repeat appeals (重复诉求): the candidates a clerk is shown before deciding a 并单.

Repeat appeals on the same matter are merged into one case (国办函〔2025〕66号),
keeping each caller's record. Deciding that two appeals are one matter is
the platform's act (``Appeal.merge_into``); this module only points at the
likely ones, and merges nothing.

An appeal is a likely repeat of another when both are open (neither closed
nor merged), both were received within ``WINDOW_DAYS`` calendar days of each
other (Asia/Shanghai receipt dates, both ends included: received on 1 March,
every appeal received from 30 January to 31 March is in the window), and

- the enterprise's unified social credit code (统一社会信用代码) is the same
  (reason ``credit_code``), or
- the subjects are similar: their character trigrams overlap by at least
  ``SIMILAR`` (reason ``similar_subject``).

Trigrams are taken as PostgreSQL's pg_trgm takes them, so that a figure here
and one from the database mean the same: the text is lowercased and cut into
words at every character that is neither a letter nor a digit (a Chinese
subject, written without spaces, is mostly one word); each word is padded
with two spaces in front and one behind, and every run of three characters
is a trigram. Similarity is the Jaccard index of the two sets:
shared / (all distinct trigrams of both). Unlike pg_trgm under the C locale,
Chinese characters count as letters here, whatever the server's locale.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import ceil

from domain.deadlines.periods import SHANGHAI

# pg_trgm's own default (pg_trgm.similarity_threshold). A subject told again with words added or changed
# clears it (用电报装迟迟未接通 / 用电报装迟迟未接通，请尽快处理: 0.63); two subjects sharing only a common
# word do not (企业用电难 / 企业融资难: 0.2). A freely reworded repeat is caught by its credit code.
SIMILAR = 0.3
WINDOW_DAYS = 30
# The statuses of cases that are no longer candidates: the matter is done, or already one with another.
ENDED = frozenset({"closed", "merged"})


@dataclass(frozen=True)
class Candidate:
    """An appeal as the read model holds it, enough to tell whether it repeats another."""

    id: str
    case_no: str
    subject: str
    credit_code: str | None
    received_at: datetime
    status: str = ""
    unit: str | None = None
    enterprise: str = ""
    # The subject's trigrams, if the caller has them already (a read model keeps them: ``stored_grams``).
    grams: frozenset[str] | None = None


@dataclass(frozen=True)
class Suggestion:
    """One likely repeat: why (``credit_code`` or ``similar_subject``) and how similar its subject is."""

    candidate: Candidate
    reason: str
    score: float  # the subjects' trigram similarity, 0..1, whatever the reason


def trigrams(text: str) -> set[str]:
    """The character trigrams of ``text``, pg_trgm style (see the module's docstring)."""
    words, word = [], []
    for ch in (text or "").lower():
        if ch.isalnum():
            word.append(ch)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    grams: set[str] = set()
    for w in words:
        padded = f"  {w} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """The Jaccard index of the two texts' trigrams (0: nothing shared or an empty text, 1: the same)."""
    return jaccard(trigrams(a), trigrams(b))


def jaccard(ta: set[str] | frozenset[str], tb: set[str] | frozenset[str]) -> float:
    if not ta or not tb:
        return 0.0
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared)


# Trigrams hold letters, digits and spaces only, so this mark never occurs in one.
_SEP = "|"


def stored_grams(text: str) -> str:
    """The trigrams of ``text`` as one string, for a read model to keep beside the text: ranking thousands
    of candidates then splits strings instead of cutting every subject again."""
    return _SEP.join(sorted(trigrams(text)))


def grams_of(stored: str | None) -> frozenset[str] | None:
    return None if stored is None else frozenset(stored.split(_SEP)) if stored else frozenset()


def normal_credit_code(code: str | None) -> str | None:
    """A credit code as compared: without spaces, upper case (the code's letters are capitals); none if blank."""
    cleaned = "".join((code or "").split()).upper()
    return cleaned or None


def window(received_at: datetime, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """[start, end) of the receipt times within ``days`` calendar days of ``received_at``'s Shanghai date."""
    day = received_at.astimezone(SHANGHAI).date()
    return (
        datetime.combine(day - timedelta(days=days), time(), SHANGHAI),
        datetime.combine(day + timedelta(days=days + 1), time(), SHANGHAI),
    )


def within_window(a: datetime, b: datetime, days: int = WINDOW_DAYS) -> bool:
    return abs(_day(a) - _day(b)).days <= days


def suggest(case: Candidate, candidates: Iterable[Candidate], threshold: float = SIMILAR) -> list[Suggestion]:
    """The likely repeats of ``case`` among ``candidates``: same credit code first, then by similarity,
    then the nearest in time. ``case`` itself, ended cases and those out of the window are never suggested."""
    code = normal_credit_code(case.credit_code)
    mine = case.grams if case.grams is not None else trigrams(case.subject)
    found = []
    for other in candidates:
        if other.id == case.id or other.status in ENDED or not within_window(case.received_at, other.received_at):
            continue
        score = jaccard(mine, other.grams if other.grams is not None else trigrams(other.subject))
        if code is not None and normal_credit_code(other.credit_code) == code:
            found.append(Suggestion(other, "credit_code", score))
        elif score >= threshold:
            found.append(Suggestion(other, "similar_subject", score))
    found.sort(
        key=lambda s: (
            s.reason != "credit_code",
            -s.score,
            abs((s.candidate.received_at - case.received_at).total_seconds()),
            s.candidate.case_no,
        )
    )
    return found


def _day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def similar_pairs(
    subjects: Sequence[str], received: Sequence[datetime], days: int = WINDOW_DAYS, threshold: float = SIMILAR
) -> list[tuple[int, int, float]]:
    """Every pair (i, j, similarity), i < j, of subjects at least ``threshold`` alike and received
    within ``days`` of each other (``within_window``); ``received`` must be in order of time.

    All pairs are found without comparing all pairs (prefix filtering, as in Bayardo, Ma and Srikant's
    All-Pairs): with each trigram set sorted rarest first, two sets with a Jaccard index of at least t
    share a trigram among the first |x| - ceil(t·|x|) + 1 of each, and their sizes are within a factor
    t of each other; only pairs sharing such a trigram are compared. Common trigrams (a district's
    name, 咨询) thus cost little, however many subjects have them."""
    sets = [trigrams(s) for s in subjects]
    sizes = [len(s) for s in sets]
    dates = [_day(moment) for moment in received]
    frequency = Counter(g for s in sets for g in s)
    index: dict[str, list[int]] = defaultdict(list)
    pairs = []
    for j, grams in enumerate(sets):
        ordered = sorted(grams, key=lambda g: (frequency[g], g))
        prefix = ordered[: len(ordered) - ceil(threshold * len(ordered)) + 1] if ordered else []
        earliest = dates[j] - timedelta(days=days)
        seen: set[int] = set()
        for g in prefix:
            postings = index[g]
            stale = bisect_left(postings, earliest, key=dates.__getitem__)
            if stale:  # out of the window for every later subject too (they come in order of time)
                del postings[:stale]
            seen.update(postings)
        size, low, high = sizes[j], threshold * sizes[j], sizes[j] / threshold if threshold else float("inf")
        for i in seen:
            if low <= sizes[i] <= high:
                shared = len(sets[i] & grams)
                score = shared / (sizes[i] + size - shared)
                if score >= threshold:
                    pairs.append((i, j, score))
        for g in prefix:
            index[g].append(j)
    return sorted(pairs)
