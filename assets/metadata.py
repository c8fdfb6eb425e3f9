"""The metadata every asset that writes a table reports: its row count and its column schema (from the DDL)."""

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema

from warehouse.schema_docs import column_schema


def table_metadata(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """`dagster/row_count` and `dagster/column_schema` of `table` as it is now."""
    name = ".".join(f'"{part}"' for part in table.split("."))
    rows = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    columns = [TableColumn(column, dtype, description=described or None)
               for column, dtype, described in column_schema(con, table)]
    return {"dagster/row_count": MetadataValue.int(rows),
            "dagster/column_schema": MetadataValue.table_schema(TableSchema(columns=columns))}
