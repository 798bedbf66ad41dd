"""A fast OWL RL closure for our kind of graph: owlrl on the schema, indexed joins on the data.

owlrl (:mod:`aifactories.reasoning`) is the reasoner of record, but it is a brute-force fixpoint:
every round it applies every rule to every triple of the whole graph, so 100k triples take
minutes.  Almost all of our triples are plain facts (``x aif:hosts y``, ``x a aif:AIFactory``,
labels) that only ever meet the schema, never each other through OWL vocabulary.  So:

1. The graph is split into the *schema* (every triple whose predicate is RDF, RDFS or OWL
   vocabulary, except ``rdf:type`` to an ordinary class and the annotation properties) and the
   *facts* (everything else).  owlrl closes the schema alone, which is small and fast.
2. The facts are closed here with the rules that the closed schema can fire on them:
   sub-/equivalent properties, inverses, symmetric and transitive properties and property chains
   (a worklist fixpoint over indexed joins), then domains, ranges, sub-/equivalent classes, and
   the datatype typing of literals that owlrl does once at the start.
3. The inconsistencies owlrl would report on facts are checked the same way, with owlrl's own
   message text: disjoint classes (``owl:disjointWith``, ``owl:AllDisjointClasses``, which
   includes owlrl's datatype disjointness), ``owl:Nothing`` and ill-typed literals.

This is only exact when nothing else in OWL RL can fire, so :func:`schema_rules` refuses
(returns ``None``) as soon as the closed schema uses anything not implemented here: restrictions,
``owl:sameAs`` between different nodes, functional properties, keys, negative assertions,
property disjointness and so on, or OWL vocabulary where a fact could turn into schema (a range
of ``owl:Class``, a sub-property of ``rdfs:subClassOf``).  The caller then runs owlrl on the
whole graph.  ``tests/test_rules.py`` checks the result triple for triple against owlrl.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
from owlrl.DatatypeHandling import AltXSDToPYTHON
from owlrl.OWLRL import OWLRL_Annotation_properties
from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

_VOCABULARY = (str(RDF), str(RDFS), str(OWL), str(XSD))
#: Looked up once: rdflib's namespace attribute access is slow in the per-triple loops.
_TYPE = RDF.type
_ANNOTATIONS = frozenset(OWLRL_Annotation_properties)
_DATATYPES = frozenset(OWL_RL_Datatypes)
#: Vocabulary classes a fact may be typed with: no OWL RL rule reads them as schema.
_FACT_CLASSES = frozenset({OWL.Thing, OWL.Nothing, RDFS.Resource, OWL.NamedIndividual})
#: Vocabulary classes that may stand where the schema rules put classes (domains, ranges,
#: sub-/super-/disjoint classes): types that facts, including literals, can carry.
_CLASS_TERMS = _FACT_CLASSES | _DATATYPES
#: The types schema nodes may have in the closed schema; any other OWL/RDF(S) type (functional
#: or irreflexive properties, restrictions, owl:AllDifferent, ...) makes the fast path refuse.
_SCHEMA_TYPES = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        RDFS.Datatype,
        RDF.Property,
        RDF.List,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.OntologyProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.AllDisjointClasses,
        OWL.Ontology,
        OWL.DeprecatedClass,
        OWL.DeprecatedProperty,
    }
)
#: Schema predicates whose consequences for facts are implemented below, or that have none.
_SCHEMA_PREDICATES = frozenset(
    {
        RDF.type,
        RDF.first,
        RDF.rest,
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.inverseOf,
        OWL.propertyChainAxiom,
        OWL.disjointWith,
        OWL.members,
        OWL.sameAs,
        OWL.imports,
        OWL.versionIRI,
    }
)


def _vocabulary(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_VOCABULARY)


def is_fact(triple: Triple) -> bool:
    """True for a triple that owlrl can only use as a fact, never as schema."""
    _s, p, o = triple
    if not _vocabulary(p) or p in _ANNOTATIONS:
        return True
    return p == _TYPE and (not _vocabulary(o) or o in _FACT_CLASSES)


def used_datatypes(triples: Iterable[Triple]) -> set[Node]:
    """The OWL RL datatypes owlrl counts as used: of literals, or named by ``rdf:type``, and
    the datatypes these are subsumed by."""
    used: set[Node] = set()
    for _s, p, o in triples:
        if isinstance(o, Literal):
            if o.datatype in _DATATYPES:
                used.add(o.datatype)
        elif p == _TYPE and o in _DATATYPES:
            used.add(o)
    # owlrl also counts the wider datatypes it types the literals with (xsd:integer -> decimal).
    used.update(
        [wider for datatype in used for wider in OWL_Datatype_Subsumptions.get(datatype, ())]
    )
    return used


def datatype_disjointness(used: set[Node]) -> list[Triple]:
    """owlrl's disjointness axioms between the datatypes in use (its one-time rule dt-diff)."""
    return [t for t in OWLRL_Datatypes_Disjointness if t[0] in used and t[2] in used]


