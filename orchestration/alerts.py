"""Alerts that reach people: what to send for a failed run or a failed check, and how to deliver it.

Plain Python (no Dagster): the sensors in orchestration/sensors.py turn Dagster events into the records
below and call these functions. Delivery is configured by the environment (`AlertConfig.from_env`):
a Slack-compatible webhook, SMTP email, and — with neither configured, or when delivery fails — a
JSON-lines file beside the warehouse, so no alert is ever lost.

One alert per problem: a quarantined figure alerts when first seen, again only when it is still open
after `repeat_days`, and once "resolved" when it is fixed (`plan_quarantine_alerts`).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Mapping

import duckdb

ERROR = "ERROR"
WARN = "WARN"
RESOLVED = "RESOLVED"
MAX_SAMPLES = 5
QUOTE_CHARS = 120          # a sample's quote is cut here: a message, not the document
WEBHOOK_TIMEOUT_S = 10.0
SMTP_TIMEOUT_S = 10.0
DEFAULT_REPEAT_DAYS = 7.0
DEFAULT_UI_URL = "http://localhost:3000"
# The check whose failing rows are quarantined figures: those alert per problem (below), not per run.
QUARANTINE_CHECK = "figures_clean_row_rules"


# ---- configuration --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = True


@dataclass(frozen=True)
class AlertConfig:
    jsonl_path: Path
    webhook_url: str | None = None
    smtp: SmtpConfig | None = None
    ui_url: str = DEFAULT_UI_URL
    repeat_days: float = DEFAULT_REPEAT_DAYS
    warn_threshold: int = 0      # a failed WARN check alerts when its failing rows are above this

    @classmethod
    def from_env(cls, db_path: str | Path, env: Mapping[str, str] = os.environ) -> "AlertConfig":
        smtp = None
        if env.get("QCITY_ALERT_SMTP_HOST"):
            recipients = tuple(a.strip() for a in env.get("QCITY_ALERT_EMAIL_TO", "").split(",") if a.strip())
            if not recipients:
                raise ValueError("QCITY_ALERT_SMTP_HOST is set but QCITY_ALERT_EMAIL_TO names no recipient")
            smtp = SmtpConfig(
                host=env["QCITY_ALERT_SMTP_HOST"],
                port=int(env.get("QCITY_ALERT_SMTP_PORT") or 587),
                sender=env.get("QCITY_ALERT_EMAIL_FROM") or "qcity@localhost",
                recipients=recipients,
                user=env.get("QCITY_ALERT_SMTP_USER") or None,
                password=env.get("QCITY_ALERT_SMTP_PASSWORD") or None,
                starttls=(env.get("QCITY_ALERT_SMTP_STARTTLS") or "true").lower() not in ("0", "false", "no"),
            )
        return cls(
            jsonl_path=alerts_jsonl_path(db_path),
            webhook_url=env.get("QCITY_ALERT_WEBHOOK") or None,
            smtp=smtp,
            ui_url=(env.get("QCITY_UI_URL") or DEFAULT_UI_URL).rstrip("/"),
            repeat_days=float(env.get("QCITY_ALERT_REPEAT_DAYS") or DEFAULT_REPEAT_DAYS),
            warn_threshold=int(env.get("QCITY_ALERT_WARN_THRESHOLD") or 0),
        )

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url}/runs/{run_id}"


def alerts_jsonl_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.alerts.jsonl")


# ---- what an alert says ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    file: str
    quote: str
    value: str

    @classmethod
    def of_row(cls, row: Mapping) -> "Sample":
        value = next((row[k] for k in ("value", "value_canonical") if row.get(k) not in (None, "")), "")
        quote = str(row.get("quote") or "")
        return cls(str(row.get("file") or ""), quote[:QUOTE_CHARS], str(value))


@dataclass(frozen=True)
class Counts:
    """What the warehouse holds open at the time of the alert."""
    failing_rows: int = 0
    quarantined_figures: int = 0
    rejected_documents: int = 0


@dataclass
class Alert:
    kind: str            # run_failed | check_failed | quarantine_new | quarantine_still_open | quarantine_resolved
    severity: str        # ERROR | WARN | RESOLVED
    title: str
    run_id: str
    check: str           # the check (or, for a failed run, the failed steps)
    rules: list[str]
    counts: Counts
    samples: list[Sample] = field(default_factory=list)
    run_url: str = ""
    detail: str = ""

    def text(self) -> str:
        lines = [f"[qcity {self.severity}] {self.title}",
                 f"run {self.run_id} · check {self.check}" + (f" · rule {', '.join(self.rules)}" if self.rules else "")]
        if self.kind != "quarantine_resolved":
            c = self.counts
            lines.append(f"failing rows {c.failing_rows} · quarantined figures {c.quarantined_figures} · "
                         f"rejected documents {c.rejected_documents}")
        if self.detail:
            lines.append(self.detail)
        lines += [f"• {s.file}: “{s.quote}” = {s.value}" for s in self.samples]
        if self.run_url:
            lines.append(self.run_url)
        return "\n".join(lines)

    def as_record(self) -> dict:
        return {**asdict(self), "text": self.text()}

    def webhook_payload(self) -> dict:
        """Slack-compatible: `text` (what Slack, Teams and most chat webhooks show), Block Kit fields for
        Slack, and the same fields as plain JSON under `qcity` for anything else."""
        c = self.counts
        fields = [("Run", f"<{self.run_url}|{self.run_id}>" if self.run_url else self.run_id), ("Check", self.check),
                  ("Rule", ", ".join(self.rules) or "—"), ("Severity", self.severity)]
        if self.kind != "quarantine_resolved":
            fields += [("Failing rows", str(c.failing_rows)), ("Quarantined figures", str(c.quarantined_figures)),
                       ("Rejected documents", str(c.rejected_documents))]
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": f"qcity {self.severity}: {self.title}"[:150]}},
                  {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]}]
        if self.samples:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(
                f"• `{s.file}`: “{s.quote}” = {s.value}" for s in self.samples)}})
        return {"text": self.text(), "blocks": blocks, "qcity": self.as_record()}


# ---- one alert per problem: quarantined figures -------------------------------------------------------------
# A quarantined figure is open until the load closes it (quarantined_figures.resolved_at, set when its document
# is corrected, re-extracted or removed: warehouse/io.py) — the same definition `qcity check` uses.
OPEN_QUARANTINE_SQL = """
SELECT q.figure_id || ':' || q.expectation AS problem_key, q.run_id, q.expectation, q.file,
       q.figure->>'quote' AS quote, coalesce(q.figure->>'value', q.figure->>'value_canonical') AS value
