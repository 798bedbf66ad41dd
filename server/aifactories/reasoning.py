"""OWL RL materialisation with owlrl.

owlrl is slow (about 90 s for 100k triples on our machine), so it runs once per data version
and the result is cached by the snapshot; it never runs per request.  It is also a brute-force
fixpoint, so for graphs whose schema only uses the rules of :mod:`aifactories.rules` owlrl closes
the schema alone and those rules close the facts (seconds at 100k triples); any other graph goes
through owlrl whole.  Both paths give the same triples and messages (``tests/test_rules.py``).  The inferred triples are
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

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import owlrl
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace
from rdflib.term import Node

from . import rules
from .naming import Names

Triple = tuple[Node, Node, Node]

log = logging.getLogger(__name__)

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
#: Looked up once: rdflib's namespace attribute access is slow in the per-triple loops.
_TYPE, _SUBCLASS, _NOTHING = RDF.type, RDFS.subClassOf, OWL.Nothing
_DOMAIN_RANGE = {RDFS.domain, RDFS.range}
_ERROR, _ERROR_MESSAGE = _ERR.error, _ERR.ErrorMessage


@dataclass(frozen=True)
class Closure:
    """The inferred triples and the inconsistencies owlrl found."""

    inferred: Graph
    inconsistencies: tuple[str, ...]


def is_tautology(s: Node, p: Node, o: Node) -> bool:
    """True for triples that hold in every OWL ontology (see the module docstring)."""
    if p in _REFLEXIVE and s == o:
        return True
    if p == _TYPE and o in _TRIVIAL_TYPES:
        return True
    if p == _SUBCLASS and (o in _TOP or s == _NOTHING):
        return True
    if p in _DOMAIN_RANGE and o in _TOP:
        return True
    return p == _TYPE and (s == _NOTHING or s in _TOP)


def owl_rl_closure(
    asserted: Graph, prefixes: Mapping[str, str] | None = None, *, fast: bool = True
) -> Closure:
    """Compute the OWL RL closure of ``asserted`` (left untouched); return only new triples.

    ``prefixes`` (prefix -> namespace) shorten the IRIs in inconsistency messages.  With
    ``fast`` (the default) the closure is computed by :func:`fast_closure` when it can be;
    ``fast=False`` runs owlrl on the whole graph, the reference the tests compare with.
    """
    if fast:
        closure = fast_closure(asserted, prefixes)
        if closure is not None:
            return closure
        log.warning(
            "OWL RL: the schema uses a construct the fast closure does not implement; "
            "running owlrl on the whole graph (minutes from 100k triples up)"
        )
    work = Graph()
    for triple in asserted:
        work.add(triple)
    _expand(work)
    return _closure(set(asserted), work, _errors(work), prefixes)


def fast_closure(asserted: Graph, prefixes: Mapping[str, str] | None = None) -> Closure | None:
    """owlrl on the schema, :mod:`aifactories.rules` on the facts; ``None`` when the schema
    needs a rule that only owlrl implements (the caller then runs owlrl on everything)."""
    triples = set(asserted)
    if rules.blank_predicates(triples):
        return None
    schema = Graph()
    facts: list[Triple] = []
    for triple in triples:
        if rules.is_fact(triple):
            facts.append(triple)
        else:
            schema.add(triple)
    # owlrl adds these once for the datatypes the *whole* graph uses, not just the schema.
    for triple in rules.datatype_disjointness(rules.used_datatypes(triples)):
        schema.add(triple)
    _expand(schema)
    errors = _errors(schema)
    closed_schema = {t for t in schema if not _is_error(t)}
    schema_rules = rules.schema_rules(schema)
    if schema_rules is None:
        return None
    facts.extend(t for t in closed_schema if rules.is_fact(t))
    closed_facts = rules.close_facts(schema_rules, facts)
    errors.update(closed_facts.errors)
    return _closure(triples, closed_schema | closed_facts.triples, errors, prefixes)


def _expand(graph: Graph) -> None:
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)


def _is_error(triple: Triple) -> bool:
    _s, p, o = triple
    return p == _ERROR or (p == _TYPE and o == _ERROR_MESSAGE)


def _errors(work: Graph) -> set[str]:
    """owlrl's inconsistency messages, which it writes into the graph it closes."""
    return {
        str(message)
        for node in work.subjects(RDF.type, _ERR.ErrorMessage)
        for message in work.objects(node, _ERR.error)
    }


def _closure(
    asserted: set[Triple],
    closed: Iterable[Triple],
    errors: set[str],
    prefixes: Mapping[str, str] | None,
) -> Closure:
    """Keep what is new and informative (see the module docstring); word the messages."""
    names = Names(prefixes)
    inferred = Graph()
    for s, p, o in closed:
        if (s, p, o) in asserted or isinstance(s, Literal) or is_tautology(s, p, o):
            continue
        if _is_error((s, p, o)):
            continue
        inferred.add((s, p, o))
    return Closure(inferred, tuple(sorted(names.text(m) for m in errors)))