@dataclass
class SchemaRules:
    """What the closed schema says about facts, as lookup tables."""

    super_properties: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    inverses: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    symmetric: set[Node] = field(default_factory=set)
    transitive: set[Node] = field(default_factory=set)
    #: property -> [(position in the chain, chain, the chain's super-property)]
    chains: dict[Node, list[tuple[int, tuple[Node, ...], Node]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    domains: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    super_classes: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    disjoint: dict[Node, list[Node]] = field(default_factory=lambda: defaultdict(list))
    all_disjoint: list[list[Node]] = field(default_factory=list)


def _items(schema: Graph, head: Node) -> list[Node]:
    return list(schema.items(head))


def _property_ok(term: Node) -> bool:
    """Facts may be derived with this predicate without becoming schema."""
    return isinstance(term, URIRef) and (not _vocabulary(term) or term in _ANNOTATIONS)


def _class_ok(term: Node) -> bool:
    return not _vocabulary(term) or term in _CLASS_TERMS


def schema_rules(schema: Graph) -> SchemaRules | None:
    """Read the closed schema into :class:`SchemaRules`, or ``None`` when it needs a rule that is
    not implemented here (see the module docstring): then only owlrl is exact."""
    rules = SchemaRules()
    for s, p, o in schema:
        if is_fact((s, p, o)):
            continue
        if p not in _SCHEMA_PREDICATES:
            return None
        if p == RDF.type:
            if o not in _SCHEMA_TYPES and not _class_ok(o):
                return None
            if o == OWL.SymmetricProperty:
                if not _property_ok(s):
                    return None
                rules.symmetric.add(s)
            elif o == OWL.TransitiveProperty:
                if not _property_ok(s):
                    return None
                rules.transitive.add(s)
        elif p == OWL.sameAs:
            if s != o:
                return None
        elif p in (RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf):
            if p != OWL.inverseOf and s == o:
                continue
            if not (_property_ok(s) and _property_ok(o)):
                return None
            if p == OWL.inverseOf:
                rules.inverses[s].add(o)
                rules.inverses[o].add(s)
            else:
                rules.super_properties[s].add(o)
                if p == OWL.equivalentProperty:
                    rules.super_properties[o].add(s)
        elif p == OWL.propertyChainAxiom:
            chain = tuple(_items(schema, o))
            if not chain or not all(_property_ok(q) for q in (s, *chain)):
                return None
            for position, q in enumerate(chain):
                rules.chains[q].append((position, chain, s))
        elif p in (RDFS.domain, RDFS.range):
            if not (_property_ok(s) and _class_ok(o)):
                return None
            (rules.domains if p == RDFS.domain else rules.ranges)[s].add(o)
        elif p in (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith):
            if not (_class_ok(s) and _class_ok(o)):
                return None
            if p == OWL.disjointWith:
                rules.disjoint[s].append(o)
            elif s != o:
                rules.super_classes[s].add(o)
                if p == OWL.equivalentClass:
                    rules.super_classes[o].add(s)
        elif p == OWL.members:
            if (s, RDF.type, OWL.AllDisjointClasses) not in schema:
                return None
            members = _items(schema, o)
            if not all(_class_ok(c) for c in members):
                return None
            rules.all_disjoint.append(members)
    _close(rules.super_classes)
    return rules


def _close(edges: dict[Node, set[Node]]) -> None:
    """Make ``edges`` transitive in place (owlrl's scm-sco does this; cheap on a schema)."""
    for start in list(edges):
        seen: set[Node] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        seen.discard(start)
        edges[start] = seen


class _Facts:
    """Property assertions indexed by predicate, both ways, for the joins of the fixpoint."""

    def __init__(self) -> None:
        self.out: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        self.into: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))

    def add(self, s: Node, p: Node, o: Node) -> bool:
        objects = self.out[p][s]
        if o in objects:
            return False
        objects.add(o)
        self.into[p][o].add(s)
        return True

    def __iter__(self) -> Iterator[Triple]:
        for p, by_subject in self.out.items():
            for s, objects in by_subject.items():
                for o in objects:
                    yield s, p, o


