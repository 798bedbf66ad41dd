"""Readable names for the IRIs in validation and reasoning reports.

Reports are read by people fixing data: ``factory:lumi-ai-factory`` and ``aif:AIFactory`` say
more at a glance than full IRIs.  The project's prefixes come first; every instance namespace
``{base}id/{kind}/`` gets the prefix ``kind:`` the first time one of its IRIs is shown (unless
that prefix means something else already).  Machines get full IRIs elsewhere (JSON fields).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

#: ``{base}id/{kind}/{slug}``: group 1 is the kind's namespace, group 2 the kind.
_INSTANCE = re.compile(r"^(.+/id/([a-z][a-z0-9-]*)/)[^/]+$")
_IRI_IN_TEXT = re.compile(r"https?://[^\s<>\"'{}|\\^`]+")
_TRAILING_PUNCTUATION = ".,;:)"


class Names:
    """Prefixed names for terms and for IRIs inside free text."""

    def __init__(self, prefixes: Mapping[str, str] | None = None, *graphs: Graph) -> None:
        self.manager: NamespaceManager = Graph().namespace_manager
        for graph in graphs:
            for prefix, namespace in graph.namespaces():
                if prefix:
                    self.manager.bind(prefix, namespace, override=False)
        for prefix, namespace in (prefixes or {}).items():
            self.manager.bind(prefix, namespace, override=True, replace=True)
        self._bound = {prefix for prefix, _ in self.manager.namespaces()}

    def term(self, node: Node | None) -> str | None:
        """A term in Turtle syntax, prefixed where possible."""
        if node is None:
            return None
        if isinstance(node, URIRef):
            self._bind_kind(str(node))
        try:
            return node.n3(self.manager)
        except Exception:  # an exotic term: fall back to its plain form
            return str(node)

    def text(self, message: str) -> str:
        """``message`` with each IRI in it written as a prefixed name where one is known."""

        def shorten(match: re.Match[str]) -> str:
            found = match.group(0)
            iri = found.rstrip(_TRAILING_PUNCTUATION)
            short = self.term(URIRef(iri)) or iri
            return (iri if short.startswith("<") else short) + found[len(iri) :]

        return _IRI_IN_TEXT.sub(shorten, message)

    def _bind_kind(self, iri: str) -> None:
        match = _INSTANCE.match(iri)
        if match and match.group(2) not in self._bound:
            self.manager.bind(match.group(2), match.group(1), override=False)
            self._bound.add(match.group(2))
