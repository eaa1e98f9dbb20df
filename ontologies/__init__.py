"""Data only: the Turtle files of the application profile, read through graph.resources."""
