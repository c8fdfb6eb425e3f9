"""Great Expectations Data Docs: the HTML report of each check run, built into a git-ignored folder.

The pages load their CSS/JS from CDNs, so offline they are unstyled but complete.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DOCS_DIR = PROJECT_ROOT / "out" / "gx_docs"
SITE_NAME = "qcity"


def docs_dir_from_env(db_path: str | Path | None = None) -> Path:
    """$QCITY_GX_DOCS; else beside the warehouse: out/gx_docs for the default one, <db dir>/<db stem>_data_docs
    for any other (warehouse/reporting/outputs.py)."""
    from warehouse.reporting.outputs import output_dir

    return output_dir("QCITY_GX_DOCS", db_path, "_data_docs", DEFAULT_DOCS_DIR)


class DocsRecorder:
    """Collects the GX validation results of one check run, then writes them as Data Docs."""

    def __init__(self) -> None:
        self.validations: list[tuple[object, object]] = []   # (ExpectationSuite, ExpectationSuiteValidationResult)

    def add(self, suite, validation) -> None:
        self.validations.append((suite, validation))

    def build(self, folder: str | Path | None = None, run_name: str | None = None) -> Path:
        """Write every recorded validation into `folder` and return the index.html path."""
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        from expectations.runner import gx_context

        folder = Path(folder or docs_dir_from_env()).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        context = gx_context()
        context.variables.data_docs_sites = {SITE_NAME: {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }}
        run_id = RunIdentifier(run_name=run_name or "qcity-check", run_time=dt.datetime.now(dt.timezone.utc))
        parts: dict[str, int] = {}
        keys = []
        for suite, validation in self.validations:
            context.suites.add_or_update(suite)
            # a suite validated chunk by chunk (expectations/frames.py figure_rule_chunks) has one page per chunk
            parts[suite.name] = parts.get(suite.name, 0) + 1
            batch = suite.name if parts[suite.name] == 1 else f"{suite.name}_part{parts[suite.name]}"
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
                run_id=run_id, batch_identifier=batch)
            context.validation_results_store.set(key, validation)
            keys.append(key)
        # render this run's pages only (the folder keeps every earlier run's, and re-rendering them all made
        # each load slower than the one before); the index lists them all
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=keys)
        return folder / "index.html"
