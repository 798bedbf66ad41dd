"""A SPARQL lexer, just deep enough to decide what a query may do before it reaches the engine.

It finds the query form, refuses SPARQL Update and ``SERVICE`` calls to endpoints that are not
allow-listed, and produces a normalised text (comments dropped, whitespace collapsed) that keys
the response cache.  Full syntax checking stays with the engine's parser, whose messages carry
line and column; this lexer never has to accept or reject a query on grammar grounds alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ForbiddenQuery, QuerySyntaxError

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

#: Shapes refused before the engine sees them: Oxigraph's parser and evaluator recurse once per
#: nested group and once per chained operator, and overflow their stack (the engine dies and
#: restarts) from about 800 nested groups or 600-2,000 chained MINUS, BIND, UNION or ``||``.
#: The example queries nest at most 6 deep and chain at most 24 operators.
MAX_NESTING = 100
MAX_OPERATORS = 400
_OPENING, _CLOSING = frozenset("{(["), frozenset("})]")
_OPERATOR_CHARS = frozenset("|&/+*-^=<>!.")
_OPERATOR_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "GRAPH", "EXISTS"})

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
    | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:
               (?:[^\s{}()\[\],;"'<>\#]*[^\s{}()\[\],;"'<>\#.])?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True)
class QueryInfo:
    """What the lexer learnt about a query."""

    form: str
    normalised: str
    services: tuple[str, ...]
    #: Prefixes the query uses in prefixed names without declaring them.
    undeclared_prefixes: tuple[str, ...] = ()
    #: The query's own dataset: ``FROM`` and ``FROM NAMED`` graph IRIs.
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens, dropping whitespace and comments."""
    tokens = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        tokens.append(Token(kind, match.group()))
    return tokens


def _prefixes(tokens: list[Token]) -> dict[str, str]:
    prefixes = {}
    for i, tok in enumerate(tokens[:-2]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX":
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "pname" and iri.kind == "iri":
                prefixes[name.text.split(":", 1)[0]] = iri.text[1:-1]
    return prefixes


def _iri(token: Token, prefixes: dict[str, str]) -> str | None:
    if token.kind == "iri":
        return token.text[1:-1]
    if token.kind == "pname":
        pfx, local = token.text.split(":", 1)
        if pfx in prefixes:
            return prefixes[pfx] + local
    return None


def _dataset_clauses(tokens: list[Token]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """IRIs of ``FROM <g>`` and ``FROM NAMED <g>`` (the keyword FROM means nothing else)."""
    prefixes = _prefixes(tokens)
    default, named = [], []
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind != "word" or tok.text.upper() != "FROM":
            continue
        nxt = tokens[i + 1]
        is_named = nxt.kind == "word" and nxt.text.upper() == "NAMED"
        target = tokens[i + 2] if is_named and i + 2 < len(tokens) else nxt
        iri = _iri(target, prefixes)
        if iri is not None:
            (named if is_named else default).append(iri)
    return tuple(default), tuple(named)


def _service_targets(tokens: list[Token]) -> list[str]:
    prefixes = _prefixes(tokens)
    targets = []
    for i, tok in enumerate(tokens):
        if tok.kind != "word" or tok.text.upper() != "SERVICE":
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].kind == "word" and tokens[j].text.upper() == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else Token("other", "")
        if target.kind == "iri":
            targets.append(target.text[1:-1])
        elif target.kind == "pname" and target.text.split(":", 1)[0] in prefixes:
            pfx, local = target.text.split(":", 1)
            targets.append(prefixes[pfx] + local)
        else:
            targets.append(target.text or "?")
    return targets


def analyse(query: str, service_allowlist: tuple[str, ...] = ()) -> QueryInfo:
    """Classify ``query`` and refuse what a read-only, offline endpoint must not run."""
    tokens = tokenize(query)
    form = next(
        (
            t.text.upper()
            for t in tokens
            if t.kind == "word" and t.text.upper() in QUERY_FORMS | UPDATE_KEYWORDS
        ),
        None,
    )
    if form is None:
        raise QuerySyntaxError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    if form in UPDATE_KEYWORDS:
        raise ForbiddenQuery(f"SPARQL Update ({form}) is not supported: this endpoint is read-only")
    _check_shape(tokens)
    services = _service_targets(tokens)
    refused = [s for s in services if s not in service_allowlist]
    if refused:
        raise ForbiddenQuery(
            f"SERVICE <{refused[0]}> is not allowed: this endpoint does not call remote services"
            + ("" if not service_allowlist else " outside its allow-list")
        )
    normalised = " ".join(t.text for t in tokens)
    from_graphs, from_named = _dataset_clauses(tokens)
    return QueryInfo(
        form=form,
        normalised=normalised,
        services=tuple(services),
        undeclared_prefixes=_undeclared(tokens),
        from_graphs=from_graphs,
        from_named=from_named,
    )


def _check_shape(tokens: list[Token]) -> None:
    """Refuse queries nested or chained deeply enough to overflow the engine's stack."""
    depth = operators = 0
    for token in tokens:
        if token.kind == "word":
            operators += token.text.upper() in _OPERATOR_WORDS
        elif token.kind == "other":
            operators += token.text in _OPERATOR_CHARS
            depth += (token.text in _OPENING) - (token.text in _CLOSING)
            if depth > MAX_NESTING:
                raise QuerySyntaxError(f"brackets nested deeper than {MAX_NESTING} are refused")
    if operators > MAX_OPERATORS:
        raise QuerySyntaxError(
            f"{operators} operators (UNION, OPTIONAL, MINUS, BIND, FILTER, ||, /, ...) are more "
            f"than the {MAX_OPERATORS} this endpoint runs; split the query"
        )


def _undeclared(tokens: list[Token]) -> tuple[str, ...]:
    declared = _prefixes(tokens)
    used = (t.text.split(":", 1)[0] for t in tokens if t.kind == "pname")
    return tuple(dict.fromkeys(p for p in used if p and p not in declared))


def with_prefixes(query: str, info: QueryInfo, known: dict[str, str]) -> str:
    """``query`` with PREFIX declarations for the known prefixes it uses but does not declare.

    They go on the query's first line, so the engine's line numbers in syntax errors stay true.
    """
    missing = [p for p in info.undeclared_prefixes if p in known]
    if not missing:
        return query
    return " ".join(f"PREFIX {p}: <{known[p]}>" for p in missing) + " " + query
