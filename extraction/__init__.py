"""Pure text → figure extraction. Nothing here imports Dagster.

Entry point: `extraction.engine.extract_figures(Document) -> list[Figure]`.
"""
