"""Plain-text tables for the terminal (``aifactories query --format table``)."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

MAX_CELL = 60


def cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    text = term.value if not isinstance(term, ox.BlankNode) else f"_:{term.value}"
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def text_table(variables: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[cell(t) for t in row] for row in rows]  # type: ignore[arg-type]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(variables)]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
