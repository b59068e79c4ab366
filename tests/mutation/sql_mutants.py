"""One-change mutants of the project's SQL (the macros, every staging model, the core models and every measure's
SQL), made with sqlglot: its tokenizer finds the operators and literals, its parser the AND/OR terms and joins.

Each mutant is the whole file with exactly one change, applied to the text itself (the rest of the file is left
byte for byte, so a mutant fails only for its change):
- a comparison flipped at its edge: `<` <-> `<=`, `>` <-> `>=`, `=` <-> `<>`; `IS NULL` <-> `IS NOT NULL`;
- one term of an AND or OR dropped (the left or the right);
- a number literal changed by one;
- a LEFT JOIN made an inner JOIN, or an inner JOIN a LEFT JOIN.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

ROOT = Path(__file__).resolve().parents[2]
FLIPS = {TokenType.LT: "<=", TokenType.LTE: "<", TokenType.GT: ">=", TokenType.GTE: ">", TokenType.EQ: "<>",
         TokenType.NEQ: "="}


@dataclass(frozen=True)
class SqlMutant:
    """One change to one file: `text` is the whole file as mutated."""

    file: str  # relative to the repository
    line: int
    mutation: str
    text: str


def sql_files() -> list[Path]:
    """The SQL the mutants are made of: macros, staging models, core models and the catalogue's measures."""
    return sorted([ROOT / "warehouse" / "sql" / "macros.sql", *ROOT.glob("sources/*/staging.sql"),
                   *(ROOT / "warehouse" / "sql" / "core").glob("*.sql"),
                   *(ROOT / "warehouse" / "catalogue" / "measures").glob("*.yaml")])


def mutants(path: Path) -> Iterator[SqlMutant]:
    """Every mutant of one file (for a measure's YAML, of its `sql:` block only)."""
    text = path.read_text(encoding="utf-8")
    relative = str(path.relative_to(ROOT))
    if path.suffix == ".yaml":
        sql = yaml.safe_load(text)["sql"]
        block = textwrap.indent(sql, "  ")
        offset = text.index(block)
        for start, end, new, what in _changes(sql):
            mutated_sql = sql[:start] + new + sql[end:]
            yield SqlMutant(relative, text[:offset].count("\n") + sql[:start].count("\n") + 1, what,
                            text[:offset] + textwrap.indent(mutated_sql, "  ") + text[offset + len(block):])
        return
    for start, end, new, what in _changes(text):
        yield SqlMutant(relative, text[:start].count("\n") + 1, what, text[:start] + new + text[end:])


def _changes(sql: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, replacement, description) of each one-change mutant of `sql` (end exclusive)."""
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except sqlglot.errors.TokenError:
        return
    yield from _token_changes(sql, tokens)
    yield from _term_drops(sql, tokens)


def _token_changes(sql: str, tokens: list[Token]) -> Iterator[tuple[int, int, str, str]]:
    for i, token in enumerate(tokens):
        start, end = token.start, token.end + 1
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.token_type in FLIPS:
            yield start, end, FLIPS[token.token_type], f"{sql[start:end]} -> {FLIPS[token.token_type]}"
        elif token.token_type == TokenType.NUMBER:
            value = sql[start:end]
            if re.fullmatch(r"\d+", value):
                yield start, end, str(int(value) + 1), f"{value} -> {int(value) + 1}"
        elif token.token_type == TokenType.IS and following is not None:
            if following.token_type == TokenType.NOT:
                yield start, following.end + 1, "IS", "IS NOT -> IS"
            elif following.token_type == TokenType.NULL:
                yield start, end, "IS NOT", "IS NULL -> IS NOT NULL"
        elif token.token_type == TokenType.LEFT and following is not None and following.token_type == TokenType.JOIN:
            yield start, following.start, "", "LEFT JOIN -> JOIN"
        elif token.token_type == TokenType.JOIN and (i == 0 or tokens[i - 1].token_type not in (
                TokenType.LEFT, TokenType.RIGHT, TokenType.FULL, TokenType.INNER, TokenType.OUTER, TokenType.CROSS,
                TokenType.SEMI, TokenType.ANTI, TokenType.ASOF, TokenType.POSITIONAL)):
            yield start, start, "LEFT ", "JOIN -> LEFT JOIN"


# Tokens that end a boolean term at its own depth: the clause or CASE branch goes on after it.
_ENDS = {TokenType.THEN, TokenType.WHEN, TokenType.ELSE, TokenType.END, TokenType.COMMA, TokenType.SEMICOLON,
         TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.HAVING, TokenType.LIMIT, TokenType.QUALIFY,
         TokenType.UNION, TokenType.EXCEPT, TokenType.INTERSECT, TokenType.ALIAS, TokenType.FROM, TokenType.WHERE,
         TokenType.JOIN, TokenType.LEFT, TokenType.INNER, TokenType.ON, TokenType.SELECT, TokenType.CASE,
         TokenType.OR}


def _term_drops(sql: str, tokens: list[Token]) -> Iterator[tuple[int, int, str, str]]:
    """Drop the term right or left of each AND / OR the parser finds (the whole term, to the next token at its
    depth that ends it: THEN, a comma, the next OR, and so on)."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return  # the tokens' mutants still stand; a statement sqlglot cannot parse has no term drops
    for tree in (t for t in trees if t is not None):
        for node in tree.find_all(exp.And, exp.Or):
            left, right = _span(node.left), _span(node.right)
            if left is None or right is None:
                continue
            kind = TokenType.AND if isinstance(node, exp.And) else TokenType.OR
            between = [i for i, t in enumerate(tokens) if t.token_type == kind and left[1] < t.start < right[0]]
            if len(between) != 1:
                continue
            op, word = between[0], kind.name
            ends = _ENDS | ({TokenType.AND} if kind == TokenType.AND else set())
            right_end = _scan(tokens[op + 1:], ends, TokenType.L_PAREN, TokenType.R_PAREN)
            left_start = _scan(tokens[op - 1::-1], ends, TokenType.R_PAREN, TokenType.L_PAREN)
            if right_end is not None and right_end.end >= right[1]:  # from the end of the left term
                yield tokens[op - 1].end + 1, right_end.end + 1, "", f"{word} <right term> dropped"
            if left_start is not None and left_start.start <= left[0]:  # to the start of the right term
                yield left_start.start, tokens[op + 1].start, "", f"<left term> {word} dropped"


def _span(node: exp.Expression) -> tuple[int, int] | None:
    """The character span of the tokens the parser kept positions for, inside `node`."""
    places = [n.meta for n in node.walk() if n.meta and "start" in n.meta]
    if not places:
        return None
    return min(m["start"] for m in places), max(m["end"] for m in places)


def _scan(tokens: list[Token], ends: set[TokenType], opening: TokenType, closing: TokenType) -> Token | None:
    """The last token of a term read from the first of `tokens` on (forwards, or backwards when the tokens are
    reversed and the parentheses swapped): up to a token of `ends` or a closing parenthesis at its own depth."""
    depth, last = 0, None
    for token in tokens:
        if depth == 0 and (token.token_type in ends or token.token_type == closing):
            break
        if token.token_type == opening:
            depth += 1
        elif token.token_type == closing:
            depth -= 1
        last = token
    return last if depth == 0 else None
