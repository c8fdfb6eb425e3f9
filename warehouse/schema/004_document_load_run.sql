-- The Dagster run that loaded each document: the warehouse checks of a load validate the rows that run
-- wrote (row rules), while rules across rows (keys, references, GDP yardsticks) still read whole tables.
-- Documents loaded before this migration keep NULL: they were validated by the run that loaded them.
ALTER TABLE dim_document ADD COLUMN IF NOT EXISTS load_run_id VARCHAR;
