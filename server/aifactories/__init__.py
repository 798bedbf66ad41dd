"""EU AI Factories Knowledge Graph: ontology, data, SPARQL endpoint and linked-data site."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flask import Flask

    from .graph import KnowledgeGraph


def create_app(
    config: Mapping[str, Any] | None = None, *, graph: KnowledgeGraph | None = None
) -> Flask:
    """The application factory.

    ``config`` is the last settings layer (after defaults, the TOML file named by
    ``AIFACTORIES_CONFIG`` and ``AIFACTORIES_*`` variables).  ``graph`` lets a caller that already
    opened the knowledge graph (the ``serve`` master, tests) share it; otherwise it is opened
    here, and closed by whoever owns the app (:func:`aifactories.web.close_app`).
    """
    from . import web

    return web.build_app(config, graph)
