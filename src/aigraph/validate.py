"""SHACL validation of built graphs against ontology/shapes.ttl (pySHACL, with the ontology for RDFS)."""

from __future__ import annotations

from pathlib import Path

from pyshacl import validate
from rdflib import Graph

from aigraph.errors import InputError
from aigraph.lexicon import ontology_dir


def _parse(path: Path) -> Graph:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise InputError(f"{path} not found; run `aigraph build` first") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot parse {path} as Turtle: {exc}") from exc
    return graph


def validate_graph(data: Graph) -> tuple[bool, str]:
    """(conforms, pySHACL's report text) for a data graph."""
    folder = ontology_dir()
    shapes = _parse(folder / "shapes.ttl")
    ontology = _parse(folder / "aigraph.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                 advanced=True)
    return bool(conforms), str(text)


def validate_file(path: Path) -> tuple[bool, str]:
    return validate_graph(_parse(path))
