from dagster import AssetSelection, define_asset_job

nightly_load_job = define_asset_job(
    "nightly_load_job",
    selection=AssetSelection.all(),
    description="Scan raw/, extract new and changed documents, clean, load DuckDB, run every check.",
)
