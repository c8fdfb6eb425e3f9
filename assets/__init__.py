"""Dagster asset definitions, grouped by stage. Thin: each calls the pure packages."""