def _chain_ends(facts: _Facts, chain: tuple[Node, ...], position: int, s: Node, o: Node) -> set:
    """The (first, last) nodes of every path along ``chain`` whose link ``position`` is s->o."""
    starts = {s}
    for q in reversed(chain[:position]):
        into = facts.into[q]
        starts = {w for node in starts for w in into.get(node, ())}
        if not starts:
            return set()
    ends = {o}
    for q in chain[position + 1 :]:
        out = facts.out[q]
        ends = {z for node in ends for z in out.get(node, ())}
        if not ends:
            return set()
    return {(a, b) for a in starts for b in ends}


def _property_closure(rules: SchemaRules, facts: _Facts, todo: list[Triple]) -> None:
    """Close the property assertions: each new assertion is joined once with all the others."""
    while todo:
        s, p, o = todo.pop()
        derived: list[Triple] = [(s, q, o) for q in rules.super_properties.get(p, ())]
        derived.extend((o, q, s) for q in rules.inverses.get(p, ()))
        if p in rules.symmetric:
            derived.append((o, p, s))
        if p in rules.transitive:
            derived.extend((s, p, z) for z in facts.out[p].get(o, ()))
            derived.extend((w, p, o) for w in facts.into[p].get(s, ()))
        for position, chain, target in rules.chains.get(p, ()):
            derived.extend((a, target, b) for a, b in _chain_ends(facts, chain, position, s, o))
        for triple in derived:
            if facts.add(*triple):
                todo.append(triple)


@dataclass
class FactClosure:
    """Every fact of the closure (asserted ones included), and owlrl's messages about them."""

    triples: set[Triple]
    errors: set[str]


def close_facts(rules: SchemaRules, triples: Iterable[Triple]) -> FactClosure:
    """Close ``triples`` (facts only, see :func:`is_fact`) under ``rules``."""
    facts = _Facts()
    types: dict[Node, set[Node]] = defaultdict(set)
    todo: list[Triple] = []
    literals: set[Literal] = set()
    for s, p, o in triples:
        if isinstance(o, Literal):
            literals.add(o)
        if p == _TYPE:
            types[s].add(o)
        elif facts.add(s, p, o):
            todo.append((s, p, o))
    _property_closure(rules, facts, todo)
    errors: set[str] = set()
    extra: set[Triple] = set()
    for literal in literals:  # owlrl's one-time datatype rules (dt-type2, dt-not-type)
        datatype = literal.datatype
        if datatype not in _DATATYPES:
            continue
        types[literal].add(datatype)
        for wider in OWL_Datatype_Subsumptions.get(datatype, ()):
            types[literal].add(wider)
            extra.add((wider, RDF.type, RDFS.Datatype))
        try:
            AltXSDToPYTHON.get(datatype, str)(str(literal))
        except ValueError:
            errors.add(
                f"Lexical value of the literal '{literal}' does not match its datatype ({datatype})"
            )
    for p, by_subject in facts.out.items():
        for c in rules.domains.get(p, ()):
            for s in by_subject:
                types[s].add(c)
        for c in rules.ranges.get(p, ()):
            for objects in by_subject.values():
                for o in objects:
                    types[o].add(c)
    for classes in types.values():
        classes.update([d for c in list(classes) for d in rules.super_classes.get(c, ())])
    errors.update(_inconsistencies(rules, types))
    out = set(facts)
    out.update(extra)
    out.update((x, _TYPE, c) for x, classes in types.items() for c in classes)
    return FactClosure(out, errors)


def _inconsistencies(rules: SchemaRules, types: dict[Node, set[Node]]) -> Iterator[str]:
    """owlrl's rules cls-nothing2, cax-dw and cax-adc, with its wording."""
    by_class: dict[Node, set[Node]] = defaultdict(set)
    for x, classes in types.items():
        for c in classes:
            by_class[c].add(x)
        if OWL.Nothing in classes:
            yield f"{x} is defined of type 'Nothing'"
        for c1 in classes.intersection(rules.disjoint):
            for c2 in rules.disjoint[c1]:
                if c2 in classes:
                    yield f"Disjoint classes {c1} and {c2} have a common individual {x}"
    for members in rules.all_disjoint:
        for i, c1 in enumerate(members[:-1]):
            for z in by_class.get(c1, ()):
                for c2 in members[i + 1 :]:
                    if c2 in types[z]:
                        yield f"Disjoint classes {c1} and {c2} have a common individual {z}"


def blank_predicates(triples: Iterable[Triple]) -> bool:
    """owlrl drops generalised triples with a blank-node predicate at the end; we refuse them."""
    return any(isinstance(p, BNode) for _s, p, _o in triples)
