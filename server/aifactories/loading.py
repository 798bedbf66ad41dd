"""Files to quads: find the RDF files, refuse hostile ones, parse them, hash their content.

Parsing uses Oxigraph's parsers: they are an order of magnitude faster than rdflib's, never fetch
anything (no remote contexts, no external entities) and report ``line:column`` positions, which
we turn into ``file:line:col: message`` errors.  Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import DataSyntaxError, HostileInputError, InputError, MissingInputError

#: File suffix -> Oxigraph format.  Turtle and N-Triples go to the data graph; TriG and N-Quads
#: keep their named graphs (their default-graph triples go to the data graph too).
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}

#: Refused before parsing: entity declarations make "billion laughs" and external-entity (XXE)
#: documents possible.  The byte check is enough because Oxigraph's RDF/XML parser reads UTF-8
#: only (a UTF-16 document, where the markers would hide, is refused by the parser itself).
_HOSTILE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


@dataclass(frozen=True)
class SourceFile:
    """One RDF file, read once: its path, format and bytes."""

    path: Path
    format: ox.RdfFormat
    content: bytes


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders (recursively, RDF suffixes only) into a sorted, de-duplicated file list."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _is_data_file(p, path)))
        elif path.is_file():
            if path.suffix not in FORMATS:
                raise InputError(
                    f"{path}: unsupported file type {path.suffix!r} "
                    f"(use {', '.join(sorted(FORMATS))})"
                )
            found.append(path)
        else:
            raise MissingInputError(f"{path}: no such file or directory")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


def _is_data_file(path: Path, root: Path) -> bool:
    """RDF files in a folder, skipping hidden files and folders (editor swaps, caches, .git)."""
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.suffix in FORMATS and not hidden and path.is_file()


def read_files(paths: Sequence[Path]) -> list[SourceFile]:
    """Read every file once, refusing unreadable and hostile ones."""
    files = []
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise MissingInputError(f"{path}: {exc.strerror or exc}") from None
        if any(marker in content for marker in _HOSTILE_MARKERS):
            raise HostileInputError(
                f"{path}: DOCTYPE/ENTITY declarations are refused (entity expansion risk)"
            )
        files.append(SourceFile(path, FORMATS[path.suffix], content))
    return files


def parse_file(source: SourceFile, default_graph: ox.NamedNode) -> list[ox.Quad]:
    """Parse one file; triples outside a named graph land in ``default_graph``."""
    try:
        quads = list(
            ox.parse(
                source.content,
                format=source.format,
                base_iri=source.path.as_uri(),
                rename_blank_nodes=True,
            )
        )
    except SyntaxError as exc:
        line, column = _position(exc)
        raise DataSyntaxError(str(source.path), line, column, _message(exc)) from None
    return [
        q
        if not isinstance(q.graph_name, ox.DefaultGraph)
        else ox.Quad(q.subject, q.predicate, q.object, default_graph)
        for q in quads
    ]


def _position(exc: SyntaxError) -> tuple[int | None, int | None]:
    return exc.lineno, exc.offset


def _message(exc: SyntaxError) -> str:
    text = exc.msg if isinstance(exc.msg, str) else str(exc)
    # Oxigraph says "Parser error between line 3 column 11 and ...: detail"; keep the detail.
    head, sep, detail = text.partition(": ")
    return detail if sep and head.startswith("Parser error") else text


def content_hash(parts: Iterable[bytes]) -> str:
    """A stable hash of everything that determines the served graph (the data version)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
