"""Dumps of the whole graph, built once per data version into ``{cache_dir}/dumps/{version}/``.

The Turtle, N-Triples (gzip) and JSON-LD dumps hold the asserted graph (data and ontology); the
TriG dump holds every named graph, the inferred one included.  Each file's byte size, SHA-256
and triple count are written to a manifest beside it, for the catalogue and for VoID's
``void:triples`` (which must equal what a harvester counts in the dump).  The folder is built
aside and renamed into place, so concurrent workers never see half a dump.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Settings
from .exporting import graph_quads, write
from .negotiation import FORMATS
from .snapshot import Snapshot

MANIFEST = "manifest.json"
#: Bump when a dump's content changes for the same data version.
DUMPS_VERSION = "1"


@dataclass(frozen=True)
class DumpSpec:
    """One dump: its file name, serialisation, compression and whether it has the inferences."""

    name: str
    format: str
    gzip: bool = False
    inferred: bool = False

    @property
    def media_type(self) -> str:
        return "application/gzip" if self.gzip else FORMATS[self.format].media_type


SPECS = (
    DumpSpec("aifactories.ttl", "turtle"),
    DumpSpec("aifactories.nt.gz", "ntriples", gzip=True),
    DumpSpec("aifactories.jsonld", "jsonld"),
    DumpSpec("aifactories-with-inferences.trig", "trig", inferred=True),
)


@dataclass(frozen=True)
class DumpFile:
    """A built dump, as the catalogue describes it."""

    name: str
    format: str
    media_type: str
    gzip: bool
    inferred: bool
    size: int
    sha256: str
    statements: int
    modified: str


@dataclass(frozen=True)
class Dumps:
    folder: Path
    files: tuple[DumpFile, ...]

    def get(self, name: str) -> DumpFile | None:
        return next((f for f in self.files if f.name == name), None)

    @property
    def asserted_triples(self) -> int:
        """Triples of the asserted dumps (all three hold the same graph)."""
        return next(f.statements for f in self.files if not f.inferred)


def dumps_dir(settings: Settings, snapshot: Snapshot) -> Path:
    return Path(settings.cache_dir) / "dumps" / f"{snapshot.version}-{DUMPS_VERSION}"


def ensure(snapshot: Snapshot, settings: Settings) -> Dumps:
    """The dumps of ``snapshot``, building them on first use."""
    target = dumps_dir(settings, snapshot)
    manifest = target / MANIFEST
    if not manifest.is_file():
        _build(snapshot, settings, target)
    files = tuple(DumpFile(**entry) for entry in json.loads(manifest.read_text()))
    return Dumps(target, files)


def _build(snapshot: Snapshot, settings: Settings, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        everything = graph_quads(snapshot, settings, inferred=True)
        asserted = graph_quads(snapshot, settings, inferred=False)
        triples = len({q.triple for q in asserted})
        entries = []
        for spec in SPECS:
            path = tmp / spec.name
            quads = everything if spec.inferred else asserted
            with open(path, "wb") as raw:
                if spec.gzip:
                    # mtime=0: the same data gives the same bytes, hence the same checksum.
                    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                        write(quads, FORMATS[spec.format], out, settings)
                else:
                    write(quads, FORMATS[spec.format], raw, settings)
            entries.append(
                asdict(
                    DumpFile(
                        name=spec.name,
                        format=spec.format,
                        media_type=spec.media_type,
                        gzip=spec.gzip,
                        inferred=spec.inferred,
                        size=path.stat().st_size,
                        sha256=_sha256(path),
                        statements=len(quads) if spec.inferred else triples,
                        modified=snapshot.built_at,
                    )
                )
            )
        (tmp / MANIFEST).write_text(json.dumps(entries, indent=2))
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / MANIFEST).is_file():  # not a concurrent builder's win
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
