"""Small parts of the console: SQL text, settings, history, results, the action registry."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tui import actions, config, sqltext
from tui.history import Entry, History
from tui.resultset import ResultBuilder, export

# -- SQL text -------------------------------------------------------------------------------


def test_split_knows_quotes_and_comments():
    sql = ("SELECT 'a;b' FROM t; -- c;omment\nUPDATE x SET a = 1;\n"
           "/* ; */ DELETE FROM y WHERE z = \";\";  SELEC 'unterminated")
    texts = [s.text for s in sqltext.split(sql)]
    assert texts == ["SELECT 'a;b' FROM t", "-- c;omment\nUPDATE x SET a = 1",
                     "/* ; */ DELETE FROM y WHERE z = \";\"", "SELEC 'unterminated"]
    for st in sqltext.split(sql):
        assert sql[st.start:st.end] == st.text


def test_leading_comments_are_left_out_of_the_history():
    assert sqltext.without_leading_comments("-- a\n/* b */ # c\n  SELECT 1 -- d") == \
        "SELECT 1 -- d"
    assert sqltext.without_leading_comments("-- only a comment") == "-- only a comment"


def test_statement_at_the_cursor():
    sql = "SELECT 1;\n\nSELECT 2;\nSELECT 3"
    assert sqltext.statement_at(sql, 3).text == "SELECT 1"
    assert sqltext.statement_at(sql, sql.index("2")).text == "SELECT 2"
    assert sqltext.statement_at(sql, 10).text == "SELECT 1"  # on the blank line after it
    assert sqltext.statement_at(sql, len(sql)).text == "SELECT 3"
    assert sqltext.statement_at("  -- nothing\n", 3) is None
    assert sqltext.offset_of(sql, 2, 3) == sql.index("ECT 2")
    assert sqltext.location_of(sql, sql.index("ECT 2")) == (2, 3)


@pytest.mark.parametrize("sql, risky", [
    ("DROP TABLE orders", True),
    ("drop database shop", True),
    ("TRUNCATE TABLE orders", True),
    ("DELETE FROM orders", True),
    ("UPDATE orders SET total = 0", True),
    ("UPDATE t SET a = (SELECT 1 FROM u WHERE x)", True),  # the WHERE is the subquery's
    ("DELETE FROM orders WHERE id = 1", False),
    ("-- why\nUPDATE orders SET total = 0 WHERE id = 3", False),
    ("SELECT * FROM orders", False),
    ("SELECT 'DROP TABLE x'", False),
])
def test_destructive_statements(sql, risky):
    assert (sqltext.destructive_reason(sql) is not None) is risky


# -- settings -------------------------------------------------------------------------------


def test_settings_flags_beat_environment_beat_file(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('theme = "nord"\nmax_rows = 10\nhistory_file = "~/h.jsonl"\n')
    monkeypatch.setenv("KINTSUGI_CONFIG", str(cfg))
    monkeypatch.delenv("KINTSUGI_HISTORY_FILE", raising=False)
    s = config.load()
    assert (s.theme, s.max_rows, s.config_file) == ("nord", 10, str(cfg))
    assert s.history_file.endswith("h.jsonl") and not s.history_file.startswith("~")
    monkeypatch.setenv("KINTSUGI_THEME", "ansi-dark")
    monkeypatch.setenv("KINTSUGI_MAX_ROWS", "20")
    s = config.load()
    assert (s.theme, s.max_rows) == ("ansi-dark", 20)
    s = config.load({"theme": "dracula", "max_rows": None})
    assert (s.theme, s.max_rows) == ("dracula", 20)
    assert s.sources == {"theme": "flag", "max_rows": "env", "history_file": "file"}


def test_settings_errors_are_clear(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("KINTSUGI_CONFIG", str(cfg))
    cfg.write_text("colour = 'x'\n")
    with pytest.raises(config.ConfigError, match="unknown setting 'colour'"):
        config.load()
    cfg.write_text("max_rows = 'many'\n")
    with pytest.raises(config.ConfigError, match="positive integer"):
        config.load()
    cfg.write_text("theme = \n")
    with pytest.raises(config.ConfigError, match="cannot read the config file"):
        config.load()


def test_default_paths_follow_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("KINTSUGI_CONFIG")
    monkeypatch.delenv("KINTSUGI_HISTORY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert config.config_path() == str(tmp_path / "cfg" / "kintsugi" / "config.toml")
    assert config.load().history_file == str(tmp_path / "data" / "kintsugi" / "history.jsonl")


# -- history --------------------------------------------------------------------------------


def test_history_survives_a_torn_line_and_keeps_its_size(tmp_path):
    path = tmp_path / "h.jsonl"
    h = History(str(path), size=3).load()
    for i in range(5):
        h.add(Entry(sql=f"SELECT {i}", status="ok"))
    h.add(Entry(sql="SELECT 4"))  # a repeat is recorded but listed once
    with open(path, "a") as f:
        f.write('{"sql": "SELECT tor')
    again = History(str(path), size=3).load()
    assert [e.sql for e in again.search("")] == ["SELECT 4", "SELECT 3"]
    assert again.recent()[0] == "SELECT 4"
    assert again.search("select 3")[0].sql == "SELECT 3"
    assert all(json.loads(line)["ts"] > 0 for line in path.read_text().splitlines()[:-1])


# -- results --------------------------------------------------------------------------------


def test_result_builder_types_and_limits():
    b = ResultBuilder(["id", "price", "at", "blob", "mixed"], max_rows=3)
    b.add([(1, Decimal("1.50"), dt.datetime(2026, 1, 1, 10), b"\x00\xff", 1),
           (2, Decimal("2.25"), None, b"ok", "x")])
    b.add([(3, Decimal("10.125"), dt.datetime(2026, 1, 2), None, None),
           (4, Decimal("1"), None, None, None)])
    t = b.table()
    assert (b.total, b.kept, b.truncated) == (4, 3, True)
    assert t.column("id").to_pylist() == [1, 2, 3]
    assert t.column("price").to_pylist() == [Decimal("1.500"), Decimal("2.250"),
                                             Decimal("10.125")]
    assert t.column("blob").to_pylist() == ["0x00ff", "ok", None]
    assert t.column("mixed").to_pylist() == ["1", "x", None]


def test_export_csv_and_json(tmp_path):
    b = ResultBuilder(["id", "name", "price", "at"])
    b.add([(1, "a,b", Decimal("1.50"), dt.datetime(2026, 1, 1, 10)), (2, None, None, None)])
    assert export(b.table(), str(tmp_path / "r.csv")) == 2
    assert (tmp_path / "r.csv").read_text().splitlines() == [
        "id,name,price,at", '1,"a,b",1.50,2026-01-01 10:00:00', "2,,,"]
    export(b.table(), str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text()) == [
        {"id": 1, "name": "a,b", "price": "1.50", "at": "2026-01-01 10:00:00"},
        {"id": 2, "name": None, "price": None, "at": None}]
    with pytest.raises(ValueError):
        export(b.table(), str(tmp_path / "r.xlsx"))


# -- the registry ---------------------------------------------------------------------------


def test_the_registry_has_no_key_declared_twice_in_one_scope():
    import tui.app  # noqa: F401 - registers the panes' actions

    seen = {}
    for a in actions.REGISTRY:
        for k in a.key_list:
            assert (a.scope, k) not in seen, (a, seen.get((a.scope, k)))
            seen[(a.scope, k)] = a
    assert {"app", "sql", "results", "editor", "recovery", "ddl", "indexes"} <= set(
        actions.SCOPES)


def test_the_console_reaches_the_engine_only_through_the_backend():
    """Only the adapter (with its recovery child's driver), the command line (and its
    interactive `kintsugi sql` client, tui/client), the demo and
    the editor's SQL reader (the engine's lexer, `core.api.scan_sql`) talk to the engine;
    the screens share nothing with it but its vocabulary: events (`core.events`) and typed
    status values (`core.status`, e.g. the recovery history record the Recovery tab's
    banner reads)."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "tui"
    allowed = {"backend/embedded.py", "backend/recovery_process.py", "cli.py", "demo.py",
               "sqltext.py", "check_cmd.py", "backup_cmd.py", "binlog_cmd.py",
               "restore_cmd.py"}  # recovery_process: the embedded adapter's recovery
    # child; *_cmd: the command line's `kintsugi check / backup / binlog / restore`
    vocabulary = {"core.events", "core.events.wording", "core.status"}
    offenders = []
    for path in root.rglob("*.py"):
        name = path.relative_to(root).as_posix()
        if name in allowed or name.startswith("client/"):  # `kintsugi sql`'s own client
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{name}: {n}" for n in names
                          if n.split(".")[0] == "core" and n not in vocabulary]
    assert offenders == []


