"""SHACL validation with pySHACL, and a readable report grouped by focus node.

The shapes are checked against the asserted data together with the ontology (so that
``sh:class`` constraints see subclass axioms) but without running a reasoner inside pySHACL:
OWL RL runs once, separately (:mod:`aifactories.reasoning`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pyshacl
from rdflib import RDF, SH, Graph
from rdflib.term import Node


@dataclass(frozen=True)
class Violation:
    """One validation result, flattened to strings for people and JSON."""

    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    severity: str


@dataclass
class Report:
    """Everything ``validate`` prints: SHACL results and OWL RL inconsistencies."""

    conforms: bool = True
    violations: list[Violation] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    triples: int = 0

    def by_focus(self) -> dict[str, list[Violation]]:
        groups: dict[str, list[Violation]] = defaultdict(list)
        for v in self.violations:
            groups[v.focus].append(v)
        return dict(sorted(groups.items()))

    def as_dict(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "files": self.files,
            "triples": self.triples,
            "violationCount": len(self.violations),
            "violations": [asdict(v) for v in self.violations],
            "inconsistencies": self.inconsistencies,
        }

    def as_text(self) -> str:
        lines = []
        for focus, items in self.by_focus().items():
            lines.append(f"{focus}")
            for v in items:
                path = f" {v.path}" if v.path else ""
                value = f" = {v.value}" if v.value is not None else ""
                lines.append(f"  [{v.severity}]{path}{value}: {v.message}  (shape {v.shape})")
        for message in self.inconsistencies:
            lines.append(f"OWL RL inconsistency: {message}")
        status = "conforms" if self.conforms else "does not conform"
        lines.append(
            f"{len(self.files)} file(s), {self.triples} triples: {status} "
            f"({len(self.violations)} violation(s), "
            f"{len(self.inconsistencies)} OWL RL inconsistenc"
            f"{'y' if len(self.inconsistencies) == 1 else 'ies'})"
        )
        return "\n".join(lines)


def _text(graph: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Graph):
        return str(node)
    try:
        return node.n3(graph.namespace_manager)
    except Exception:  # an exotic term: fall back to its plain form
        return str(node)


def shacl_violations(data: Graph, shapes: Graph, ontology: Graph | None = None) -> list[Violation]:
    """Run pySHACL (no inference, SHACL-SPARQL enabled) and flatten its results."""
    _conforms, results, _text_report = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        out.append(
            Violation(
                focus=_text(data, results.value(result, SH.focusNode)) or "",
                path=_text(data, results.value(result, SH.resultPath)),
                value=_text(data, results.value(result, SH.value)),
                message=str(results.value(result, SH.resultMessage) or "constraint violated"),
                shape=_text(shapes, results.value(result, SH.sourceShape)) or "",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    out.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return out
