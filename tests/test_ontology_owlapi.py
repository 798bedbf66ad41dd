"""The ontology opens with the OWL API 5 (what Protégé is built on) and is in OWL 2 DL.

``tests/owlapi/OwlApiCheck.java`` is compiled at test time against Debian's ``libowlapi-java``
(the jars listed in ``tests/owlapi/classpath.txt``).  It loads the ontology the way Protégé's
"Open from URL" does: from ``/ontology`` on the real server, over HTTP, with the OWL API's own
Accept header (``application/rdf+xml, application/xml; q=0.7, ..., */*; q=0.09``); then it
runs the OWL API's OWL 2 DL profile check.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aifactories.ontology_release import build_release
from conftest import LiveServer

OWLAPI_DIR = Path(__file__).parent / "owlapi"
JAVA_LIBS = Path("/usr/share/java")
JAVA_TIMEOUT = 180


@dataclass
class OwlApiReport:
    """What OwlApiCheck printed: ``key: value`` figures, violations and unparsed triples."""

    returncode: int
    output: str
    figures: dict[str, str] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, result: subprocess.CompletedProcess[str]) -> OwlApiReport:
        report = cls(result.returncode, result.stdout + result.stderr)
        for line in result.stdout.splitlines():
            key, _, value = line.partition(": ")
            if key == "violation":
                report.violations.append(value)
            elif key == "unparsed":
                report.unparsed.append(value)
            else:
                report.figures[key] = value
        return report


def owlapi_classpath() -> list[Path]:
    """The jars of ``classpath.txt``, or an empty list when the OWL API is not installed."""
    patterns = [
        line.strip()
        for line in (OWLAPI_DIR / "classpath.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if not (JAVA_LIBS / patterns[0]).is_file():
        return []
    return [jar for pattern in patterns for jar in sorted(JAVA_LIBS.glob(pattern))]


@pytest.fixture(scope="session")
def owlapi_check(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], OwlApiReport]:
    """Compile OwlApiCheck.java once; return a function that runs it on a URL."""
    jars = owlapi_classpath()
    if not jars or shutil.which("javac") is None:
        pytest.skip("needs a JDK and the OWL API: apt-get install libowlapi-java default-jdk")
    classes = tmp_path_factory.mktemp("owlapi")
    classpath = ":".join(str(jar) for jar in jars)
    subprocess.run(
        ["javac", "-cp", classpath, "-d", str(classes), str(OWLAPI_DIR / "OwlApiCheck.java")],
        check=True,
        timeout=JAVA_TIMEOUT,
    )

    def run(url: str) -> OwlApiReport:
        result = subprocess.run(
            ["java", "-cp", f"{classes}:{classpath}", "OwlApiCheck", url],
            capture_output=True,
            text=True,
            timeout=JAVA_TIMEOUT,
        )
        return OwlApiReport.parse(result)

    return run


@pytest.fixture(scope="module")
def ontology_url(bundled_server: LiveServer) -> str:
    """``/ontology`` on the production server (``aifactories serve``) on loopback."""
    return bundled_server.url + "/ontology"


@pytest.fixture(scope="module")
def served_report(owlapi_check: Callable[[str], OwlApiReport], ontology_url: str) -> OwlApiReport:
    return owlapi_check(ontology_url)


def test_owlapi_gets_rdfxml_with_its_own_accept_header(served_report: OwlApiReport) -> None:
    assert served_report.figures.get("format") == "RDF/XML Syntax", served_report.output


def test_owlapi_reads_the_ontology_and_version_iri(served_report: OwlApiReport) -> None:
    release = build_release()
    assert served_report.figures["ontology"] == release.ontology_iri
    assert served_report.figures["version"] == release.version_iri


def test_ontology_is_in_the_owl2_dl_profile(served_report: OwlApiReport) -> None:
    assert served_report.violations == []
    assert served_report.figures["in OWL 2 DL profile"] == "true"


def test_owlapi_turns_every_triple_into_an_axiom(served_report: OwlApiReport) -> None:
    assert served_report.unparsed == []
    assert served_report.returncode == 0, served_report.output


def test_owlapi_sees_the_terms(served_report: OwlApiReport) -> None:
    assert int(served_report.figures["classes"]) >= 24
    assert int(served_report.figures["object properties"]) >= 40
    assert int(served_report.figures["logical axioms"]) > 100


def test_functional_syntax_release_is_owl2_dl(
    owlapi_check: Callable[[str], OwlApiReport], tmp_path: Path
) -> None:
    pytest.importorskip("pyhornedowl")
    path = tmp_path / "aifactories.ofn"
    path.write_bytes(build_release().serialize("ofn"))
    report = owlapi_check(path.as_uri())
    assert report.figures.get("format") == "OWL Functional Syntax", report.output
    assert report.violations == []
    assert report.returncode == 0, report.output


def test_owlapi_opens_the_version_iri_path(
    owlapi_check: Callable[[str], OwlApiReport], bundled_server: LiveServer
) -> None:
    """``/ontology/X.Y.Z`` (FOOPS! VER2: the version IRI resolves) opens like ``/ontology``."""
    release = build_release()
    report = owlapi_check(f"{bundled_server.url}/ontology/{release.version}")
    assert report.figures.get("version") == release.version_iri, report.output
    assert report.violations == []
    assert report.returncode == 0, report.output
