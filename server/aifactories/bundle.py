"""Where the bundled knowledge graph lives.

In a wheel the ontology, data and queries are copied into ``aifactories/_bundle/``; in a source
checkout (editable install, tests) they are the repository's top-level folders.  Everything else
asks this module, so no code guesses paths relative to the working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``."""
    installed = _PACKAGE_DIR / "_bundle"
    if (installed / "ontology").is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / "ontology").is_dir():
        return checkout
    raise FileNotFoundError(
        "the bundled knowledge graph is missing: reinstall the package or pass --data PATH"
    )


def ontology_file() -> Path:
    return root() / "ontology" / "aifactories.ttl"


def shapes_file() -> Path:
    return root() / "ontology" / "aifactories.shapes.ttl"


def data_dir() -> Path:
    return root() / "data"


def queries_dir() -> Path:
    return root() / "queries"
