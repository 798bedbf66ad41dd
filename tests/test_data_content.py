"""Content tests for the bundled knowledge graph: data/**/*.ttl, the ontology and queries/*.rq.

The graph is loaded here directly with rdflib (structure checks, OWL RL) and pyoxigraph
(example queries), independently of the package, so that a data error is reported as such.
Expected numbers come from the fact sheet (facts.md) the data is built from.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import OWL, RDF, BNode, Literal, URIRef

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
ONTOLOGY = ROOT / "ontology" / "aifactories.ttl"
QUERY_DIR = ROOT / "queries"

DATA_FILES = sorted(DATA_DIR.rglob("*.ttl"))
QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))

ID = "https://w3id.org/aifactories/id/"
AIF = rdflib.Namespace("https://w3id.org/aifactories/ontology#")
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
INSTANCE_IRI = re.compile(re.escape(ID) + r"[a-z]+/[a-z0-9]+(-[a-z0-9]+)*")
OWLRL_ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")

EXPECTED_FACTORIES = 19
EXPECTED_ANTENNAS = 13
MIN_SUPERCOMPUTERS = 20


def load_graph(*paths: Path) -> rdflib.Graph:
    """Parse Turtle files into one rdflib graph."""
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def load_store(*paths: Path) -> ox.Store:
    """Load Turtle files into an in-memory Oxigraph store (default graph)."""
    store = ox.Store()
    for path in paths:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def run_query(store: ox.Store, name: str) -> list[dict[str, object]]:
    """Run queries/<name>.rq and return its rows as dicts of Python values (None when unbound)."""
    text = (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")
    solutions = store.query(text)
    names = [v.value for v in solutions.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]


def count_instances(graph: rdflib.Graph, cls: URIRef) -> int:
    return len(set(graph.subjects(RDF.type, cls)))


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    return load_graph(*DATA_FILES)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return load_graph(ONTOLOGY)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store(ONTOLOGY, *DATA_FILES)


# --- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, *DATA_FILES], ids=lambda p: str(p.relative_to(ROOT)))
def test_turtle_file_parses(path: Path) -> None:
    assert len(load_graph(path)) > 0


def test_data_layout_keeps_supercomputers_and_sources_apart() -> None:
    assert (DATA_DIR / "sources.ttl").is_file()
    assert list((DATA_DIR / "supercomputers").glob("*.ttl"))
    assert len(list((DATA_DIR / "factories").glob("*.ttl"))) == EXPECTED_FACTORIES


# --- counts ---------------------------------------------------------------------------------


def test_there_are_exactly_19_ai_factories(data: rdflib.Graph) -> None:
    assert count_instances(data, AIF.AIFactory) == EXPECTED_FACTORIES


def test_there_are_exactly_13_antennas(data: rdflib.Graph) -> None:
    assert count_instances(data, AIF.AIFactoryAntenna) == EXPECTED_ANTENNAS


def test_there_are_at_least_20_supercomputers(data: rdflib.Graph) -> None:
    assert count_instances(data, AIF.Supercomputer) >= MIN_SUPERCOMPUTERS


def test_no_ai_gigafactory_is_selected(data: rdflib.Graph) -> None:
    assert count_instances(data, AIF.AIGigafactory) == 0


def test_every_numbered_source_of_the_fact_sheet_is_present(data: rdflib.Graph) -> None:
    missing = [
        n for n in range(1, 199) if (URIRef(f"{ID}source/s{n}"), RDF.type, AIF.Source) not in data
    ]
    assert missing == []


# --- structure: provenance, IRIs, blank nodes, references --------------------------------


def test_every_data_subject_has_a_source(data: rdflib.Graph) -> None:
    unsourced = sorted(
        str(s) for s in set(data.subjects()) if (s, DCTERMS_SOURCE, None) not in data
    )
    assert unsourced == []


def test_sources_are_source_resources(data: rdflib.Graph) -> None:
    not_sources = sorted(
        {
            str(o)
            for o in data.objects(None, DCTERMS_SOURCE)
            if (o, RDF.type, AIF.Source) not in data
        }
    )
    assert not_sources == []


def test_data_has_no_blank_nodes(data: rdflib.Graph) -> None:
    assert [t for t in data if any(isinstance(term, BNode) for term in t)] == []


def test_instance_iris_follow_the_slug_pattern(data: rdflib.Graph) -> None:
    iris = {t for triple in data for t in triple if isinstance(t, URIRef) and str(t).startswith(ID)}
    assert sorted(str(i) for i in iris if not INSTANCE_IRI.fullmatch(str(i))) == []


def test_every_subject_is_an_instance_iri(data: rdflib.Graph) -> None:
    assert sorted(str(s) for s in set(data.subjects()) if not str(s).startswith(ID)) == []


def test_references_to_instances_resolve(data: rdflib.Graph) -> None:
    subjects = set(data.subjects())
    objects = {o for o in data.objects() if isinstance(o, URIRef) and str(o).startswith(ID)}
    assert sorted(str(o) for o in objects - subjects) == []


def test_data_uses_only_terms_the_ontology_defines(
    data: rdflib.Graph, ontology: rdflib.Graph
) -> None:
    used = {
        t
        for triple in data
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(AIF))
    }
    defined = {s for s in ontology.subjects() if isinstance(s, URIRef)}
    assert sorted(str(t) for t in used - defined) == []


def test_data_contains_no_owl_same_as(data: rdflib.Graph) -> None:
    assert list(data.triples((None, OWL.sameAs, None))) == []


# --- content rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["AIFactory", "Country", "SelectionWave"])
def test_labels_in_english_and_french(data: rdflib.Graph, cls: str) -> None:
    lacking = [
        str(s)
        for s in data.subjects(RDF.type, AIF[cls])
        if not {"en", "fr"} <= {lbl.language for lbl in data.objects(s, RDFS_LABEL)}
    ]
    assert lacking == []


def test_sectors_have_english_and_french_labels(data: rdflib.Graph) -> None:
    sectors = [
        s for s in data.subjects(RDF.type, rdflib.SKOS.Concept) if str(s).startswith(f"{ID}sector/")
    ]
    assert len(sectors) > 20
    assert [
        str(s)
        for s in sectors
        if {"en", "fr"} - {lb.language for lb in data.objects(s, RDFS_LABEL)}
    ] == []


def test_wikidata_ids_appear_only_on_countries(data: rdflib.Graph) -> None:
    holders = set(data.subjects(AIF.wikidataId, None))
    assert holders and all((h, RDF.type, AIF.Country) in data for h in holders)
    assert not [t for t in data if isinstance(t[2], URIRef) and "wikidata.org" in str(t[2])]


def test_greece_links_to_the_grc_authority_concept(data: rdflib.Graph) -> None:
    greece = URIRef(f"{ID}country/gr")
    assert (
        greece,
        AIF.euAuthorityCountry,
        URIRef("http://publications.europa.eu/resource/authority/country/GRC"),
    ) in data


def test_conflicting_it4lia_totals_are_both_kept_and_flagged(data: rdflib.Graph) -> None:
    totals = {
        data.value(f, rdflib.URIRef("http://schema.org/value")).toPython()
        for f in data.subjects(AIF.fundingFor, URIRef(f"{ID}factory/it4lia"))
        if (f, AIF.fundingScope, URIRef(f"{ID}scope/total")) in data
        and (f, AIF.uncertain, Literal(True)) in data
    }
    assert totals == {Decimal("430000000"), Decimal("420000000")}


def test_conflicts_are_declared_both_ways(data: rdflib.Graph) -> None:
    one_way = [
        (a, b)
        for a, b in data.subject_objects(AIF.conflictsWith)
        if (b, AIF.conflictsWith, a) not in data
    ]
    assert one_way == []


def test_every_factory_has_a_wave_country_coordinator_and_machine(data: rdflib.Graph) -> None:
    for prop in (AIF.selectedIn, AIF.country, AIF.coordinator, AIF.computeProvision):
        lacking = [
            str(f) for f in data.subjects(RDF.type, AIF.AIFactory) if (f, prop, None) not in data
        ]
        assert lacking == [], prop


def test_seed_article_claims_are_french_quotes_with_evidence(data: rdflib.Graph) -> None:
    claims = list(data.subjects(RDF.type, AIF.Claim))
    assert len(claims) >= 10
    for claim in claims:
        assert (claim, DCTERMS_SOURCE, URIRef(f"{ID}source/seed-article")) in data
        assert data.value(claim, AIF.quotation).language == "fr"
        assert (claim, AIF.evidence, None) in data


# --- OWL RL -----------------------------------------------------------------------------------


def test_owl_rl_closure_is_consistent() -> None:
    graph = load_graph(ONTOLOGY, *DATA_FILES)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    assert list(graph.subjects(RDF.type, OWL.Nothing)) == []
    assert [str(m) for m in graph.objects(None, OWLRL_ERROR)] == []
    # the property chain derives "uses supercomputer" from the compute provision nodes
    assert (
        URIRef(f"{ID}factory/jaif"),
        AIF.usesSupercomputer,
        URIRef(f"{ID}supercomputer/jupiter"),
    ) in graph


# --- example queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_starts_with_title_and_description(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# title: ") and len(lines[0]) > len("# title: ")
    assert lines[1].startswith("# description: ") and len(lines[1]) > len("# description: ")


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_runs_and_returns_rows(store: ox.Store, path: Path) -> None:
    assert run_query(store, path.stem)


def test_at_least_12_example_queries() -> None:
    assert len(QUERY_FILES) >= 12


def test_query_factories_per_country(store: ox.Store) -> None:
    rows = run_query(store, "01-factories-per-country")
    assert len(rows) == 16
    assert sum(int(r["factories"]) for r in rows) == EXPECTED_FACTORIES


def test_query_factories_per_wave(store: ox.Store) -> None:
    rows = run_query(store, "02-factories-per-wave")
    assert [(int(r["waveNumber"]), int(r["factories"])) for r in rows] == [(1, 7), (2, 6), (3, 6)]
    assert [r["date"] for r in rows] == ["2024-12-10", "2025-03-12", "2025-10-10"]
    assert [r["dateUncertain"] for r in rows] == ["false", "true", "false"]


def test_query_countries_with_two_factories(store: ox.Store) -> None:
    rows = run_query(store, "03-countries-with-two-factories")
    assert [(r["countryName"], int(r["factories"])) for r in rows] == [
        ("Germany", 2),
        ("Poland", 2),
        ("Spain", 2),
    ]


def test_query_factories_by_sector(store: ox.Store) -> None:
    rows = run_query(store, "04-factories-by-sector")
    assert (rows[0]["sectorName"], int(rows[0]["factories"])) == ("Health and life sciences", 11)


def test_query_machines_by_performance(store: ox.Store) -> None:
    rows = run_query(store, "05-machines-by-performance")
    assert [r["name"] for r in rows[:3]] == ["JUPITER", "LUMI", "Leonardo"]
    assert (Decimal(rows[0]["rmax"]), int(rows[0]["edition"]), int(rows[0]["rank"])) == (
        Decimal(1000),
        66,
        4,
    )


def test_query_top500_history(store: ox.Store) -> None:
    rows = run_query(store, "06-top500-history")
    assert len(rows) == 16
    jupiter = [
        (int(r["edition"]), int(r["rank"])) for r in rows if r["listedAs"] == "JUPITER Booster"
    ]
    assert jupiter == [(65, 4), (66, 4), (67, 5)]


def test_query_funding_by_wave_shows_both_uncertain_it4lia_totals(store: ox.Store) -> None:
    rows = run_query(store, "07-funding-by-wave")
    it4lia = {
        Decimal(r["amount"])
        for r in rows
        if r["factoryName"] == "IT4LIA AI Factory" and r["uncertain"] == "true"
    }
    assert it4lia == {Decimal("430000000"), Decimal("420000000")}
    assert {r["factoryName"] for r in rows if r["amount"] is None and r["minAmount"] is None} == {
        "AI2F \u2013 AI Factory France",
        "MIMER \u2013 The Swedish AI Innovation Factory",
        "RO AI Factory",
        "PIAST AI Factory",
    }


def test_query_wave_investment(store: ox.Store) -> None:
    rows = run_query(store, "08-wave-investment")
    figures = [
        (r["amount"] and Decimal(r["amount"]), r["atLeast"] and Decimal(r["atLeast"])) for r in rows
    ]
    assert figures == [
        (Decimal("1500000000"), None),
        (Decimal("485000000"), None),
        (None, Decimal("500000000")),
        (Decimal("55000000"), None),
    ]


def test_query_antennas_and_factories(store: ox.Store) -> None:
    rows = run_query(store, "09-antennas-and-factories")
    assert len({r["antenna"] for r in rows}) == EXPECTED_ANTENNAS
    per_factory: dict[str, int] = {}
    for r in rows:
        if r["factoryName"]:
            per_factory[r["factoryName"]] = per_factory.get(r["factoryName"], 0) + 1
    assert per_factory["LUMI AI Factory"] == 4
    assert per_factory["Pharos \u2013 The Greek AI Factory for Accelerating AI Innovation"] == 4
    assert [r["factoryName"] for r in rows if r["countryName"] == "Slovakia"] == [None]
    assert [r["uncertain"] for r in rows if r["countryName"] == "Ireland"] == ["true"]


def test_query_eurohpc_vs_national(store: ox.Store) -> None:
    rows = {r["ownership"]: int(r["machines"]) for r in run_query(store, "10-eurohpc-vs-national")}
    assert rows == {"EuroHPC system": 13, "national system": 3, "ownership not verified": 14}


def test_query_planned_vs_operational(store: ox.Store) -> None:
    rows = {r["status"]: int(r["machines"]) for r in run_query(store, "11-planned-vs-operational")}
    assert rows == {"planned": 12, "under procurement": 3, "under deployment": 4, "operational": 13}


def test_query_seed_article_claims(store: ox.Store) -> None:
    rows = run_query(store, "12-seed-article-claims")
    assert len(rows) == 15
    ten_billion = [r for r in rows if "10 milliards" in r["quotation"]]
    assert [r["assessment"] for r in ten_billion] == ["incorrect"]


def test_query_machine_roles(store: ox.Store) -> None:
    rows = run_query(store, "13-machine-roles")
    new = {r["factoryName"] for r in rows if r["role"] == "new system"}
    assert len(new) == 15
    assert [(r["factoryName"], r["machineName"]) for r in rows if r["role"] == "upgrade"] == [
        ("BSC AI Factory", "MareNostrum 5")
    ]
    assert [
        (r["factoryName"], r["machineName"]) for r in rows if r["role"] == "interim access"
    ] == [("AI:AT \u2013 AI Factory Austria", "Leonardo")]


def test_query_uncertain_facts(store: ox.Store) -> None:
    resources = {r["resource"] for r in run_query(store, "14-uncertain-facts")}
    assert {
        f"{ID}wave/ai-factories-2",
        f"{ID}country/ch",
        f"{ID}funding/it4lia-total-420",
    } <= resources


def test_query_sources_by_reliability(store: ox.Store) -> None:
    rows = {
        r["reliability"]: int(r["sources"]) for r in run_query(store, "15-sources-by-reliability")
    }
    assert sum(rows.values()) == 203
    assert rows["low"] == 8


def test_query_factory_map(store: ox.Store) -> None:
    rows = run_query(store, "16-factory-map")
    assert len(rows) == EXPECTED_FACTORIES
    assert len({r["factoryName"] for r in rows}) == EXPECTED_FACTORIES
    assert [r["cityName"] for r in rows if r["factoryName"] == "AI2F \u2013 AI Factory France"] == [
        "Bruyères-le-Châtel"
    ]


def test_query_who_pays(store: ox.Store) -> None:
    rows = run_query(store, "17-who-pays")
    assert rows[0]["contributorName"] == "EuroHPC Joint Undertaking"


def test_query_ai_gigafactories(store: ox.Store) -> None:
    rows = run_query(store, "18-ai-gigafactories")
    assert {int(r["selected"]) for r in rows} == {0}
    assert len(rows) == 3


def test_query_consortium_size(store: ox.Store) -> None:
    rows = run_query(store, "19-consortium-size")
    factories = [r for r in rows if r["kind"] == str(AIF.AIFactory)]
    assert (factories[0]["hubName"], int(factories[0]["members"])) == (
        "AI:AT \u2013 AI Factory Austria",
        13,
    )


def test_query_experimental_platforms(store: ox.Store) -> None:
    rows = run_query(store, "20-experimental-platforms")
    assert [(r["factoryName"], int(r["waveNumber"])) for r in rows] == [
        ("BSC AI Factory", 1),
        ("LUMI AI Factory", 1),
        ("JAIF \u2013 JUPITER AI Factory", 2),
        ("1HealthAI \u2013 European One-Health AI Factory", 3),
    ]


def test_query_sources_of_a_factory(store: ox.Store) -> None:
    rows = run_query(store, "21-sources-of-a-factory")
    assert [r["notation"] for r in rows] == ["S3", "S30", "S31", "S34", "S35", "S85", "S167"]
    assert [r["notation"] for r in rows if r["reliability"] == "low"] == ["S167"]
