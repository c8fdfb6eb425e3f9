"""Alerts (issue 18): the sensors run in-process on a persistent test instance after real materializations,
and post to a real HTTP server on 127.0.0.1 that records what it receives; with no webhook configured the
alerts land in the JSON-lines file beside the warehouse. The pure decisions are tested table-driven."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from dagster import build_run_status_sensor_context, build_sensor_context, instance_for_test, materialize

from expectations import suites
from orchestration import alerts
from orchestration.resources import WarehouseResource, resources_from_env
from orchestration.sensors import check_alerts_sensor, run_failure_alert_sensor

UI_URL = "http://dagster.example:3000"
GOOD = "2020年，长沙市实现地区生产总值500亿元。\n"
QUARANTINED_RATE = "2020年，长沙市产品质量监督抽查合格率达120%。\n"
CORRECTED_RATE = "2020年，长沙市产品质量监督抽查合格率达98%。\n"
# A part of GDP above the total: the figure is quarantined by a subject-fact rule and the rest loads.
BLOCKED = "2020年，长沙市实现地区生产总值500亿元，第二产业增加值800亿元。\n"


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A real HTTP server on the loopback address recording every POST; stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.posts, server.status = [], 200
    yield from _serving(server)


def _serving(server):
    """Serve on a thread for the test, then stop: the loopback servers of these tests."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def alert_env(tmp_path, monkeypatch):
    monkeypatch.setenv("QCITY_UI_URL", UI_URL)
    monkeypatch.setenv("QCITY_GX_DOCS", str(tmp_path / "gx_docs"))
    for name in ("QCITY_ALERT_WEBHOOK", "QCITY_ALERT_SMTP_HOST", "QCITY_ALERT_REPEAT_DAYS", "QCITY_ALERT_WARN_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _load(instance, raw: Path, db: Path):
    from orchestration.definitions import ASSETS

    return materialize(ASSETS, resources=resources_from_env(str(db), str(raw)), instance=instance,
                       raise_on_error=False)


def _tick(instance, db: Path, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor,
                                   resources={"warehouse": WarehouseResource(db_path=str(db))})
    check_alerts_sensor(context)
    return context.cursor


def _write(raw: Path, name: str, text: str):
    raw.mkdir(exist_ok=True)
    (raw / name).write_text(text, encoding="utf-8")


def test_a_quarantined_rate_alerts_once_reminds_after_n_days_and_its_correction_resolves(tmp_path, alert_env, webhook):
    alert_env.setenv("QCITY_ALERT_WEBHOOK", f"http://127.0.0.1:{webhook.server_port}/hook")
    raw, db = tmp_path / "raw", tmp_path / "qcity.duckdb"
    _write(raw, "good.txt", GOOD)
    _write(raw, "bad.txt", QUARANTINED_RATE)
    with instance_for_test() as instance:
        cursor = _tick(instance, db, None)        # the first tick starts from now
        first = _load(instance, raw, db)
        assert first.success
        cursor = _tick(instance, db, cursor)
        assert len(webhook.posts) == 1
        [message] = webhook.posts
        fields = message["qcity"]
        assert (fields["kind"], fields["severity"], fields["run_id"], fields["check"]) == (
            "quarantine_new", "ERROR", first.run_id, "figures_clean_row_rules")
        assert fields["rules"] == [suites.RATE_PERCENT_WITHIN_0_100]
        assert fields["counts"] == {"failing_rows": 1, "quarantined_figures": 1, "rejected_documents": 0}
        assert fields["samples"] == [{"file": "bad.txt", "quote": "长沙市产品质量监督抽查合格率达120%", "value": "120.0"}]
        assert fields["run_url"] == f"{UI_URL}/runs/{first.run_id}"
        assert first.run_id in message["text"] and "合格率达120%" in message["text"]
        assert any(f["text"].startswith("*Rule*") for b in message["blocks"] if b["type"] == "section"
                   for f in b.get("fields", []))

        second = _load(instance, raw, db)        # the same open problem: no second message
        assert second.success
        cursor = _tick(instance, db, cursor)
        assert len(webhook.posts) == 1

        # Still open QCITY_ALERT_REPEAT_DAYS (7) after its alert: the next load reminds once.
        state = json.loads(cursor)
        for entry in state["open"].values():
            entry["alerted_at"] = (dt.datetime.fromisoformat(entry["alerted_at"]) - dt.timedelta(days=7)).isoformat()
        assert _load(instance, raw, db).success
        cursor = _tick(instance, db, json.dumps(state))
        assert [p["qcity"]["kind"] for p in webhook.posts] == ["quarantine_new", "quarantine_still_open"]
        assert webhook.posts[1]["qcity"]["samples"] == fields["samples"]
        del webhook.posts[1]

        _write(raw, "bad.txt", CORRECTED_RATE)   # the fix: a new version of the document
        third = _load(instance, raw, db)
        assert third.success
        cursor = _tick(instance, db, cursor)
        assert len(webhook.posts) == 2
        resolved = webhook.posts[1]["qcity"]
        assert (resolved["kind"], resolved["severity"], resolved["run_id"]) == ("quarantine_resolved", "RESOLVED", third.run_id)
        assert "resolved" in webhook.posts[1]["text"]
        assert resolved["rules"] == [suites.RATE_PERCENT_WITHIN_0_100]
        assert resolved["samples"] == fields["samples"]          # which figure it was
        assert json.loads(cursor)["open"] == {}
        assert not alerts.alerts_jsonl_path(db).exists()   # delivered: nothing fell back to the file


def test_a_failed_run_gives_one_message_naming_its_failed_step(tmp_path, alert_env, webhook):
    # A subject-fact failure no longer fails a load (its figure is quarantined): the run fails here because its
    # raw folder is gone, as when a mount disappears before the nightly load.
    alert_env.setenv("QCITY_ALERT_WEBHOOK", f"http://127.0.0.1:{webhook.server_port}/hook")
    raw, db = tmp_path / "raw", tmp_path / "qcity.duckdb"
    with instance_for_test() as instance:
        cursor = _tick(instance, db, None)
        result = _load(instance, raw, db)
        assert not result.success
        context = build_run_status_sensor_context(
            sensor_name="run_failure_alert_sensor", dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event(),
            resources={"warehouse": WarehouseResource(db_path=str(db))}).for_run_failure()
        run_failure_alert_sensor(context)
        _tick(instance, db, cursor)   # the check sensor leaves a failed run to its run-failure alert
    assert len(webhook.posts) == 1
    fields = webhook.posts[0]["qcity"]
    assert (fields["kind"], fields["severity"], fields["run_id"]) == ("run_failed", "ERROR", result.run_id)
    assert fields["run_url"] == f"{UI_URL}/runs/{result.run_id}"
    assert "raw_documents" in json.dumps(fields, ensure_ascii=False) and "does not exist" in fields["detail"]
    # and load_runs records the failed run, whoever started it
    con = duckdb.connect(str(db), read_only=True)
    try:
        [(status, trigger, failure)] = con.execute(
            "SELECT status, trigger, failure FROM load_runs WHERE run_id = ?", [result.run_id]).fetchall()
    finally:
        con.close()
    assert (status, trigger) == ("failed", "ui") and "does not exist" in failure


def test_a_document_failing_a_subject_fact_rule_is_quarantined_and_alerted_not_a_failed_run(tmp_path, alert_env,
                                                                                            webhook):
    alert_env.setenv("QCITY_ALERT_WEBHOOK", f"http://127.0.0.1:{webhook.server_port}/hook")
    raw, db = tmp_path / "raw", tmp_path / "qcity.duckdb"
    _write(raw, "blocked.txt", BLOCKED)
    with instance_for_test() as instance:
        cursor = _tick(instance, db, None)
        result = _load(instance, raw, db)
        assert result.success
        _tick(instance, db, cursor)
    assert len(webhook.posts) == 1
    fields = webhook.posts[0]["qcity"]
    assert fields["kind"] == "quarantine_new" and suites.GDP_PART_NOT_ABOVE_TOTAL in fields["rules"]
    assert any(s["quote"].startswith("第二产业增加值800亿元") for s in fields["samples"]), fields["samples"]


def test_with_no_webhook_the_alert_goes_to_the_jsonl_file(tmp_path, alert_env):
    raw, db = tmp_path / "raw", tmp_path / "qcity.duckdb"
    _write(raw, "good.txt", GOOD)
    _write(raw, "bad.txt", QUARANTINED_RATE)
    with instance_for_test() as instance:
        cursor = _tick(instance, db, None)
        result = _load(instance, raw, db)
        _tick(instance, db, cursor)
    [line] = alerts.alerts_jsonl_path(db).read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert (record["kind"], record["run_id"], record["delivery_errors"]) == ("quarantine_new", result.run_id, [])
    assert record["samples"][0]["file"] == "bad.txt"


def test_a_webhook_that_fails_loses_nothing(tmp_path, alert_env, webhook):
    webhook.status = 500
    alert_env.setenv("QCITY_ALERT_WEBHOOK", f"http://127.0.0.1:{webhook.server_port}/hook")
    config = alerts.AlertConfig.from_env(tmp_path / "qcity.duckdb")
    alert = alerts.run_failed_alert(alerts.FailedRun("r1", "nightly_load_job", ("warehouse_tables",), "IOException: disk full"),
                                    alerts.Counts(), config)
    assert alerts.deliver(alert, config) == ["jsonl"]
    assert len(webhook.posts) == 1   # it was tried
    [record] = [json.loads(x) for x in config.jsonl_path.read_text(encoding="utf-8").splitlines()]
    assert record["run_id"] == "r1" and "500" in record["delivery_errors"][0]
    assert record["detail"] == "IOException: disk full"


class SmtpRecorder(socketserver.StreamRequestHandler):
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to receive what smtplib sends, recorded."""

    def handle(self):
        self.wfile.write(b"220 qcity-test\r\n")
        data = None
        for raw_line in self.rfile:
            line = raw_line.decode("utf-8").rstrip("\r\n")
            if data is not None:
                if line == ".":
                    self.server.messages.append("\n".join(data))
                    data = None
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "DATA":
                data = []
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpRecorder)
    server.daemon_threads, server.messages = True, []
    yield from _serving(server)


def test_an_alert_is_emailed_over_smtp(tmp_path, smtp_server):
    env = {"QCITY_ALERT_SMTP_HOST": "127.0.0.1", "QCITY_ALERT_SMTP_PORT": str(smtp_server.server_address[1]),
           "QCITY_ALERT_SMTP_STARTTLS": "false", "QCITY_ALERT_EMAIL_TO": "oncall@example.org",
           "QCITY_ALERT_EMAIL_FROM": "qcity@example.org", "QCITY_UI_URL": UI_URL}
    config = alerts.AlertConfig.from_env(tmp_path / "qcity.duckdb", env)
    problem = alerts.OpenProblem("f1:rate_percent_within_0_100", "run-7", "rate_percent_within_0_100",
                                 alerts.Sample("bad.txt", "合格率达120%", "120"))
    plan = alerts.plan_quarantine_alerts([problem], {}, NOW, config.repeat_days)
    [alert] = alerts.quarantine_alerts(plan, alerts.Counts(0, 1, 2), config, latest_run_id="run-7")
    assert alerts.deliver(alert, config) == ["email"]
    [raw_message] = smtp_server.messages
    message = email.message_from_string(raw_message, policy=email.policy.default)
    assert (message["To"], message["Subject"]) == ("oncall@example.org", "[qcity ERROR] 1 figures quarantined")
    body = message.get_content()
    assert "run run-7 · check figures_clean_row_rules · rule rate_percent_within_0_100" in body
    assert "quarantined figures 1 · rejected documents 2" in body
    assert "bad.txt: “合格率达120%” = 120" in body and f"{UI_URL}/runs/run-7" in body
    assert not config.jsonl_path.exists()


# ---- the decisions, table-driven ------------------------------------------------------------------------
NOW = dt.datetime(2026, 12, 1, 2, 0)


def _problem(key):
    return alerts.OpenProblem(key, "run1", key.split(":", 1)[1], alerts.Sample("a.txt", "合格率达120%", "120"))


PLAN_CASES = [
    # open now, state before (key → days since last alert), repeat days → new, still open, resolved
    (["f1:rate"], {}, 7, ["f1:rate"], [], []),
    (["f1:rate"], {"f1:rate": 1}, 7, [], [], []),
    (["f1:rate"], {"f1:rate": 7}, 7, [], ["f1:rate"], []),
    (["f1:rate"], {"f1:rate": 30}, 0.5, [], ["f1:rate"], []),
    ([], {"f1:rate": 1}, 7, [], [], ["f1:rate"]),
    (["f2:rate"], {"f1:rate": 1}, 7, ["f2:rate"], [], ["f1:rate"]),
]


@pytest.mark.parametrize("open_now, before, repeat, new, still_open, resolved", PLAN_CASES)
def test_plan_quarantine_alerts(open_now, before, repeat, new, still_open, resolved):
    state = {k: alerts.alert_state(_problem(k), NOW - dt.timedelta(days=d)) for k, d in before.items()}
    plan = alerts.plan_quarantine_alerts([_problem(k) for k in open_now], state, NOW, repeat)
    assert ([p.key for p in plan.new], [p.key for p in plan.still_open], [p.key for p in plan.resolved]) == (
        new, still_open, resolved)
    assert set(plan.state) == set(open_now)   # fixed problems leave the state
    for key in open_now:
        alerted_now = key in new + still_open
        assert (plan.state[key]["alerted_at"] == NOW.isoformat()) is alerted_now
    for problem in plan.resolved:             # a fixed problem is named by what was remembered of it
        assert problem == _problem(problem.key)


SHOULD_ALERT_CASES = [
    # passed, severity, failing rows, quarantined rows, WARN threshold → alert?
    (True, "ERROR", 0, 0, 0, False),
    (False, "ERROR", 1, 0, 0, True),
    (False, "ERROR", 2, 2, 0, False),   # every failing row was quarantined: alerted per problem instead
    (False, "ERROR", 3, 2, 0, True),    # a kept row failed too
    (False, "WARN", 1, 0, 0, True),
    (False, "WARN", 5, 0, 5, False),
    (False, "WARN", 6, 0, 5, True),
]


@pytest.mark.parametrize("passed, severity, failing, quarantined, threshold, expected", SHOULD_ALERT_CASES)
def test_should_alert(tmp_path, passed, severity, failing, quarantined, threshold, expected):
    config = alerts.AlertConfig(jsonl_path=tmp_path / "a.jsonl", warn_threshold=threshold)
    evaluation = alerts.CheckEvaluation("r", "fact_figure", "c", passed, severity, failing, quarantined)
    assert alerts.should_alert(evaluation, config) is expected


def test_config_from_env(tmp_path):
    env = {"QCITY_ALERT_WEBHOOK": "https://hooks.slack.com/services/T/B/X", "QCITY_UI_URL": "http://ui:3000/",
           "QCITY_ALERT_REPEAT_DAYS": "3", "QCITY_ALERT_WARN_THRESHOLD": "10",
           "QCITY_ALERT_SMTP_HOST": "smtp.example", "QCITY_ALERT_EMAIL_TO": "a@example, b@example"}
    config = alerts.AlertConfig.from_env(tmp_path / "w.duckdb", env)
    assert (config.webhook_url, config.ui_url, config.repeat_days, config.warn_threshold) == (
        env["QCITY_ALERT_WEBHOOK"], "http://ui:3000", 3.0, 10)
    assert (config.smtp.host, config.smtp.port, config.smtp.recipients) == ("smtp.example", 587, ("a@example", "b@example"))
    assert config.jsonl_path == tmp_path / "w.duckdb.alerts.jsonl"
    assert config.run_url("abc") == "http://ui:3000/runs/abc"
    with pytest.raises(ValueError, match="QCITY_ALERT_EMAIL_TO"):
        alerts.AlertConfig.from_env(tmp_path / "w.duckdb", {"QCITY_ALERT_SMTP_HOST": "smtp.example"})
