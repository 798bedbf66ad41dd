"""The example queries (``queries/*.rq``) and the ``/queries`` page that lists them.

Each file starts with ``# title: ...`` and ``# description: ...`` comment lines (SPEC).  They
are read when a page needs them, so a folder that is empty, missing or being edited never
stops the server; a file without a title is listed under its file name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template

from . import bundle

log = logging.getLogger(__name__)

bp = Blueprint("queries", __name__)

QUERY_SUFFIX = ".rq"
HEADER_KEYS = ("title", "description")


@dataclass(frozen=True)
class ExampleQuery:
    """One example: its file stem, header fields and the query text."""

    slug: str
    title: str
    description: str
    text: str

    @property
    def run_url(self) -> str:
        """A GET link that runs the query (also the link to share it)."""
        return "/sparql?" + urlencode({"query": self.text})


def parse_example(path: Path) -> ExampleQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped.lstrip("#").strip().partition(":")
        if sep and key.strip().lower() in HEADER_KEYS:
            fields.setdefault(key.strip().lower(), value.strip())
    return ExampleQuery(
        slug=path.stem,
        title=fields.get("title") or path.stem.replace("-", " "),
        description=fields.get("description", ""),
        text=text,
    )


def example_queries(folder: Path | None = None) -> list[ExampleQuery]:
    """The examples, sorted by file name; unreadable files are logged and skipped."""
    try:
        folder = folder or bundle.queries_dir()
    except FileNotFoundError:
        return []
    if not folder.is_dir():
        return []
    examples = []
    for path in sorted(folder.glob("*" + QUERY_SUFFIX)):
        try:
            examples.append(parse_example(path))
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("skipping example query %s: %s", path, exc)
    return examples


#: The SPARQL pages load everything from this server; no injected script can run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@bp.get("/queries")
def listing() -> Response:
    page = Response(render_template("sparql_queries.html", examples=example_queries()))
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
