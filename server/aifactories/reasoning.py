"""OWL RL materialisation with owlrl.

owlrl is slow (about 90 s for 100k triples on our machine), so it runs once per data version
and the result is cached by the snapshot; it never runs per request.  The inferred triples are
kept apart from the asserted ones so that users can query with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import owlrl
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace

#: owlrl reports inconsistencies as ``[] a err:ErrorMessage ; err:error "..."``.
_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

#: Inferences that carry no information for users and only inflate the graph.
_REFLEXIVE = {
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
}
_TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource}


@dataclass(frozen=True)
class Closure:
    """The inferred triples and the inconsistencies owlrl found."""

    inferred: Graph
    inconsistencies: tuple[str, ...]


def owl_rl_closure(asserted: Graph) -> Closure:
    """Compute the OWL RL closure of ``asserted`` (left untouched); return only new triples."""
    work = Graph()
    for triple in asserted:
        work.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    errors = sorted(
        str(message)
        for node in work.subjects(RDF.type, _ERR.ErrorMessage)
        for message in work.objects(node, _ERR.error)
    )
    inferred = Graph()
    for s, p, o in work:
        if (s, p, o) in asserted or isinstance(s, Literal):
            continue
        if p in _REFLEXIVE and s == o:
            continue
        if p == RDF.type and o in _TRIVIAL_TYPES:
            continue
        if p in (_ERR.error,) or (p == RDF.type and o == _ERR.ErrorMessage):
            continue
        inferred.add((s, p, o))
    return Closure(inferred, tuple(errors))
