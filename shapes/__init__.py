"""Data only: the SHACL shapes, read through graph.resources."""