FROM quarantined_figures q
WHERE q.resolved_at IS NULL
ORDER BY q.quarantined_at, q.file, q.figure_id
"""


@dataclass(frozen=True)
class OpenProblem:
    key: str
    run_id: str      # the run that quarantined it
    rule: str
    sample: Sample


def open_quarantined_figures(con: duckdb.DuckDBPyConnection) -> list[OpenProblem]:
    return [OpenProblem(key, run_id, rule, Sample(file, (quote or "")[:QUOTE_CHARS], value or ""))
            for key, run_id, rule, file, quote, value in con.execute(OPEN_QUARANTINE_SQL).fetchall()]


def warehouse_state(con: duckdb.DuckDBPyConnection | None) -> tuple[Counts, list[OpenProblem]]:
    """(open quarantined figures and rejected documents, the open quarantined figures) of the warehouse;
    nothing for a warehouse that does not exist yet or was never loaded."""
    if con is None or con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                                  "('quarantined_figures', 'dim_document', 'rejected_documents')").fetchall()[0][0] < 3:
        return Counts(), []
    problems = open_quarantined_figures(con)
    rejected = con.execute("SELECT count(*) FROM rejected_documents WHERE resolved_at IS NULL").fetchall()[0][0]
    return Counts(0, len(problems), rejected), problems


@dataclass
class QuarantinePlan:
    new: list[OpenProblem]
    still_open: list[OpenProblem]      # open for repeat_days since they were last alerted
    resolved: list[OpenProblem]        # alerted before and no longer open
    state: dict[str, dict]             # the problems still open: key → their last alert (see alert_state)


def alert_state(problem: OpenProblem, alerted_at: dt.datetime) -> dict:
    """What is remembered of an alerted problem: when, and enough to say which one it was once it is fixed."""
    return {"alerted_at": alerted_at.isoformat(), "run_id": problem.run_id, "rule": problem.rule,
            **asdict(problem.sample)}


def _problem_of_state(key: str, entry: Mapping) -> OpenProblem:
    return OpenProblem(key, entry["run_id"], entry["rule"], Sample(entry["file"], entry["quote"], entry["value"]))


def plan_quarantine_alerts(open_now: list[OpenProblem], state: Mapping[str, Mapping], now: dt.datetime,
                           repeat_days: float) -> QuarantinePlan:
    """Which open problems to alert about (new, or due again) and which alerted ones were fixed."""
    due_before = now - dt.timedelta(days=repeat_days)
    new, still_open, next_state = [], [], {}
    for problem in open_now:
        entry = state.get(problem.key)
        if entry is None:
            new.append(problem)
            next_state[problem.key] = alert_state(problem, now)
        elif dt.datetime.fromisoformat(entry["alerted_at"]) <= due_before:
            still_open.append(problem)
            next_state[problem.key] = alert_state(problem, now)
        else:
            next_state[problem.key] = dict(entry)
    open_keys = {p.key for p in open_now}
    resolved = [_problem_of_state(k, state[k]) for k in sorted(state) if k not in open_keys]
    return QuarantinePlan(new, still_open, resolved, next_state)


def quarantine_alerts(plan: QuarantinePlan, counts: Counts, config: AlertConfig, latest_run_id: str) -> list[Alert]:
    """At most three messages per load: the new problems, those still open after repeat_days, the fixed ones."""
    alerts = []
    for kind, problems, title in (
            ("quarantine_new", plan.new, "figures quarantined"),
            ("quarantine_still_open", plan.still_open, f"figures still quarantined after {config.repeat_days:g} days")):
        if not problems:
            continue
        run_id = problems[0].run_id
        alerts.append(Alert(
            kind=kind, severity=ERROR, title=f"{len(problems)} {title}", run_id=run_id, check=QUARANTINE_CHECK,
            rules=sorted({p.rule for p in problems}), counts=Counts(len(problems), counts.quarantined_figures,
                                                                     counts.rejected_documents),
            samples=[p.sample for p in problems[:MAX_SAMPLES]], run_url=config.run_url(run_id),
            detail="The figures were set aside into quarantined_figures; the rest of the load went in.",
        ))
    if plan.resolved:
        alerts.append(Alert(
            kind="quarantine_resolved", severity=RESOLVED, title=f"{len(plan.resolved)} quarantined figures resolved",
            run_id=latest_run_id, check=QUARANTINE_CHECK, rules=sorted({p.rule for p in plan.resolved}),
            counts=counts, samples=[p.sample for p in plan.resolved[:MAX_SAMPLES]],
            run_url=config.run_url(latest_run_id), detail="Their documents were corrected or removed.",
        ))
    return alerts


# ---- failed checks and failed runs ----------------------------------------------------------------------
@dataclass(frozen=True)
class CheckEvaluation:
    """One asset-check result, as the sensor read it from Dagster's event log."""
    run_id: str
    asset: str
    check_name: str
    passed: bool
    severity: str
    failing_rows: int = 0
    quarantined_rows: int = 0
    description: str = ""
    rules: tuple[str, ...] = ()
    sample_rows: tuple[dict, ...] = ()


