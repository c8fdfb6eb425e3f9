"""Wiring: the one Dagster Definitions, resources, jobs, schedules, sensors and the qcity CLI."""
