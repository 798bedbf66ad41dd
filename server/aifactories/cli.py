"""The ``aifactories`` command: serve, validate, query, export, publish.

Exit statuses follow the SPEC (and pySHACL): 0 success / conforms, 1 does not conform or a
publish mismatch, 2 bad input (usage errors, unreadable files, bad queries, a port in use).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import load_settings
from .errors import EXIT_BAD_INPUT, EXIT_NONCONFORMANT, EXIT_OK, AIFactoriesError, ValidationFailed

QUERY_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-iri", help="public base IRI (default https://w3id.org/aifactories/)"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML settings file (also AIFACTORIES_CONFIG)"
    )
    parser.add_argument("--cache-dir", metavar="DIR", help="where validated snapshots are cached")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aifactories",
        description="EU AI Factories Knowledge Graph: validate, query, export and serve it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="serve the knowledge graph over HTTP (SPARQL, linked data)"
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per worker (default 4)")
    serve.add_argument(
        "--data",
        nargs="+",
        metavar="PATH",
        help="Turtle, N-Triples, TriG or N-Quads files or folders (default: bundled)",
    )
    serve.add_argument(
        "--store",
        metavar="URL",
        help="external SPARQL store, sparql+http(s)://HOST/PATH (default: embedded)",
    )
    serve.add_argument("--query-timeout", type=float, metavar="SECONDS", help="default 10")
    _common(serve)

    validate = sub.add_parser("validate", help="check syntax, SHACL shapes and OWL RL consistency")
    validate.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: bundled data)"
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    _common(validate)

    query = sub.add_parser("query", help="run a SPARQL query on the local graph")
    query.add_argument("query", metavar="QUERY_OR_FILE", help="a query, or a .rq file holding one")
    query.add_argument("--format", choices=QUERY_FORMATS, default="table")
    query.add_argument("--data", nargs="+", metavar="PATH", help="query these files instead")
    _common(query)

    export = sub.add_parser("export", help="write the whole graph, or the ontology release")
    export.add_argument(
        "--format",
        choices=("turtle", "ntriples", "rdfxml", "jsonld", "trig", "nquads", "ofn"),
        default="turtle",
    )
    export.add_argument("--inferred", action="store_true", help="include the OWL RL inferred graph")
    export.add_argument("--ontology", action="store_true", help="export the ontology release only")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--data", nargs="+", metavar="PATH", help="export these files instead")
    _common(export)

    publish = sub.add_parser(
        "publish", help="push the graph to a SPARQL Graph Store Protocol endpoint"
    )
    publish.add_argument("store_url", metavar="STORE_URL", help="e.g. http://127.0.0.1:7878/store")
    publish.add_argument("--data", nargs="+", metavar="PATH", help="publish these files instead")
    _common(publish)
    return parser


def _settings(args: argparse.Namespace):
    overrides = {
        "base_iri": args.base_iri,
        "cache_dir": args.cache_dir,
        "data": tuple(args.data) if getattr(args, "data", None) else None,
    }
    for name in ("host", "port", "workers", "threads", "store", "query_timeout"):
        overrides[name] = getattr(args, name, None)
    return load_settings(overrides, config_file=args.config)


def cmd_serve(args: argparse.Namespace) -> int:
    from . import serve
    from .graph import open_graph

    settings = _settings(args)
    serve.check_port(settings.host, settings.port)
    try:
        graph = open_graph(settings, serving=True)
    except ValidationFailed as exc:
        report = exc.report
        print(report.as_text() if report is not None else exc.message, file=sys.stderr)
        print("aifactories: error: refusing to serve data that does not conform", file=sys.stderr)
        return EXIT_BAD_INPUT
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(
        f"Serving the EU AI Factories Knowledge Graph on http://{host}:{settings.port}/ "
        f"({graph.snapshot.triples:,} triples, data version {graph.snapshot.short_version}, "
        f"ready in {graph.ready_seconds:.2f} s)",
        flush=True,
    )
    try:
        graph = serve.run(graph)
    finally:
        graph.close()
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from . import snapshot

    settings = _settings(args)
    try:
        inputs = snapshot.read_inputs(settings, tuple(args.paths) if args.paths else None)
        report, _inferred, _quads = snapshot.check(inputs, settings)
    except AIFactoriesError as exc:
        if args.format == "json":  # machines read stdout: say why there is no report
            where = {k: getattr(exc, k, None) for k in ("path", "line", "column")}
            print(json.dumps({"conforms": False, "error": exc.message, **where}, indent=2))
        raise
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.as_text())
    return EXIT_OK if report.conforms else EXIT_NONCONFORMANT


def _read_query(text: str) -> str:
    path = Path(text)
    if len(text) < 4096 and "\n" not in text and path.suffix in (".rq", ".sparql"):
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AIFactoriesError(f"{path}: {exc.strerror or exc}") from None
    return text


def cmd_query(args: argparse.Namespace) -> int:
    from .graph import open_graph
    from .negotiation import FORMATS
    from .sparql_check import analyse
    from .tables import text_table

    settings = _settings(args)
    query_text = _read_query(args.query)
    info = analyse(query_text, settings.service_allowlist)
    graph = open_graph(settings)
    try:
        result = graph.run(info, query_text, max_rows=settings.max_rows)
    finally:
        graph.close()
    if args.format == "table":
        sys.stdout.write(text_table(*result.table()))
    else:
        fmt = FORMATS[args.format]
        if (result.is_graph and fmt.rdf is None) or (not result.is_graph and fmt.results is None):
            kind = "graph" if result.is_graph else "results"
            raise AIFactoriesError(f"--format {args.format} cannot hold {info.form} {kind}")
        sys.stdout.buffer.write(result.serialize(fmt))
    if result.truncated:
        print(f"aifactories: warning: truncated to {result.max_rows} rows", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from . import exporting, snapshot

    settings = _settings(args)
    if args.ontology:
        document = exporting.ontology_document(args.format, settings)
        if args.output:
            Path(args.output).write_bytes(document)
        else:
            sys.stdout.buffer.write(document)
            sys.stdout.buffer.flush()
        return EXIT_OK
    fmt = exporting.export_format(args.format)
    quads = exporting.graph_quads(snapshot.build(settings), settings, inferred=args.inferred)
    if args.output:
        with open(args.output, "wb") as out:
            exporting.write(quads, fmt, out, settings)
    else:
        exporting.write(quads, fmt, sys.stdout.buffer, settings)
        sys.stdout.buffer.flush()
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from . import publishing, snapshot

    settings = _settings(args)
    results = publishing.publish(snapshot.build(settings), settings, args.store_url)
    for item in results:
        print(f"<{item.graph}>: {item.found} triples verified")
    total = sum(r.found for r in results)
    print(f"published {total:,} triples in {len(results)} graph(s) to {args.store_url}")
    return EXIT_OK


COMMANDS = {
    "serve": cmd_serve,
    "validate": cmd_validate,
    "query": cmd_query,
    "export": cmd_export,
    "publish": cmd_publish,
}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ValidationFailed as exc:
        print(exc.report.as_text() if exc.report is not None else "", file=sys.stderr)
        print(f"aifactories: error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT if args.command == "serve" else exc.exit_code
    except AIFactoriesError as exc:
        print(f"aifactories: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