def should_alert(evaluation: CheckEvaluation, config: AlertConfig) -> bool:
    """Every failed ERROR check; a failed WARN check above the threshold. Failing rows that were quarantined
    alert per problem (plan_quarantine_alerts), so a check whose failures are all quarantined sends nothing here."""
    if evaluation.passed:
        return False
    not_quarantined = evaluation.failing_rows - evaluation.quarantined_rows
    if evaluation.quarantined_rows and not_quarantined <= 0:
        return False
    return evaluation.severity == ERROR or not_quarantined > config.warn_threshold


def check_alert(evaluation: CheckEvaluation, counts: Counts, config: AlertConfig) -> Alert:
    return Alert(
        kind="check_failed", severity=evaluation.severity,
        title=f"check {evaluation.check_name} failed on {evaluation.asset}",
        run_id=evaluation.run_id, check=f"{evaluation.asset}/{evaluation.check_name}", rules=list(evaluation.rules),
        counts=Counts(evaluation.failing_rows, counts.quarantined_figures, counts.rejected_documents),
        samples=[Sample.of_row(r) for r in evaluation.sample_rows[:MAX_SAMPLES]],
        run_url=config.run_url(evaluation.run_id), detail=evaluation.description,
    )


@dataclass(frozen=True)
class FailedRun:
    run_id: str
    job_name: str
    failed_steps: tuple[str, ...]
    error: str
    failed_checks: tuple[CheckEvaluation, ...] = ()


