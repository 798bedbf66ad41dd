"""Synthetic Turtle shaped like the bundled knowledge graph, at any size, for the scale benchmark.

The real graph is a few thousand triples; to see how the server behaves at 10k, 100k and 1M
triples we need more data with the same shape, so that the example queries exercise the same
joins: AI Factories and Antennas hosted by organisations, in cities and countries, using
supercomputers through compute-provision nodes, with funding and performance figures, labels in
English and French, and ``dcterms:source`` on every resource.  IRIs follow the SPEC
(``{base}id/{kind}/{slug}``); the concept schemes are generated too, so a file stands alone.

The output is deterministic for a given size and seed, and the triple count is exact: every
statement is written by :class:`_Writer`, which counts it.

    python benchmarks/generate.py 100000 /tmp/synth-100k.ttl
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

BASE = "https://w3id.org/aifactories/"
#: Bumped whenever the output changes, so cached files made by an older generator are rebuilt.
GENERATOR_VERSION = "4"

PREFIXES = {
    "aif": BASE + "ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
#: One prefix per kind of resource, as the data files use (``src:``, ``status:``, ...).
KINDS = (
    "source",
    "country",
    "city",
    "site",
    "wave",
    "organisation",
    "factory",
    "antenna",
    "supercomputer",
    "measurement",
    "funding",
    "provision",
    "scheme",
    "status",
    "role",
    "ownership",
    "measure",
    "scope",
    "reliability",
    "sector",
)
PREFIXES.update({kind: f"{BASE}id/{kind}/" for kind in KINDS})

#: Concept schemes and their concepts, as in data/schemes/vocabularies.ttl and sectors.ttl.
SCHEMES = {
    "status": ["planned", "under-procurement", "under-deployment", "operational"],
    "role": ["new-system", "upgrade", "existing-system", "interim-access"],
    "ownership": ["eurohpc-ai-optimised", "eurohpc-petascale", "national", "not-verified"],
    "measure": ["hpl-rmax", "peak", "ai-low-precision", "target"],
    "scope": ["total", "share", "contract", "call-budget"],
    "reliability": ["official", "secondary", "low"],
    "sector": [
        "health",
        "manufacturing",
        "mobility",
        "agrifood",
        "climate",
        "energy",
        "finance",
        "public-sector",
        "space",
        "cybersecurity",
        "education",
        "culture",
    ],
}
COUNTRIES = 40
#: Selection waves: factories are selected in the first three, antennas in the last (the shapes
#: require that a wave selects one kind of hub).
WAVES = 4
VENDORS = 12
#: Triples written per factory "cluster" (factory + host + machine + figures + source), roughly;
#: used only to size the shared pools.
TRIPLES_PER_CLUSTER = 110


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Writer:
    """Writes one subject block at a time and counts every triple it writes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.triples = 0

    def prefixes(self) -> None:
        for name, iri in PREFIXES.items():
            self.out.write(f"@prefix {name}: <{iri}> .\n")
        self.out.write("\n")

    def block(self, subject: str, pairs: list[tuple[str, str]]) -> None:
        body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
        self.out.write(f"{subject} {body} .\n\n")
        self.triples += len(pairs)


def _labelled(en: str, fr: str, source: str) -> list[tuple[str, str]]:
    return [
        ("rdfs:label", _literal(en) + "@en"),
        ("rdfs:label", _literal(fr) + "@fr"),
        ("dcterms:source", source),
    ]


@dataclass
class _Pools:
    """Resources that many clusters share: countries, cities, waves, vendors, sources."""

    countries: list[str]
    cities: list[str]
    waves: list[str]
    vendors: list[str]
    sources: list[str]


def _concepts(w: _Writer) -> None:
    source = "source:synthetic-0"
    for scheme, concepts in SCHEMES.items():
        # The sector scheme is the one plural name, as in data/schemes/sectors.ttl.
        scheme_iri = f"scheme:{scheme}s" if scheme == "sector" else f"scheme:{scheme}"
        w.block(
            scheme_iri,
            [
                ("a", "skos:ConceptScheme"),
                *_labelled(f"{scheme} scheme", f"schéma {scheme}", source),
                *[("skos:hasTopConcept", f"{scheme}:{concept}") for concept in concepts],
            ],
        )
        for concept in concepts:
            w.block(
                f"{scheme}:{concept}",
                [
                    ("a", "skos:Concept"),
                    ("skos:inScheme", scheme_iri),
                    ("skos:topConceptOf", scheme_iri),
                    ("skos:prefLabel", _literal(concept.replace("-", " ")) + "@en"),
                    ("skos:notation", _literal(concept)),
                    *_labelled(
                        concept.replace("-", " "), concept.replace("-", " ") + " (fr)", source
                    ),
                ],
            )


