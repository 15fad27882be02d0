"""A parser for CQL, the Contextual Query Language of SRU (CQL 1.2 syntax).

Hand-written (recursive descent): the one CQL package on PyPI is a single-maintainer
project with a vendored PLY and no release since 2023. This module only parses; what an
index or relation means in the catalogue is catalogue/sru.py's business.

    query         ::= prefixAssignment* scopedClause [sortBy ...]
    prefixAssign  ::= '>' [name '='] uri
    scopedClause  ::= searchClause (boolean modifier* searchClause)*   (left to right, equal rank)
    searchClause  ::= '(' query ')' | [index relation] term
    relation      ::= comparitor modifier*        comparitor: = == < > <= >= <> or a name (adj, all, ...)
    modifier      ::= '/' name [comparitor value]
    term          ::= word | "quoted string"      (backslash escapes)

Errors carry the SRU diagnostic number and its details (info:srw/diagnostic/1/N).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 40
MAX_DEPTH = 16
BOOLEANS = ("and", "or", "not", "prox")
SYMBOLS = ("==", "<>", "<=", ">=", "=", "<", ">")


@dataclass
class CqlError(Exception):
    """A query that cannot be parsed: SRU diagnostic ``code`` with its ``details``."""

    code: int
    details: str
    message: str


@dataclass(frozen=True)
class Modifier:
    name: str  # lower case
    comparitor: str = ""
    value: str = ""


@dataclass(frozen=True)
class SearchClause:
    index: str  # as written ("" = none given: cql.serverChoice)
    relation: str  # lower case ("" = none given: "=")
    term: str  # raw, escapes kept (masking is decided on it)
    modifiers: tuple[Modifier, ...] = ()
    quoted: bool = False


@dataclass(frozen=True)
class Boolean:
    op: str  # and | or | not | prox
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()


Node = SearchClause | Boolean


@dataclass
class CqlQuery:
    root: Node
    prefixes: dict[str, str] = field(default_factory=dict)  # name -> context set URI ("" = default)


@dataclass
class _Token:
    kind: str  # word string symbol lparen rparen slash
    text: str
    offset: int


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r'[^\s()=<>"/]+')


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if m := _SPACE.match(text, pos):
            pos = m.end()
            continue
        ch = text[pos]
        if ch == "(":
            tokens.append(_Token("lparen", ch, pos))
            pos += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, pos))
            pos += 1
        elif ch == "/":
            tokens.append(_Token("slash", ch, pos))
            pos += 1
        elif ch in "=<>":
            symbol = next(s for s in SYMBOLS if text.startswith(s, pos))
            tokens.append(_Token("symbol", symbol, pos))
            pos += len(symbol)
        elif ch == '"':
            end = pos + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise CqlError(14, str(pos), f"The quotation mark at character {pos + 1} is never closed.")
            tokens.append(_Token("string", text[pos + 1 : end], pos))
            pos = end + 1
        else:
            m = _WORD.match(text, pos)
            tokens.append(_Token("word", m.group(), pos))
            pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0
        self.depth = 0
        self.clauses = 0
        self.prefixes: dict[str, str] = {}

    def peek(self, ahead: int = 0) -> _Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def error(self, token: _Token | None, what: str) -> CqlError:
        if token is None:
            return CqlError(10, str(len(self.text)), f"The query ends too early: {what}.")
        return CqlError(
            10, str(token.offset), f"Unexpected {token.text!r} at character {token.offset + 1}: {what}."
        )

    def parse(self) -> CqlQuery:
        root = self.query()
        token = self.peek()
        if token is not None:
            if token.kind == "word" and token.text.lower() == "sortby":
                raise CqlError(80, "sortBy", "Sorting is not supported: results come in order of relevance.")
            if token.kind == "rparen":
                raise CqlError(
                    13, str(token.offset), f"The ')' at character {token.offset + 1} closes nothing."
                )
            raise self.error(token, "expected and, or, not or the end of the query")
        return CqlQuery(root=root, prefixes=self.prefixes)

    def query(self) -> Node:
        while (token := self.peek()) is not None and token.kind == "symbol" and token.text == ">":
            self.prefix_assignment()
        return self.scoped_clause()

    def prefix_assignment(self) -> None:
        self.take()
        first = self.peek()
        if first is None or first.kind not in ("word", "string"):
            raise self.error(first, "expected a context set after '>'")
        self.take()
        nxt = self.peek()
        if first.kind == "word" and nxt is not None and nxt.kind == "symbol" and nxt.text == "=":
            self.take()
            uri = self.peek()
            if uri is None or uri.kind not in ("word", "string"):
                raise self.error(uri, "expected the context set's identifier")
            self.take()
            self.prefixes[first.text.lower()] = _unescape(uri.text)
        else:
            self.prefixes[""] = _unescape(first.text)

    def scoped_clause(self) -> Node:
        node = self.search_clause()
        while (token := self.peek()) is not None and token.kind == "word" and token.text.lower() in BOOLEANS:
            op = self.take().text.lower()
            modifiers = self.modifiers()
            right = self.search_clause()
            node = Boolean(op, node, right, modifiers)
        return node

    def search_clause(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error(None, "expected a search term")
        if token.kind == "lparen":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise CqlError(13, str(token.offset), f"Parentheses nest deeper than {MAX_DEPTH} levels.")
            inner = self.query()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise CqlError(
                    13, str(token.offset), f"The '(' at character {token.offset + 1} is never closed."
                )
            self.take()
            self.depth -= 1
            return inner
        if token.kind not in ("word", "string"):
            if token.kind == "rparen":
                raise CqlError(
                    13, str(token.offset), f"The ')' at character {token.offset + 1} closes nothing."
                )
            raise self.error(token, "expected a search term")
        if token.kind == "word" and token.text.lower() in BOOLEANS:
            raise self.error(token, f"{token.text!r} is a boolean operator; quote it to search for the word")
        self.take()
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise CqlError(38, str(MAX_CLAUSES), f"The query has more than {MAX_CLAUSES} search clauses.")
        nxt = self.peek()
        is_relation = nxt is not None and (
            nxt.kind == "symbol"
            or (nxt.kind == "word" and nxt.text.lower() not in (*BOOLEANS, "sortby") and token.kind == "word")
        )
        if not is_relation:
            return SearchClause(index="", relation="", term=token.text, quoted=token.kind == "string")
        if token.kind != "word":
            raise self.error(nxt, "an index name cannot be quoted")
        relation = self.take().text.lower()
        modifiers = self.modifiers()
        term = self.peek()
        if term is None or term.kind not in ("word", "string"):
            raise self.error(term, f"expected a search term after {token.text} {relation}")
        self.take()
        return SearchClause(
            index=token.text,
            relation=relation,
            term=term.text,
            modifiers=modifiers,
            quoted=term.kind == "string",
        )

    def modifiers(self) -> tuple[Modifier, ...]:
        out = []
        while (token := self.peek()) is not None and token.kind == "slash":
            self.take()
            name = self.peek()
            if name is None or name.kind != "word":
                raise self.error(name, "expected a modifier name after '/'")
            self.take()
            comparitor = value = ""
            if (sym := self.peek()) is not None and sym.kind == "symbol":
                self.take()
                val = self.peek()
                if val is None or val.kind not in ("word", "string"):
                    raise self.error(val, "expected the modifier's value")
                self.take()
                comparitor, value = sym.text, _unescape(val.text)
            out.append(Modifier(name.text.lower(), comparitor, value))
        return tuple(out)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_cql(text: str) -> CqlQuery:
    """Parse a CQL query; CqlError (with its SRU diagnostic) when it is not one."""
    if len(text) > MAX_QUERY_CHARS:
        raise CqlError(
            12, str(MAX_QUERY_CHARS), f"The query has {len(text)} characters; at most {MAX_QUERY_CHARS}."
        )
    tokens = tokenize(text)
    if not tokens:
        raise CqlError(10, "0", "The query is empty.")
    return _Parser(tokens, text).parse()
