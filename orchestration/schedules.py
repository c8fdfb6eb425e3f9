from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import nightly_load_job

nightly_load_schedule = ScheduleDefinition(
    name="nightly_load_schedule",
    job=nightly_load_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 China time: the full load.",
)
