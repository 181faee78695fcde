"""aigraph: AI-governance documents -> a typed, evidenced RDF knowledge graph."""

__version__ = "0.1.0"
