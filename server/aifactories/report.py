"""What validation found, for people and machines: SHACL results and OWL RL inconsistencies.

Kept apart from :mod:`aifactories.validation` so that a server starting from a cached snapshot
never imports pySHACL, owlrl or rdflib (about 30 MB in each of its processes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Violation:
    """One validation result, flattened to strings for people and JSON."""

    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    severity: str
    #: The focus node and the source shape in full (IRI or blank node label), for machines.
    focus_node: str = ""
    source_shape: str = ""


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
            "focusNodeCount": len(self.by_focus()),
            "violations": [asdict(v) for v in self.violations],
            "inconsistencyCount": len(self.inconsistencies),
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
        nodes = len(self.by_focus())
        lines.append(
            f"{len(self.files)} file(s), {self.triples} triples: {status} "
            f"({len(self.violations)} violation(s) on {nodes} focus node(s), "
            f"{len(self.inconsistencies)} OWL RL inconsistenc"
            f"{'y' if len(self.inconsistencies) == 1 else 'ies'})"
        )
        return "\n".join(lines)
