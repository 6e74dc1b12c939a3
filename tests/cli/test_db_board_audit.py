"""``casedesk db upgrade``, ``board sync`` and ``audit export|verify`` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.__main__ import main
from bot.clock import LONDON
from bot.domain.boards import ReviewType
from bot.services.cases import ReferCase, refer_case
from store.db import make_engine
from store.uow import make_uow_factory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "board.toml"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


@pytest.fixture
def cli(empty_database_url, monkeypatch, capsys):
    """Run ``casedesk ARGS`` in-process against a fresh database; returns (status, out, err)."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("CASEDESK_BOARD", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def synced(cli, empty_database_url) -> str:
    """A migrated database with the example boards and one referral; returns the reference."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("board", "sync", "--file", str(EXAMPLE))[0] == 0
    engine = make_engine(empty_database_url)
    try:
        with make_uow_factory(engine)() as uow:
            cmd = ReferCase(
                "surrey-children",
                "U0TOM00003",
                ReviewType.SCR,
                "Child A",
                subject_name="Zebedee Quartermain",
            )
            return refer_case(cmd, uow=uow, now=NOW).case.reference
    finally:
        engine.dispose()


def test_db_upgrade_migrates_an_empty_database_and_says_to_which_revision(cli):
    status, out, _ = cli("db", "upgrade")
    again = cli("db", "upgrade")
    assert status == 0 and out.strip().endswith("is at revision 0006")
    assert again[0] == 0 and again[1] == out


def test_db_upgrade_names_an_unreachable_database_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://casedesk:s3cret@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "casedesk: cannot migrate the database postgresql+psycopg://casedesk:***@"
    )
    assert "s3cret" not in err and len(err.strip().splitlines()) == 1


def test_board_sync_reads_casedesk_board_and_the_second_run_changes_nothing(cli, monkeypatch):
    cli("db", "upgrade")
    monkeypatch.setenv("CASEDESK_BOARD", str(EXAMPLE))
    status, out, _ = cli("board", "sync")
    assert status == 0
    assert "boards created (2): surrey-children, stockport-adults" in out
    assert "members added (11)" in out
    status, out, _ = cli("board", "sync")
    assert (status, out.strip()) == (0, f"{EXAMPLE}: the database already matches; nothing changed")


def test_board_sync_without_a_file_says_what_to_set(cli):
    cli("db", "upgrade")
    status, _, err = cli("board", "sync")
    assert (status, err.strip()) == (
        2,
        "casedesk: set CASEDESK_BOARD to the board file's path, or pass --file",
    )


def test_board_sync_before_the_migration_says_to_run_it(cli):
    status, _, err = cli("board", "sync", "--file", str(EXAMPLE))
    assert status == 2 and "run `casedesk db upgrade` first" in err


def test_a_broken_board_file_is_reported_with_file_line_and_field(cli, tmp_path):
    cli("db", "upgrade")
    bad = tmp_path / "board.toml"
    bad.write_text(EXAMPLE.read_text().replace('nation = "england"', 'nation = "engalnd"', 1))
    status, out, err = cli("board", "sync", "--file", str(bad))
    assert status == 2 and out == ""
    assert err.startswith(f"casedesk: {bad}:12, field 'boards[surrey-children].nation': ")


def test_audit_export_writes_one_cases_events_as_json_lines(cli, synced):
    status, out, err = cli("audit", "export", "--case", synced.lower(), "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and err.strip() == "casedesk: 1 audit events exported"
    assert [(r["action"], r["case_reference"], r["actor"]) for r in records] == [
        ("case_referred", synced, "U0TOM00003")
    ]
    assert records[0]["after"]["pseudonym"] == "Child A"
    assert "Zebedee" not in out


def test_audit_export_writes_every_event_as_csv(cli, synced):
    status, out, _ = cli("audit", "export")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and len(rows) == 2 + 11 + 1
    assert {r["action"] for r in rows} == {"board_created", "member_added", "case_referred"}
    assert json.loads(rows[-1]["after"])["reference"] == synced
    assert "Zebedee" not in out


def test_audit_export_of_an_unknown_case_writes_nothing(cli, synced):
    status, out, err = cli("audit", "export", "--case", "SCR-2099-999")
    assert (status, out, err.strip()) == (2, "", "casedesk: no case SCR-2099-999")


def test_audit_verify_passes_then_catches_a_tampered_row(cli, synced, empty_database_url):
    status, out, _ = cli("audit", "verify")
    assert status == 0 and "audit trail intact: 14 events in 2 chains" in out
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(
                text("UPDATE audit_events SET actor = 'U0GRA00005' WHERE action = 'case_referred'")
            )
    finally:
        engine.dispose()
    status, out, err = cli("audit", "verify")
    assert status == 1
    assert "TAMPERED: audit chain 'surrey-children', number 8" in out
    assert "its contents were changed after it was written" in out
    assert "NOT intact" in err


@pytest.mark.entry_point
def test_the_installed_command_runs_the_whole_round(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'casedesk.db'}"}
    env["CASEDESK_BOARD"] = str(EXAMPLE)

    def casedesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert casedesk("db", "upgrade").returncode == 0
    assert "boards created (2)" in casedesk("board", "sync").stdout
    verified = casedesk("audit", "verify")
    assert verified.returncode == 0 and "13 events in 2 chains" in verified.stdout
