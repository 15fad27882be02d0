"""The search syntax: what users type becomes a safe full-text condition, or a clear message."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.query import (
    MAX_QUERY_CHARS,
    QUERY_ONLY_EXCLUSIONS,
    QueryError,
    parse_query,
    spaceless_variants,
)


def tsquery(q: str) -> str:
    """The tsquery of the words as written (the cross-script keys: test_cross_script_*)."""
    return parse_query(q).condition(cross_script=False).params[0]


def test_words_are_all_required_and_folded():
    assert tsquery("History of PAKISTAN") == "('history' & 'of' & 'pakistan')"


def test_fielded_terms_use_the_document_weights():
    assert tsquery('title:"urdu adab" author:Iqbal subject:poetry publisher:Sang') == (
        "(('urdu':A <-> 'adab':A) & 'iqbal':B & 'poetry':C & 'sang':D)"
    )


def test_boolean_operators_parentheses_and_minus():
    assert tsquery("(war OR peace) NOT tolstoy -film") == "(('war' | 'peace') & !'tolstoy' & !'film')"
    assert tsquery("title:(war OR peace)") == "('war':A | 'peace':A)"


def test_hyphenated_word_is_a_phrase_and_prefix_needs_three_letters():
    assert tsquery("al-Hadith") == "('al' <-> 'hadith')"
    assert tsquery("hist*") == "'hist':*"
    assert tsquery("hi*") == "'hi'"


def test_isbn_with_or_without_hyphens_and_isbn10_matches_isbn13_array():
    for typed in ("0-19-852663-6", "0198526636", "978-0-19-852663-6", "isbn:9780198526636"):
        condition = parse_query(typed).condition()
        assert condition.sql == "b.isbns @> ARRAY[%s]::varchar[]"
        assert condition.params == ("9780198526636",)


def test_issn_and_bad_fielded_isbn_message():
    assert parse_query("0028-0836").condition().params == ("0028-0836",)
    with pytest.raises(QueryError, match="not a valid ISBN"):
        parse_query("isbn:0-19-852663-7")


def test_urdu_variants_fold_like_the_index():
    # Arabic kaf/yeh typed by an LC record vs Urdu keyboard letters: same lexemes.
    assert tsquery("اردو ادب كي تاريخ") == tsquery("اردو ادب کی تاریخ")


def test_tsquery_syntax_characters_are_only_separators():
    assert tsquery("a & b | !c <-> d :* ( ) ' \\") == "('a' & 'b' & 'c' & 'd')"


def test_only_exclusions_and_no_words_are_explained():
    with pytest.raises(QueryError) as exc:
        parse_query("-islam NOT history")
    assert exc.value.message == str(QUERY_ONLY_EXCLUSIONS)
    with pytest.raises(QueryError, match="no letters or numbers"):
        parse_query('!!! "" () <->')


def test_too_long_query_names_the_limit():
    with pytest.raises(QueryError, match=str(MAX_QUERY_CHARS)):
        parse_query("x" * 10_000)


def test_spaceless_variant_for_urdu_joins_and_splits_words():
    variant = spaceless_variants(parse_query("اردو ادب"))
    assert variant is not None
    text = str(variant.condition().params)
    assert "اردوادب" in text
    assert spaceless_variants(parse_query("urdu adab")) is None


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet="\"()&|!:*<->-' ANDORNT\\;\x00\u202eاردوa1", max_size=80),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "(",
                    ")",
                    "title:",
                    "isbn:",
                    "OR",
                    "NOT",
                    "-",
                    "*",
                    "<->",
                    "ادب",
                    "war",
                    "0-19-852663-6",
                ]
            ),
            max_size=30,
        ).map(" ".join),
    )
)
def test_any_text_gives_a_valid_query_or_a_clear_message(text):
    # given any string a user might send; when parsed and run against PostgreSQL
    try:
        parsed = parse_query(text)
    except QueryError as exc:
        message = exc.message
        parsed = None
    if parsed is None:
        assert message  # then a message, never another exception
        return
    condition = parsed.condition()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM catalogue_bibrecord b WHERE {condition.sql}", condition.params)
        assert cursor.fetchone()[0] == 0
        for extra in (parsed.rank_tsquery(), parsed.phrase_tsquery(), parsed.all_words_tsquery()):
            if extra:
                cursor.execute("SELECT to_tsquery('simple', %s)", [extra])


def test_ten_thousand_characters_of_nested_parentheses_are_handled():
    with pytest.raises(QueryError):
        parse_query("(" * 10_000)
    parsed = parse_query("(" * 500 + "war" + ")" * 300)
    assert parsed.condition().params == ("'war'",)


def test_cross_script_a_word_also_matches_through_its_key_in_the_same_field():
    assert parse_query("title:غالب").condition().params == ("('غالب':A | '0glb':A)",)
    # a phrase: as written, or all its words' keys in any order
    assert parse_query('"aag ka darya"').condition().params == (
        "(('aag' <-> 'ka' <-> 'darya') | ('0ag' & '0ka' & '0dr'))",
    )


def test_cross_script_words_left_out_and_ranking_use_the_words_as_written():
    parsed = parse_query("iqbal -ghalib")
    assert parsed.condition().params == ("(('iqbal' | '0akbl') & !'ghalib')",)
    assert parsed.rank_tsquery() == "'iqbal'"
