"""Catalogue search syntax -> a safe PostgreSQL full-text condition.

Syntax (what VuFind/Blacklight users expect): words (all must match), "quoted phrases",
AND / OR / NOT (upper case) and -word, (parentheses), fielded terms title: author:
subject: publisher: isbn: issn:, and word* for a prefix (3+ letters). ISBNs and ISSNs
are recognised with or without hyphens, fielded or bare, and matched against the
record's identifier arrays.

User text never reaches to_tsquery as syntax: every word is folded exactly as the index
is (catalogue.normalize.fold), which leaves only letters and digits, and is then quoted
as a tsquery lexeme. A word looked for matches as written or through its cross-script key
(catalogue.crossscript: an Urdu-script query finds romanized records and the reverse);
ranking (rank_tsquery and the bonuses) counts only the words as written, so exact-script
matches rank above cross-script ones. Fields map to the weights of the search document (indexing.py):
title A, author B, subject C, publisher and other text D.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from catalogue.crossscript import KEY_PREFIX, KEYED_MARK, word_keys
from catalogue.exceptions import ErrorCode
from catalogue.normalize import fold, has_arabic_script, normalize_isbn, normalize_issn
from consortium.exceptions import DomainError

MAX_QUERY_CHARS = 1000
MAX_TERMS = 40
MAX_DEPTH = 8
MIN_PREFIX_CHARS = 3

FIELD_WEIGHTS = {"title": "A", "author": "B", "subject": "C", "publisher": "D"}
ID_FIELDS = ("isbn", "issn")
FIELD_ALIASES = {"ti": "title", "au": "author", "su": "subject", "pb": "publisher"}

QUERY_TOO_LONG = _("Your search is too long: at most %(max)d characters, yours has %(n)d.")
QUERY_ONLY_EXCLUSIONS = _("A search needs at least one word to look for, not only words to leave out.")
QUERY_NO_WORDS = _("Your search has no letters or numbers to look for.")
QUERY_BAD_ID = _("%(field)s %(value)s is not a valid %(field)s (check the digits).")


class QueryError(DomainError):
    """A search the catalogue cannot run; the message says why."""

    code = "invalid_query"


# --- syntax tree ---------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """One word or phrase (folded words in order), optionally limited to a field."""

    words: tuple[str, ...]
    weight: str = ""  # "" = any field, else A/B/C/D
    prefix: bool = False
    as_written: bool = False  # no cross-script match (a guess at spacing is guess enough)


@dataclass(frozen=True)
class Identifier:
    kind: str  # isbn | issn
    value: str  # ISBN-13 digits / NNNN-NNNC


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Words | Identifier | Not | And | Or


@dataclass(frozen=True)
class SqlCondition:
    """A WHERE fragment over alias ``b`` (catalogue_bibrecord) with its parameters."""

    sql: str
    params: tuple


@dataclass
class ParsedQuery:
    raw: str
    tree: Node | None
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.tree is None

    def condition(self, *, cross_script: bool = True) -> SqlCondition:
        """The WHERE fragment; cross_script=False matches the words only as written."""
        if self.tree is None:
            return SqlCondition("TRUE", ())
        return _to_sql(self.tree, cross_script=cross_script and self.has_keyed_word)

    @property
    def has_keyed_word(self) -> bool:
        """Whether a word looked for is long enough for a cross-script key: without one, no
        cross-script match (else "ka" alone would find every record with keys)."""
        return any(word_keys(w) for w in self.positive_words())

    def positive_words(self) -> list[str]:
        """Words the user looks for (not excluded), in order, for ranking and suggestions."""
        out: list[str] = []
        _collect(self.tree, out, negated=False)
        return out

    def rank_tsquery(self) -> str | None:
        """Any positive word or phrase (OR): ts_rank scores by how many occur, and where."""
        nodes: list[Words] = []
        _collect_nodes(self.tree, nodes, negated=False)
        parts = list(dict.fromkeys(_words_tsquery(n) for n in nodes))
        return " | ".join(parts) or None

    def all_words_tsquery(self) -> str | None:
        words = list(dict.fromkeys(self.positive_words()))
        return " & ".join(_lexeme(w) for w in words) if len(words) > 1 else None

    def phrase_tsquery(self) -> str | None:
        words = self.positive_words()
        return " <-> ".join(_lexeme(w) for w in words) if len(words) > 1 else None

    @property
    def has_arabic_script(self) -> bool:
        return has_arabic_script(" ".join(self.positive_words()))

    def identifiers(self) -> list[Identifier]:
        out: list[Identifier] = []
        _collect_ids(self.tree, out)
        return out


def _collect(node: Node | None, out: list[str], *, negated: bool) -> None:
    if node is None:
        return
    if isinstance(node, Words):
        if not negated:
            out.extend(node.words)
    elif isinstance(node, Not):
        _collect(node.child, out, negated=not negated)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect(child, out, negated=negated)


def _collect_nodes(node: Node | None, out: list[Words], *, negated: bool) -> None:
    if isinstance(node, Words):
        if not negated:
            out.append(node)
    elif isinstance(node, Not):
        _collect_nodes(node.child, out, negated=not negated)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect_nodes(child, out, negated=negated)


def _collect_ids(node: Node | None, out: list[Identifier]) -> None:
    if isinstance(node, Identifier):
        out.append(node)
    elif isinstance(node, Not):
        _collect_ids(node.child, out)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect_ids(child, out)


# --- compiling to SQL ------------------------------------------------------------


def _lexeme(word: str, weight: str = "", prefix: bool = False) -> str:
    # fold() leaves letters and digits only; escaping quotes and backslashes anyway
    # keeps this safe should fold ever change.
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    suffix = ("*" if prefix else "") + weight
    return f"{quoted}:{suffix}" if suffix else quoted


def _words_tsquery(node: Words, *, cross_script: bool = False) -> str:
    """The words (a phrase when several); with cross_script, or else all their cross-script
    keys (catalogue.crossscript), in any order, in the same field."""
    last = len(node.words) - 1
    parts = [_lexeme(w, node.weight, node.prefix and i == last) for i, w in enumerate(node.words)]
    direct = parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"
    if not cross_script or node.as_written:
        return direct
    keyed = []
    for i, word in enumerate(node.words):
        alternatives = [
            _lexeme(KEY_PREFIX + key, node.weight, node.prefix and i == last) for key in word_keys(word)
        ]
        if alternatives:
            keyed.append(alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")")
    if not keyed:  # too short for a key: any record with keys will do ("ka" in "Aag ka darya")
        return f"({direct} | {_lexeme(KEYED_MARK)})"
    return f"({direct} | {keyed[0] if len(keyed) == 1 else '(' + ' & '.join(keyed) + ')'})"


def _text_only(node: Node) -> bool:
    if isinstance(node, Words):
        return True
    if isinstance(node, Identifier):
        return False
    if isinstance(node, Not):
        return _text_only(node.child)
    return all(_text_only(c) for c in node.children)


def to_tsquery_text(node: Node, *, cross_script: bool = True) -> str:
    """tsquery source for a subtree made of words only. A word looked for also matches
    through its cross-script key; a word left out (NOT) only as written."""
    if isinstance(node, Words):
        return _words_tsquery(node, cross_script=cross_script)
    if isinstance(node, Not):
        return "!" + to_tsquery_text(node.child, cross_script=False)
    if isinstance(node, And | Or):
        op = " & " if isinstance(node, And) else " | "
        return "(" + op.join(to_tsquery_text(c, cross_script=cross_script) for c in node.children) + ")"
    raise TypeError(node)


def _to_sql(node: Node, *, cross_script: bool = True) -> SqlCondition:
    if _text_only(node):
        return SqlCondition(
            "b.search_document @@ to_tsquery('simple', %s)",
            (to_tsquery_text(node, cross_script=cross_script),),
        )
    if isinstance(node, Identifier):
        column = "b.isbns" if node.kind == "isbn" else "b.issns"
        return SqlCondition(f"{column} @> ARRAY[%s]::varchar[]", (node.value,))
    if isinstance(node, Not):
        inner = _to_sql(node.child, cross_script=False)
        return SqlCondition(f"NOT ({inner.sql})", inner.params)
    parts = [_to_sql(c, cross_script=cross_script) for c in node.children]
    op = " AND " if isinstance(node, And) else " OR "
    return SqlCondition("(" + op.join(p.sql for p in parts) + ")", tuple(x for p in parts for x in p.params))


# --- parsing ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>"[^"]*"?)
  | (?P<field>[A-Za-z]+):(?=\S)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_ISBN_LIKE = re.compile(r"^(97[89][-\s]?)?\d{1,7}-?\d{1,7}-?\d{1,7}-?[\dXx]$")
_ISSN_LIKE = re.compile(r"^\d{4}-?\d{3}[\dXx]$")


@dataclass
class _Tok:
    kind: str  # lparen rparen phrase word field and or not minus
    text: str


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "ws":
            continue
        if kind == "field":
            name = value[:-1].lower()
            name = FIELD_ALIASES.get(name, name)
            if name in FIELD_WEIGHTS or name in ID_FIELDS:
                out.append(_Tok("field", name))
                continue
            kind = "word"  # "Pakistan:" or "re:" is just a word
        if kind == "word":
            if value in ("AND", "&&"):
                out.append(_Tok("and", value))
                continue
            if value in ("OR", "||"):
                out.append(_Tok("or", value))
                continue
            if value == "NOT":
                out.append(_Tok("not", value))
                continue
            if value.startswith("-") and len(value) > 1 and not value[1:2].isdigit():
                out.append(_Tok("minus", "-"))
                value = value[1:]
            elif value.startswith("+") and len(value) > 1:
                value = value[1:]
        if kind == "phrase":
            value = value.strip('"')
        out.append(_Tok(kind, value))
    return out


class _Parser:
    def __init__(self, tokens: list[_Tok], notes: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.terms = 0
        self.notes = notes

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Node | None:
        node = None
        while self.peek() is not None:
            part = self.or_expr()
            if part is not None:
                node = part if node is None else _and([node, part])
            elif self.peek() is not None:
                self.take()  # a stray ")" or operator: ignore it
        return node

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            parts.append(self.and_expr())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("or", "rparen"):
            if tok.kind == "and":
                self.take()
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        return _and(parts) if parts else None

    def unary(self) -> Node | None:
        tok = self.peek()
        if tok is not None and tok.kind in ("not", "minus"):
            self.take()
            child = self.unary()
            return Not(child) if child is not None else None
        return self.primary(field_name="")

    def primary(self, field_name: str) -> Node | None:
        if self.peek() is None:
            return None
        tok = self.take()
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("lparen", "phrase", "word"):
                return None
            return self.primary(field_name=tok.text)
        if tok.kind == "lparen":
            if self.depth >= MAX_DEPTH:
                return None  # deeper nesting is flattened: the words still count
            self.depth += 1
            inner = self.or_expr()
            self.depth -= 1
            if (nxt := self.peek()) is not None and nxt.kind == "rparen":
                self.take()
            if inner is not None and field_name:
                inner = _apply_field(inner, field_name)
            return inner
        if tok.kind in ("phrase", "word"):
            return self.term(tok.text, field_name, phrase=tok.kind == "phrase")
        return None  # rparen / operator in the wrong place

    def term(self, text: str, field_name: str, *, phrase: bool) -> Node | None:
        if self.terms >= MAX_TERMS:
            if not self.notes:
                self.notes.append(
                    str(_("Only the first %(n)d words of your search were used.") % {"n": MAX_TERMS})
                )
            return None
        if field_name in ID_FIELDS or (not field_name and not phrase):
            ident = _identifier(text, field_name)
            if ident is not None:
                self.terms += 1
                return ident
        prefix = not phrase and text.endswith("*")
        words = tuple(fold(text).split())
        if not words:
            return None
        if prefix and len(words[-1]) < MIN_PREFIX_CHARS:
            prefix = False
        self.terms += len(words)
        weight = FIELD_WEIGHTS.get(field_name, "")
        return Words(words, weight=weight, prefix=prefix)


def _identifier(text: str, field_name: str) -> Identifier | None:
    candidate = text.strip()
    if field_name == "isbn" or (not field_name and _ISBN_LIKE.match(candidate)):
        value = normalize_isbn(candidate)
        if value:
            return Identifier("isbn", value)
        if field_name == "isbn":
            raise QueryError(
                str(QUERY_BAD_ID % {"field": "ISBN", "value": candidate[:40]}),
                code=ErrorCode.INVALID_QUERY,
            )
    if field_name == "issn" or (not field_name and _ISSN_LIKE.match(candidate)):
        value = normalize_issn(candidate)
        if value:
            return Identifier("issn", value)
        if field_name == "issn":
            raise QueryError(
                str(QUERY_BAD_ID % {"field": "ISSN", "value": candidate[:40]}),
                code=ErrorCode.INVALID_QUERY,
            )
    return None


def _and(parts: list[Node]) -> Node:
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _apply_field(node: Node, field_name: str) -> Node:
    weight = FIELD_WEIGHTS.get(field_name, "")
    if isinstance(node, Words):
        return Words(node.words, weight=weight, prefix=node.prefix)
    if isinstance(node, Not):
        return Not(_apply_field(node.child, field_name))
    if isinstance(node, And):
        return And(tuple(_apply_field(c, field_name) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(_apply_field(c, field_name) for c in node.children))
    return node


def _only_negative(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(_only_negative(c) for c in node.children)
    if isinstance(node, Or):
        return any(_only_negative(c) for c in node.children)
    return False


def clean_query_text(raw: str) -> str:
    """Drop control and bidi-override characters; NFC; collapse runs of spaces."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def parse_query(raw: str | None) -> ParsedQuery:
    """Parse a user's search; raises QueryError with a message the user can act on."""
    text = clean_query_text(raw or "")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            str(QUERY_TOO_LONG % {"max": MAX_QUERY_CHARS, "n": len(text)}), code=ErrorCode.INVALID_QUERY
        )
    if not text:
        return ParsedQuery(raw=text, tree=None)
    notes: list[str] = []
    tree = _Parser(_tokenize(text), notes).parse()
    if tree is None:
        raise QueryError(str(QUERY_NO_WORDS), code=ErrorCode.INVALID_QUERY)
    if _only_negative(tree):
        raise QueryError(str(QUERY_ONLY_EXCLUSIONS), code=ErrorCode.INVALID_QUERY)
    return ParsedQuery(raw=text, tree=tree, notes=notes)


def words_query(words: list[str]) -> ParsedQuery:
    """A query of already-folded words (all required), e.g. a spelling suggestion."""
    return ParsedQuery(raw=" ".join(words), tree=_and([Words((w,)) for w in words]))


def spaceless_variants(query: ParsedQuery) -> ParsedQuery | None:
    """Urdu writers drop and add spaces inside words: the same search with spaces ignored.

    The words joined into one, or an Arabic-script word split in two, as alternatives to
    the original (docs/architecture.md, "Urdu, concretely").
    """
    words = query.positive_words()
    if not words or not has_arabic_script(" ".join(words)) or query.tree is None:
        return None
    alternatives: list[Node] = [query.tree]
    if len(words) > 1:
        alternatives.append(Words(("".join(words),), as_written=True))
    for i, word in enumerate(words[:4]):
        if not has_arabic_script(word) or len(word) < 4:
            continue
        for cut in range(2, min(len(word) - 1, 12)):
            split = (*words[:i], word[:cut], word[cut:], *words[i + 1 :])
            alternatives.append(Words(split, as_written=True))
    if len(alternatives) == 1:
        return None
    return ParsedQuery(raw=query.raw, tree=Or(tuple(alternatives)))