def run_failed_alert(run: FailedRun, counts: Counts, config: AlertConfig) -> Alert:
    checks = [c for c in run.failed_checks if c.severity == ERROR]
    return Alert(
        kind="run_failed", severity=ERROR, title=f"run of {run.job_name} failed",
        run_id=run.run_id, check=", ".join(run.failed_steps) or "(run)",
        rules=sorted({rule for c in checks for rule in c.rules}),
        counts=Counts(sum(c.failing_rows for c in checks), counts.quarantined_figures, counts.rejected_documents),
        samples=[Sample.of_row(r) for c in checks for r in c.sample_rows][:MAX_SAMPLES],
        run_url=config.run_url(run.run_id), detail=" ".join(run.error.split())[:500],
    )


# ---- delivery ---------------------------------------------------------------------------------------------
class DeliveryError(RuntimeError):
    pass


def post_webhook(url: str, payload: dict, timeout: float = WEBHOOK_TIMEOUT_S) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:   # HTTPError is a URLError: a 4xx/5xx answer
        raise DeliveryError(f"webhook {url}: {exc}") from exc


def send_email(smtp: SmtpConfig, alert: Alert, timeout: float = SMTP_TIMEOUT_S) -> None:
    message = EmailMessage()
    message["Subject"] = f"[qcity {alert.severity}] {alert.title}"
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message.set_content(alert.text())
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp {smtp.host}:{smtp.port}: {exc}") from exc


def append_jsonl(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def deliver(alert: Alert, config: AlertConfig) -> list[str]:
    """Send to every configured channel; the channels that took it. With none configured, or when one
    fails, the alert (with the errors) goes to the JSON-lines file: nothing is lost."""
    delivered, errors = [], []
    if config.webhook_url:
        try:
            post_webhook(config.webhook_url, alert.webhook_payload())
            delivered.append("webhook")
        except DeliveryError as exc:
            errors.append(str(exc))
    if config.smtp:
        try:
            send_email(config.smtp, alert)
            delivered.append("email")
        except DeliveryError as exc:
            errors.append(str(exc))
    if errors or not delivered:
        append_jsonl(config.jsonl_path, {**alert.as_record(), "delivery_errors": errors,
                                         "written_at": dt.datetime.now().isoformat(timespec="seconds")})
        delivered.append("jsonl")
    return delivered
