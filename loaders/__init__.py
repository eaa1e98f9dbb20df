"""Sources in: readers that turn real sources into quads, and the one ingest pipeline."""
