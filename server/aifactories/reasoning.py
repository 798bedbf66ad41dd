"""OWL RL materialisation with owlrl.

owlrl is slow (about 90 s for 100k triples on our machine), so it runs once per data version
and the result is cached by the snapshot; it never runs per request.  The inferred triples are
kept apart from the asserted ones so that users can query with or without them.

Not every triple owlrl adds is worth keeping.  The schema rules of the OWL 2 RL profile state
tautologies for every class and property (rule scm-cls: ``C rdfs:subClassOf C``,
``C rdfs:subClassOf owl:Thing``, ``owl:Nothing rdfs:subClassOf C``; scm-dom1/scm-rng1 then give
``P rdfs:domain owl:Thing``).  They are true of every ontology, say nothing about ours, and read
in the wrong direction they look like errors ("AIGigafactory is a subclass of owl:Nothing"), so
they are dropped here.  A class that really is unsatisfiable shows up as ``C rdfs:subClassOf
owl:Nothing`` with ``C`` not ``owl:Nothing``, which is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import owlrl
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace
from rdflib.term import Node

from .naming import Names

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
_TOP = {OWL.Thing, RDFS.Resource}


@dataclass(frozen=True)
class Closure:
    """The inferred triples and the inconsistencies owlrl found."""

    inferred: Graph
    inconsistencies: tuple[str, ...]


def is_tautology(s: Node, p: Node, o: Node) -> bool:
    """True for triples that hold in every OWL ontology (see the module docstring)."""
    if p in _REFLEXIVE and s == o:
        return True
    if p == RDF.type and o in _TRIVIAL_TYPES:
        return True
    if p == RDFS.subClassOf and (o in _TOP or s == OWL.Nothing):
        return True
    if p in (RDFS.domain, RDFS.range) and o in _TOP:
        return True
    return p == RDF.type and (s == OWL.Nothing or s in _TOP)


def owl_rl_closure(asserted: Graph, prefixes: Mapping[str, str] | None = None) -> Closure:
    """Compute the OWL RL closure of ``asserted`` (left untouched); return only new triples.

    ``prefixes`` (prefix -> namespace) shorten the IRIs in inconsistency messages.
    """
    work = Graph()
    for triple in asserted:
        work.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(work)
    names = Names(prefixes)
    errors = sorted(
        names.text(str(message))
        for node in work.subjects(RDF.type, _ERR.ErrorMessage)
        for message in work.objects(node, _ERR.error)
    )
    inferred = Graph()
    for s, p, o in work:
        if (s, p, o) in asserted or isinstance(s, Literal) or is_tautology(s, p, o):
            continue
        if p == _ERR.error or (p == RDF.type and o == _ERR.ErrorMessage):
            continue
        inferred.add((s, p, o))
    return Closure(inferred, tuple(errors))
