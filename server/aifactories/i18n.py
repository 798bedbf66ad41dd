"""The two languages of the pages: the choice for a request and the interface strings.

Labels of resources come from the data (``@fr`` when there is one); only the words of the
interface itself live here.
"""

from __future__ import annotations

from flask import Request

from .errors import BadRequest

LANGUAGES = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "site": "EU AI Factories Knowledge Graph",
        "sparql": "SPARQL",
        "ontology": "Ontology",
        "dataset": "Dataset",
        "queries": "Example queries",
        "factories": "Factories",
        "countries": "Countries",
        "browse": "Browse",
        "other_language": "Français",
        "type": "Type",
        "facts": "Facts",
        "incoming": "Referred to by",
        "sources": "Sources",
        "claims": "Claims about this resource",
        "seed_claim": "Claim of the seed article",
        "claim": "Claim",
        "assessment": "Assessment",
        "correction": "Correction",
        "evidence": "Evidence",
        "uncertain": "Uncertain",
        "uncertain_text": "The sources disagree, or only a weak source supports some facts here.",
        "formats": "This page in machine formats",
        "reliability": "Reliability",
        "published": "Date",
        "publisher": "Publisher",
        "open_source": "open",
        "yes": "yes",
        "no": "no",
        "in_country": "In this country",
        "name": "Name",
        "country": "Country",
        "wave": "Wave",
        "machines": "Supercomputer(s)",
        "sectors": "Focus sectors",
        "kind": "Kind",
        "count": "Resources",
        "resources_of_kind": "Resources of kind",
        "all_factories": "All AI Factories and Antennas",
        "sort_hint": "Click a column heading to sort.",
        "map": "Map of the AI Factories and Antennas",
        "map_note": "Drawn from the coordinates in the data; outline simplified, no online tiles.",
        "factory": "AI Factory",
        "antenna": "AI Factory Antenna",
        "gigafactory": "AI Gigafactory",
        "no_coordinates": "without coordinates in the data",
        "counts": "The graph in numbers",
        "triples": "triples",
        "data_version": "data version",
        "intro": "An open, sourced knowledge graph of the EuroHPC Joint Undertaking's AI "
        "Factories, AI Factory Antennas and AI Gigafactories: host supercomputers, hosting "
        "organisations, sites, countries, focus sectors, selection waves and funding. Every "
        "fact carries its sources.",
        "use_it": "Use it",
        "use_sparql": "SPARQL 1.1 endpoint, for browsers, SPARQLWrapper, rdflib, pandas and curl",
        "use_ontology": "The ontology, documented",
        "use_dataset": "Dataset description (VoID, DCAT-AP), catalogue and downloads",
        "classes": "Classes",
        "properties": "Properties",
        "glance": "The model at a glance",
        "domain": "Domain",
        "range": "Range",
        "subclass_of": "Subclass of",
        "definition": "Definition",
        "version": "Version",
        "download": "Download",
        "shapes": "SHACL shapes",
        "tile_factory": "AI Factories",
        "tile_antenna": "AI Factory Antennas",
        "tile_gigafactory": "AI Gigafactories",
        "tile_machines": "Supercomputers",
        "tile_countries": "Countries",
        "tile_sources": "Sources",
        "kinds": "Kinds of resource",
        "factories_title": "AI Factories and Antennas",
        "named_graph": "Named graph",
    },
    "fr": {
        "site": "Graphe de connaissances des AI Factories de l'UE",
        "sparql": "SPARQL",
        "ontology": "Ontologie",
        "dataset": "Jeu de données",
        "queries": "Exemples de requêtes",
        "factories": "Usines d'IA",
        "countries": "Pays",
        "browse": "Parcourir",
        "other_language": "English",
        "type": "Type",
        "facts": "Faits",
        "incoming": "Cité par",
        "sources": "Sources",
        "claims": "Affirmations sur cette ressource",
        "seed_claim": "Affirmation de l'article d'amorce",
        "claim": "Affirmation",
        "assessment": "Évaluation",
        "correction": "Correction",
        "evidence": "Preuves",
        "uncertain": "Incertain",
        "uncertain_text": "Les sources divergent, ou une seule source faible étaye certains faits.",
        "formats": "Cette page en formats machine",
        "reliability": "Fiabilité",
        "published": "Date",
        "publisher": "Éditeur",
        "open_source": "ouvrir",
        "yes": "oui",
        "no": "non",
        "in_country": "Dans ce pays",
        "name": "Nom",
        "country": "Pays",
        "wave": "Vague",
        "machines": "Supercalculateur(s)",
        "sectors": "Secteurs prioritaires",
        "kind": "Sorte",
        "count": "Ressources",
        "resources_of_kind": "Ressources de la sorte",
        "all_factories": "Toutes les AI Factories et antennes",
        "sort_hint": "Cliquez sur un en-tête de colonne pour trier.",
        "map": "Carte des AI Factories et des antennes",
        "map_note": "Tracée d'après les coordonnées des données ; contour simplifié, "
        "sans tuiles en ligne.",
        "factory": "AI Factory",
        "antenna": "Antenne d'AI Factory",
        "gigafactory": "AI Gigafactory",
        "no_coordinates": "sans coordonnées dans les données",
        "counts": "Le graphe en chiffres",
        "triples": "triplets",
        "data_version": "version des données",
        "intro": "Un graphe de connaissances ouvert et sourcé des AI Factories, antennes d'AI "
        "Factory et AI Gigafactories de l'entreprise commune EuroHPC : supercalculateurs, "
        "organisations hôtes, sites, pays, secteurs prioritaires, vagues de sélection et "
        "financements. Chaque fait porte ses sources.",
        "use_it": "L'utiliser",
        "use_sparql": "Point d'accès SPARQL 1.1, pour navigateurs, SPARQLWrapper, rdflib, pandas "
        "et curl",
        "use_ontology": "L'ontologie, documentée",
        "use_dataset": "Description du jeu de données (VoID, DCAT-AP), catalogue et "
        "téléchargements",
        "classes": "Classes",
        "properties": "Propriétés",
        "glance": "Le modèle en un coup d'œil",
        "domain": "Domaine",
        "range": "Portée",
        "subclass_of": "Sous-classe de",
        "definition": "Définition",
        "version": "Version",
        "download": "Télécharger",
        "shapes": "Formes SHACL",
        "tile_factory": "AI Factories",
        "tile_antenna": "Antennes d'AI Factory",
        "tile_gigafactory": "AI Gigafactories",
        "tile_machines": "Supercalculateurs",
        "tile_countries": "Pays",
        "tile_sources": "Sources",
        "kinds": "Sortes de ressources",
        "factories_title": "AI Factories et antennes",
        "named_graph": "Graphe nommé",
    },
}


def choose_language(request: Request) -> str:
    """``?lang=`` wins, then ``Accept-Language``; English by default.

    Raises :class:`BadRequest` for a ``lang`` we do not offer.
    """
    asked = request.args.get("lang")
    if asked is not None:
        if asked not in LANGUAGES:
            raise BadRequest(f"lang must be one of {', '.join(LANGUAGES)}, not {asked!r}")
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def strings(lang: str) -> dict[str, str]:
    return STRINGS[lang]
