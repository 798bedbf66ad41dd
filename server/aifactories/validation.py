"""SHACL validation with pySHACL, and a readable report grouped by focus node.

The shapes are checked against the asserted data together with the ontology (so that
``sh:class`` constraints see subclass axioms) but without running a reasoner inside pySHACL:
OWL RL runs once, separately (:mod:`aifactories.reasoning`).

pySHACL runs each SHACL-SPARQL constraint and SPARQL target once per focus node and hands rdflib
the query text every time; rdflib then parses it again (pyparsing: half of the validation time at
100k triples).  :class:`MixedGraph` parses each text once.  The data and the ontology are mixed
into one such graph here rather than by pySHACL (``ont_graph``), which would copy them into a
plain graph: the same triples and prefixes either way, and the snapshot reuses the graph for
OWL RL instead of building it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyshacl
from rdflib import RDF, SH, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result
from rdflib.term import Node

from .errors import InputError
from .naming import Names
from .report import Violation


class ShapesError(InputError):
    """The shapes graph itself is broken (pySHACL refuses it): a bug in the shapes, exit 2."""


def _source(results: Graph, result: Node) -> Node | None:
    """The most specific named source: a named SHACL-SPARQL constraint (``sh:sourceConstraint``)
    says more than the node shape that holds it, which is what ``sh:sourceShape`` gives."""
    constraint = results.value(result, SH.sourceConstraint)
    if isinstance(constraint, URIRef):
        return constraint
    return results.value(result, SH.sourceShape)


def _path_text(names: Names, results: Graph, path: Node | None) -> str | None:
    """A SHACL property path in SPARQL syntax (``aif:a|^aif:b``), not as a blank node."""
    if path is None or not isinstance(path, BNode):
        return names.term(path)
    if (path, RDF.first, None) in results:
        return "/".join(_path_text(names, results, p) or "" for p in Collection(results, path))
    for kind, joiner in ((SH.alternativePath, "|"),):
        alternatives = results.value(path, kind)
        if alternatives is not None:
            parts = Collection(results, alternatives)
            return "(" + joiner.join(_path_text(names, results, p) or "" for p in parts) + ")"
    for kind, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = results.value(path, kind)
        if inner is not None:
            return template.format(_path_text(names, results, inner))
    return names.term(path)


class MixedGraph(Graph):
    """Data and ontology in one graph that parses each SPARQL query text once.

    rdflib evaluates a prepared query exactly as it evaluates the text (``prepareQuery`` is
    ``translateQuery(parseQuery(text))``, the very steps of ``Graph.query``), with the same
    prefixes: the graph's own, as ``Graph.query`` uses when it is given none.
    """

    def __init__(self, data: Graph, ontology: Graph | None = None) -> None:
        """An empty graph with the prefixes pySHACL gives the graph it mixes from ``data`` and
        ``ontology`` (``pyshacl.rdfutil.clone.mix_graphs``); add the triples after."""
        super().__init__(bind_namespaces="core")
        for prefix, namespace in data.namespaces():
            self.bind(prefix, namespace, override=True, replace=True)
        for prefix, namespace in ontology.namespaces() if ontology is not None else ():
            self.bind(prefix, namespace, override=False, replace=False)
        self._prepared: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def query(  # type: ignore[override]
        self,
        query_object: Any,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Mapping[str, Any] | None = None,
        initBindings: Mapping[str, Any] | None = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        if isinstance(query_object, str) and processor == "sparql" and not kwargs:
            namespaces = dict(initNs or dict(self.namespaces()))
            key = (query_object, tuple(sorted(namespaces.items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = prepareQuery(query_object, initNs=namespaces)
            query_object = prepared
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def shacl_violations(
    data: Graph,
    shapes: Graph,
    ontology: Graph | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Run pySHACL (no inference, SHACL-SPARQL enabled) on the data and the ontology together,
    and flatten its results.

    Raises :class:`ShapesError` when pySHACL cannot use the shapes at all.
    """
    target = MixedGraph(data, ontology)
    for graph in (data, ontology if ontology is not None else ()):
        for triple in graph:
            target.add(triple)
    return mixed_violations(target, shapes, prefixes, data)


def mixed_violations(
    target: MixedGraph,
    shapes: Graph,
    prefixes: Mapping[str, str] | None = None,
    *named_by: Graph,
) -> list[Violation]:
    """:func:`shacl_violations` on data and ontology already mixed in ``target``, which is left
    unchanged; ``named_by`` graphs lend their prefixes to the report.
    """
    size = len(target)
    _conforms, results, text = pyshacl.validate(
        target,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
        inplace=True,  # ``target`` is a copy already: spare pySHACL copying it again
    )
    if len(target) != size:  # our shapes have no sh:rule; if one ever adds triples, say so
        raise RuntimeError("pySHACL changed the graph it validated")
    if not isinstance(results, Graph):  # pySHACL's ValidationFailure: the shapes are unusable
        raise ShapesError(f"the SHACL shapes cannot be used: {text.strip()}")
    names = Names(prefixes, shapes, *named_by)
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, result) in results:  # why an sh:node failed: its parent says it
            continue
        severity = results.value(result, SH.resultSeverity)
        focus = results.value(result, SH.focusNode)
        value = results.value(result, SH.value)
        source = _source(results, result)
        out.append(
            Violation(
                focus=names.term(focus) or "",
                path=_path_text(names, results, results.value(result, SH.resultPath)),
                # SHACL-SPARQL results without ?value repeat the focus node: say it once.
                value=None if value == focus else names.term(value),
                message=names.text(str(results.value(result, SH.resultMessage) or "violated")),
                shape=names.term(source) or "",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus_node=str(focus),
                source_shape=str(source),
            )
        )
    out.sort(key=lambda v: (v.focus, v.path or "", v.shape, v.message, v.value or ""))
    return out
