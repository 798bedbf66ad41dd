"""Files -> a frozen, versioned snapshot of the knowledge graph, ready for the query engine.

The pipeline is: read -> parse -> SHACL-validate -> OWL RL closure -> write one N-Quads file
holding the asserted named graphs and the ``inferred`` graph.  The data version is a content hash
of every input (and of this pipeline's version), so a snapshot built once is reused from the
cache directory on the next start: owlrl, the slow step, runs once per data version.

A snapshot is immutable.  A reload builds a new one beside the old and swaps only on success.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import __version__, bundle
from .config import Settings
from .errors import AIFactoriesError, SnapshotBuildFailed, ValidationFailed
from .loading import SourceFile, collect_files, content_hash, parse_file, read_files
from .prefixes import prefixes
from .report import Report

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from rdflib import Graph

#: Bump when the pipeline's output changes for the same input (invalidates caches).
PIPELINE_VERSION = "3"
DATASET_FILE = "dataset.nq"
META_FILE = "meta.json"


@dataclass(frozen=True)
class Inputs:
    """What a snapshot is built from: the data files, the ontology and the shapes."""

    data: tuple[SourceFile, ...]
    ontology: SourceFile
    shapes: SourceFile | None

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(str(f.path) for f in (self.ontology, *self.data))

    def version(self, settings: Settings) -> str:
        parts = [PIPELINE_VERSION.encode(), __version__.encode(), settings.base_iri.encode()]
        if settings.skip_validation:  # no inferred graph: a different snapshot, never mixed up
            parts.append(b"unvalidated")
        for f in sorted((self.ontology, *self.data), key=lambda f: f.content):
            parts += [str(f.format).encode(), f.content]
        if self.shapes is not None:
            parts.append(self.shapes.content)
        return content_hash(parts)


@dataclass(frozen=True)
class Snapshot:
    """An immutable, validated and reasoned version of the graph, stored as one N-Quads file."""

    version: str
    base_iri: str
    files: tuple[str, ...]
    #: named graph IRI -> number of triples
    graphs: dict[str, int]
    path: Path
    built_at: str
    build_seconds: float
    from_cache: bool = False
    report: Report = field(default_factory=Report, compare=False)

    @property
    def triples(self) -> int:
        """All quads, inferred included (what the dumps and VoID count)."""
        return sum(self.graphs.values())

    @property
    def short_version(self) -> str:
        return self.version[:16]

    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(path=str(self.path), format=ox.RdfFormat.N_QUADS))


def read_inputs(settings: Settings, paths: tuple[str, ...] | None = None) -> Inputs:
    """Read the data files (given or bundled), the ontology and the shapes, once each."""
    given = paths if paths is not None else settings.data
    cache = Path(settings.cache_dir).resolve()
    data_paths = [p for p in collect_files(given or [bundle.data_dir()]) if cache not in p.parents]
    ontology_path = bundle.ontology_file().resolve()
    data_paths = [p for p in data_paths if p != ontology_path]
    ontology, *_ = read_files([ontology_path])
    shapes_path = bundle.shapes_file()
    shapes = read_files([shapes_path])[0] if shapes_path.is_file() else None
    return Inputs(tuple(read_files(data_paths)), ontology, shapes)


def parse_inputs(inputs: Inputs, settings: Settings) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Parse everything; return (data quads, ontology quads).  Raises on the first bad file."""
    data_graph = ox.NamedNode(settings.graph_iri("data"))
    ontology_graph = ox.NamedNode(settings.graph_iri("ontology"))
    data: list[ox.Quad] = []
    for source in inputs.data:
        data.extend(parse_file(source, data_graph))
    ontology = parse_file(inputs.ontology, ontology_graph)
    return data, ontology


def check(inputs: Inputs, settings: Settings) -> tuple[Report, Graph, list[ox.Quad]]:
    """Parse, validate and reason.  Returns the report, the inferred triples and all quads."""
    # Imported here: a server starting from a cached snapshot never needs them.
    from rdflib import Graph

    from .bridge import to_rdflib_graph
    from .reasoning import owl_rl_closure
    from .validation import MixedGraph, mixed_violations

    data_quads, ontology_quads = parse_inputs(inputs, settings)
    # One rdflib graph of data and ontology serves both steps (pySHACL leaves it unchanged);
    # its prefixes are those of a fresh graph, as the separate data and ontology graphs had.
    fresh = Graph()
    graph = to_rdflib_graph(ontology_quads, to_rdflib_graph(data_quads, MixedGraph(fresh, fresh)))
    report = Report(files=list(inputs.files), triples=len(data_quads) + len(ontology_quads))
    names = prefixes(settings.base_iri)
    if inputs.shapes is not None:
        shapes = to_rdflib_graph(
            parse_file(inputs.shapes, ox.NamedNode(settings.graph_iri("shapes")))
        )
        report.violations = mixed_violations(graph, shapes, names, fresh)
    closure = owl_rl_closure(graph, names)
    report.inconsistencies = list(closure.inconsistencies)
    report.conforms = not report.inconsistencies and not any(
        v.severity == "Violation" for v in report.violations
    )
    return report, closure.inferred, data_quads + ontology_quads


