"""Spelling suggestions ("did you mean"): the user's unknown words replaced by the closest
words of the catalogue's vocabulary (catalogue.models.SearchTerm, counted from the records'
search documents in PostgreSQL whatever the search backend, so every backend suggests the
same), scored with rapidfuzz."""

from __future__ import annotations

import re

from django.db import connection
from rapidfuzz import fuzz, process

from catalogue.crossscript import KEY_TERM_PATTERN
from catalogue.models import SearchTerm
from catalogue.normalize import fold
from catalogue.query import ParsedQuery

SUGGESTION_MIN_SCORE = 75


def suggest_query(parsed: ParsedQuery) -> str | None:
    """The user's query with unknown words replaced by the closest catalogue words, or None."""
    words = list(dict.fromkeys(w for w in parsed.positive_words() if len(w) >= 3))[:8]
    if not words:
        return None
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    replacements: dict[str, str] = {}
    for word in words:
        if word in known:
            continue
        candidates = dict(
            SearchTerm.objects.filter(
                head=word[0], length__gte=len(word) - 2, length__lte=len(word) + 2
            ).values_list("word", "documents")[:20000]
        )
        if not candidates:
            continue
        scored = process.extract(
            word, list(candidates), scorer=fuzz.ratio, limit=5, score_cutoff=SUGGESTION_MIN_SCORE
        )
        if scored:
            best = max(scored, key=lambda c: (round(c[1]), candidates[c[0]]))
            replacements[word] = best[0]
    if not replacements:
        return None
    return _replace_words(parsed.raw, replacements)


def _replace_words(raw: str, replacements: dict[str, str]) -> str:
    """Replace whole words of the user's text whose folded form was corrected."""

    def swap(match: re.Match) -> str:
        token = match.group(0)
        prefix = ""
        if ":" in token:
            prefix, _sep, token = token.partition(":")
            prefix += ":"
        folded = fold(token)
        if folded in replacements:
            return prefix + replacements[folded]
        parts = folded.split()
        if parts and any(p in replacements for p in parts):
            return prefix + " ".join(replacements.get(p, p) for p in parts)
        return match.group(0)

    return re.sub(r"[^\s()\"]+", swap, raw)


# A search-document term worth suggesting: a word of 2 to 60 letters, not a cross-script
# key (an index term, not a word; its pattern is the query's parameter).
_SUGGESTIBLE = "length(word) BETWEEN 2 AND 60 AND word !~ %s"


def refresh_vocabulary() -> int:
    """Rebuild the suggestion vocabulary from the search documents; returns the word count."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalogue_searchterm")
        cursor.execute(
            f"""
            INSERT INTO catalogue_searchterm (word, documents, head, length)
            SELECT word, ndoc, left(word, 1), length(word)
            FROM ts_stat('SELECT search_document FROM catalogue_bibrecord WHERE search_document IS NOT NULL')
            WHERE {_SUGGESTIBLE}
            """,  # noqa: S608 - constant SQL text; the pattern is a parameter
            [KEY_TERM_PATTERN],
        )
        return cursor.rowcount


# Words of the records an import job wrote, added to the vocabulary as the job ends: a
# fresh install or a just-imported catalogue suggests at once. A word already known keeps
# the larger of its two counts (records the job merged were counted before); the nightly
# refresh_vocabulary recounts exactly.
_LEARN_SQL = f"""
INSERT INTO catalogue_searchterm (word, documents, head, length)
SELECT word, count(*), left(word, 1), length(word)
FROM catalogue_bibrecord b, unnest(tsvector_to_array(b.search_document)) AS word
WHERE b.id IN (SELECT bib_record_id FROM catalogue_sourcerecord WHERE last_job_id = %s)
  AND {_SUGGESTIBLE}
GROUP BY word
ON CONFLICT (word) DO UPDATE SET documents = GREATEST(catalogue_searchterm.documents, EXCLUDED.documents)
"""  # noqa: S608 - constant SQL text; values are parameters


def vocabulary_learn(*, job_id: int) -> int:
    """Add the words of the records this import job wrote to the suggestion vocabulary."""
    with connection.cursor() as cursor:
        cursor.execute(_LEARN_SQL, [job_id, KEY_TERM_PATTERN])
        return cursor.rowcount
