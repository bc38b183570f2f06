"""How alike two KPI definitions are: pure functions, no database.

A revision's *signature* (its distinctive words) is computed once, when the revision is
written, and kept on the row; comparing two revisions then costs a set intersection and, only
for pairs that can still reach the threshold, a character comparison of the names."""

import difflib
import re

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Words too common in KPI names to say anything about similarity.
STOPWORDS = frozenset({
    "the", "a", "an", "of", "per", "in", "on", "to", "and", "or", "by", "for", "with", "rate",
    "time", "di", "del", "della", "dei", "delle", "il", "la", "le", "lo", "gli", "e", "o", "con",
    "da", "tasso", "tempo",
})  # fmt: skip
DUPLICATE_THRESHOLD = 0.55


def signature(name: str, measures: str) -> list[str]:
    """The distinctive words of a definition's name and description, sorted, lower case."""
    text = f"{name or ''} {measures or ''}".lower()
    return sorted({t for t in _TOKEN.findall(text) if t not in STOPWORDS and len(t) > 1})


def score(
    a_tokens: frozenset[str],
    a_name: str,
    b_tokens: frozenset[str],
    b_name: str,
    threshold: float = 0.0,
) -> float:
    """0..1: half the word overlap (Jaccard) of the signatures, half the character similarity
    of the names. Returns 0.0 early when the pair cannot reach ``threshold``: the names'
    similarity is at most 1, so a pair needs an overlap of at least ``2 × threshold − 1``."""
    union = len(a_tokens | b_tokens)
    jaccard = len(a_tokens & b_tokens) / union if union else 0.0
    if 0.5 * jaccard + 0.5 < threshold:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a_name.lower(), b_name.lower())
    # Cheap upper bounds first; the full ratio only for pairs still in the running.
    if 0.5 * jaccard + 0.5 * matcher.real_quick_ratio() < threshold:
        return 0.0
    if 0.5 * jaccard + 0.5 * matcher.quick_ratio() < threshold:
        return 0.0
    return round(0.5 * jaccard + 0.5 * matcher.ratio(), 3)