def _from_cache(settings: Settings, inputs: Inputs, started: float) -> Snapshot | None:
    version = inputs.version(settings)
    target = Path(settings.cache_dir) / "snapshots" / version
    if not ((target / META_FILE).is_file() and (target / DATASET_FILE).is_file()):
        return None
    meta = json.loads((target / META_FILE).read_text())
    return Snapshot(
        version=version,
        base_iri=settings.base_iri,
        files=inputs.files,
        graphs=meta["graphs"],
        path=target / DATASET_FILE,
        built_at=meta["built_at"],
        build_seconds=round(time.perf_counter() - started, 3),
        from_cache=True,
    )


def build(settings: Settings, *, use_cache: bool = True) -> Snapshot:
    """Return the snapshot of the configured data, from the cache when its version is known.

    Raises :class:`~aifactories.errors.InputError` for unreadable input and
    :class:`~aifactories.errors.ValidationFailed` when the data does not conform.
    """
    started = time.perf_counter()
    inputs = read_inputs(settings)
    found = _from_cache(settings, inputs, started) if use_cache else None
    if found is not None:
        return found
    return _build(settings, inputs, started)


def _build(settings: Settings, inputs: Inputs, started: float) -> Snapshot:
    """Parse, check and write the snapshot of ``inputs`` (not looking in the cache)."""
    version = inputs.version(settings)
    target = Path(settings.cache_dir) / "snapshots" / version
    if settings.skip_validation:
        data_quads, ontology_quads = parse_inputs(inputs, settings)
        report, inferred, quads = Report(files=list(inputs.files)), (), data_quads + ontology_quads
    else:
        report, inferred, quads = check(inputs, settings)
        if not report.conforms:
            raise ValidationFailed(
                f"the data does not conform: {len(report.violations)} SHACL result(s), "
                f"{len(report.inconsistencies)} OWL RL inconsistenc(ies)",
                report,
            )
    inferred_graph = ox.NamedNode(settings.graph_iri("inferred"))
    quads = list(dict.fromkeys(quads))  # a triple stated twice is one triple in the store
    if inferred:
        from .bridge import from_rdflib_term

        quads.extend(
            ox.Quad(from_rdflib_term(s), from_rdflib_term(p), from_rdflib_term(o), inferred_graph)
            for s, p, o in inferred
        )
    counts = Counter(q.graph_name.value for q in quads)
    built_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    write_snapshot(
        target, quads, {"graphs": dict(counts), "built_at": built_at, "files": list(inputs.files)}
    )
    return Snapshot(
        version=version,
        base_iri=settings.base_iri,
        files=inputs.files,
        graphs=dict(counts),
        path=target / DATASET_FILE,
        built_at=built_at,
        build_seconds=round(time.perf_counter() - started, 3),
        report=report,
    )


def build_apart(settings: Settings) -> Snapshot:
    """:func:`build`, with a fresh build done in a forked child process.

    Why: parsing, validating and reasoning leave a heap the size of the data (1 GB of RSS
    after a cold start at 1M triples, against 0.5 GB warm) that CPython does not give back;
    in the server's master it would also be inherited by every worker.  The child builds
    and writes the snapshot and exits, so a cold start costs the server no more memory than a
    warm one.  A snapshot already in the cache is opened here, without a child.  Errors
    (bad input, non-conforming data) are raised here as the child raised them.
    """
    started = time.perf_counter()
    inputs = read_inputs(settings)
    found = _from_cache(settings, inputs, started)
    if found is not None:
        return found
    # A forked child gets the inputs already read, without copying or pickling them.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_build_and_send,
        args=(settings, inputs, started, sender),
        name="aifactories-snapshot",
    )
    child.start()
    sender.close()
    try:
        outcome = receiver.recv()
    except EOFError:
        child.join()
        raise SnapshotBuildFailed(
            f"the snapshot builder died (exit status {child.exitcode}) before answering"
        ) from None
    finally:
        receiver.close()
    # Reaped in the background: the kernel takes a while to tear down a child's large heap,
    # and nothing here needs to wait for that.
    threading.Thread(target=child.join, name="aifactories-snapshot-reaper", daemon=True).start()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _build_and_send(settings: Settings, inputs: Inputs, started: float, sender: Connection) -> None:
    """In the child: build, and send back the snapshot or the error."""
    try:
        outcome: Snapshot | AIFactoriesError = _build(settings, inputs, started)
    except AIFactoriesError as exc:
        outcome = exc
    sender.send(outcome)
    sender.close()


def write_snapshot(target: Path, quads: list[ox.Quad], meta: dict[str, object]) -> None:
    """Write the snapshot into a temporary folder and rename it into place: readers see all of
    it or nothing, and two processes building the same version cannot corrupt each other."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        ox.serialize(quads, output=str(tmp / DATASET_FILE), format=ox.RdfFormat.N_QUADS)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / META_FILE).is_file():  # not a concurrent builder's win: re-raise
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