def _pools(w: _Writer, rng: random.Random, clusters: int) -> _Pools:
    n_sources = max(4, clusters // 3)
    sources = [f"source:synthetic-{i}" for i in range(n_sources)]
    for i, src in enumerate(sources):
        w.block(
            src,
            [
                ("a", "aif:Source"),
                ("rdfs:label", _literal(f"Synthetic source {i}") + "@en"),
                ("dcterms:title", _literal(f"Press release number {i}")),
                ("dcterms:publisher", _literal(f"Publisher {i % 17}")),
                ("dcterms:date", f'"20{20 + i % 6}-0{1 + i % 9}-1{i % 10}"^^xsd:date'),
                ("schema:url", f"<https://example.org/press/{i}>"),
                ("aif:reliability", f"reliability:{SCHEMES['reliability'][i % 3]}"),
                ("dcterms:source", sources[0]),
            ],
        )
    countries = [f"country:c{i:02d}" for i in range(COUNTRIES)]
    for i, country in enumerate(countries):
        alpha3 = f"X{chr(65 + i // 26)}{chr(65 + i % 26)}"
        w.block(
            country,
            [
                ("a", "aif:Country"),
                ("a", "aif:EUMemberState" if i < 27 else "aif:EuroHPCParticipatingState"),
                *_labelled(f"Country {i}", f"Pays {i}", rng.choice(sources)),
                ("aif:iso3166Alpha2", _literal(f"{chr(65 + i // 26)}{chr(65 + i % 26)}")),
                ("aif:iso3166Alpha3", _literal(alpha3)),
                (
                    "aif:euAuthorityCountry",
                    f"<http://publications.europa.eu/resource/authority/country/{alpha3}>",
                ),
                ("aif:wikidataId", _literal(f"Q{1000 + i}")),
            ],
        )
    cities = [f"city:city-{i}" for i in range(max(COUNTRIES, clusters // 2))]
    for i, city in enumerate(cities):
        w.block(
            city,
            [
                ("a", "aif:City"),
                *_labelled(f"City {i}", f"Ville {i}", rng.choice(sources)),
                ("aif:country", countries[i % COUNTRIES]),
                ("geo:lat", f'"{35 + rng.random() * 30:.4f}"^^xsd:decimal'),
                ("geo:long", f'"{-10 + rng.random() * 40:.4f}"^^xsd:decimal'),
                ("aif:coordinatePrecision", '"0.0001"^^xsd:decimal'),
            ],
        )
    waves = [f"wave:wave-{i + 1}" for i in range(WAVES)]
    for i, wave in enumerate(waves):
        w.block(
            wave,
            [
                ("a", "aif:SelectionWave"),
                *_labelled(f"Selection wave {i + 1}", f"Vague de sélection {i + 1}", sources[0]),
                ("aif:waveNumber", str(i + 1)),
                ("aif:announcementDate", f'"202{4 + i}-{3 * i + 1:02d}-10"^^xsd:date'),
            ],
        )
    vendors = [f"organisation:vendor-{i}" for i in range(VENDORS)]
    for i, vendor in enumerate(vendors):
        w.block(
            vendor,
            [
                ("a", "org:Organization"),
                *_labelled(f"Vendor {i}", f"Fournisseur {i}", rng.choice(sources)),
                ("aif:country", countries[i % COUNTRIES]),
            ],
        )
    return _Pools(countries, cities, waves, vendors, sources)


def _cluster(w: _Writer, rng: random.Random, pools: _Pools, i: int) -> None:
    """One hub with its host organisation, supercomputer, provision, figures and site."""
    src_index = rng.randrange(len(pools.sources))
    src = pools.sources[src_index]
    # A second, different source for the hub (a duplicate triple would skew the counts).
    second_src = pools.sources[(src_index + 1) % len(pools.sources)]
    city_index = rng.randrange(len(pools.cities))
    city = pools.cities[city_index]
    country = pools.countries[city_index % COUNTRIES]
    antenna = i % 5 in (3, 4)  # factory-0 always exists to be linked to
    kind = "antenna" if antenna else "factory"
    hub = f"{kind}:{kind}-{i}"
    org = f"organisation:host-{i}"
    machine = f"supercomputer:machine-{i}"
    provision = f"provision:provision-{i}"
    site = f"site:site-{i}"
    status = rng.choice(SCHEMES["status"])
    w.block(
        org,
        [
            ("a", "org:Organization"),
            *_labelled(f"Host organisation {i}", f"Organisation hôte {i}", src),
            ("aif:country", country),
            ("aif:locatedIn", city),
            ("foaf:homepage", f"<https://example.org/org/{i}>"),
        ],
    )
    w.block(
        site,
        [
            ("a", "aif:Site"),
            *_labelled(f"Site {i}", f"Site {i}", src),
            ("aif:locatedIn", city),
            ("aif:country", country),
            ("geo:lat", f'"{35 + rng.random() * 30:.5f}"^^xsd:decimal'),
            ("geo:long", f'"{-10 + rng.random() * 40:.5f}"^^xsd:decimal'),
            ("aif:coordinatePrecision", '"0.00001"^^xsd:decimal'),
        ],
    )
    hub_pairs = [
        ("a", "aif:AIFactoryAntenna" if antenna else "aif:AIFactory"),
        *_labelled(f"AI {kind} {i}", f"{'Antenne' if antenna else 'Usine'} d'IA {i}", src),
        ("aif:acronym", _literal(f"AIF{i}")),
        ("skos:altLabel", _literal(f"{kind.title()} {i} alias") + "@en"),
        ("aif:hostedBy", org),
        ("aif:coordinator", org),
        ("aif:country", country),
        ("aif:locatedIn", site),
        ("aif:selectedIn", pools.waves[-1] if antenna else rng.choice(pools.waves[:-1])),
        ("aif:status", f"status:{status}"),
        ("foaf:homepage", f"<https://example.org/hub/{i}>"),
        ("dcterms:source", second_src),
    ]
    hub_pairs += [
        ("aif:focusSector", f"sector:{s}") for s in rng.sample(SCHEMES["sector"], rng.randint(2, 4))
    ]
    partners = [c for c in pools.countries if c != country]  # the host is never a partner
    hub_pairs += [("aif:partnerCountry", c) for c in rng.sample(partners, rng.randint(0, 2))]
    if antenna:
        hub_pairs.append(("aif:linkedFactory", f"factory:factory-{rng.randrange(0, i, 5)}"))
    else:
        hub_pairs += [("aif:computeProvision", provision), ("aif:usesSupercomputer", machine)]
    fundings = [f"funding:funding-{i}-{k}" for k in range(rng.randint(1, 3))]
    hub_pairs += [("aif:hasFunding", f) for f in fundings]
    w.block(hub, hub_pairs)
    for k, funding in enumerate(fundings):
        w.block(
            funding,
            [
                ("a", "aif:Funding"),
                ("rdfs:label", _literal(f"Funding {k} of {kind} {i}") + "@en"),
                ("schema:value", f'"{rng.randint(1, 500) * 100000}"^^xsd:decimal'),
                ("schema:currency", _literal("EUR")),
                ("aif:fundingScope", f"scope:{rng.choice(SCHEMES['scope'])}"),
                ("aif:contributor", rng.choice([org, *pools.vendors[:2]])),
                ("aif:fundingFor", hub),
                ("aif:approximate", rng.choice(["true", "false"])),
                ("dcterms:source", src),
            ],
        )
    if antenna:
        return
    measurements = [f"measurement:machine-{i}-{k}" for k in range(rng.randint(1, 3))]
    w.block(
        machine,
        [
            ("a", "aif:Supercomputer"),
            *_labelled(f"Supercomputer {i}", f"Supercalculateur {i}", src),
            ("aif:hostedBy", org),
            ("aif:locatedIn", site),
            ("aif:country", country),
            ("aif:status", f"status:{status}"),
            ("aif:ownership", f"ownership:{rng.choice(SCHEMES['ownership'])}"),
            ("aif:vendor", rng.choice(pools.vendors)),
            ("aif:architecture", _literal(f"{rng.randint(100, 5000)} nodes, GPU type {i % 7}")),
            *[("aif:performance", m) for m in measurements],
        ],
    )
    for k, measurement in enumerate(measurements):
        w.block(
            measurement,
            [
                ("a", "aif:PerformanceMeasurement"),
                ("rdfs:label", _literal(f"Performance {k} of machine {i}") + "@en"),
                ("schema:value", f'"{rng.random() * 1000:.2f}"^^xsd:decimal'),
                ("schema:unitText", _literal("PFlop/s")),
                ("aif:measure", f"measure:{SCHEMES['measure'][k]}"),
                ("aif:performanceOf", machine),
                ("dcterms:source", src),
            ],
        )
    w.block(
        provision,
        [
            ("a", "aif:ComputeProvision"),
            ("rdfs:label", _literal(f"Machine {i} for factory {i}") + "@en"),
            ("aif:provisionFor", hub),
            ("aif:providedBy", machine),
            ("aif:provisionRole", f"role:{rng.choice(SCHEMES['role'])}"),
            ("dcterms:source", src),
        ],
    )


def generate(triples: int, out: TextIO, seed: int = 42) -> int:
    """Write at least ``triples`` triples (stops after the cluster that reaches it); return the
    exact number written."""
    rng = random.Random(seed)
    w = _Writer(out)
    w.prefixes()
    _concepts(w)
    pools = _pools(w, rng, max(1, triples // TRIPLES_PER_CLUSTER))
    i = 0
    while w.triples < triples:
        _cluster(w, rng, pools, i)
        i += 1
    return w.triples


def generate_file(triples: int, path: Path, seed: int = 42) -> int:
    """Write the file atomically (a half-written file must never be reused from the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        count = generate(triples, out, seed)
    tmp.rename(path)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("triples", type=int, help="how many triples (at least)")
    parser.add_argument("output", type=Path, help="the Turtle file to write")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    count = generate_file(args.triples, args.output, args.seed)
    print(f"{args.output}: {count:,} triples")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