# -- the engine's events on the console's side ------------------------------------------------


def test_one_wording_for_the_console_and_the_command_line():
    from core.events import DatabaseOpened, RecoveryFinished
    from core.events.wording import format_event

    done = RecoveryFinished(end_lsn=5, applied_records=3, discarded_transactions=1,
                            seconds=0.0123)
    assert format_event(done) == ("Recovery finished in 0.01 s: 3 row operation(s) re-applied, "
                                  "1 transaction(s) rolled back; log sequence number 5")
    # the console freezes durations for its pictures and shows the path the user typed
    assert format_event(done, seconds=lambda s: "12 ms").startswith(
        "Recovery finished in 12 ms: 3 row operation(s)")
    opened = DatabaseOpened(path="/abs/shop", lsn=7, clean=False)
    assert format_event(opened, path=lambda p: "shop") == \
        "Database shop open (recovered); log sequence number 7"


def test_the_open_state_is_told_by_the_events():
    from core.events import (
        DatabaseOpened,
        RecoveryFinished,
        RecoveryStarted,
        TransactionDiscarded,
    )
    from tui.events import OpenState

    clean = OpenState()
    clean.note(DatabaseOpened(path="/db", lsn=1, clean=True))
    assert (clean.recovered, clean.clean) == (False, True)
    crashed = OpenState()
    for e in (RecoveryStarted(checkpoint_lsn=1, path="/db"), TransactionDiscarded(9, 40),
              RecoveryFinished(end_lsn=2, applied_records=716, discarded_transactions=1,
                               seconds=0.1),
              DatabaseOpened(path="/db", lsn=2, clean=False)):
        crashed.note(e)
    assert (crashed.recovered, crashed.clean, crashed.applied, crashed.discarded) == \
        (True, False, 716, 1)
