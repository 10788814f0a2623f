"""The interactive client's pieces that need no terminal: which input is a client command,
when Enter runs the input, what Tab offers, and how a script is split with its lines."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from core.api import script_statements
from tui.backend.base import Catalog
from tui.client.commands import Command, complete, parse_command, split_terminator
from tui.client.completer import SQLCompleter
from tui.client.output import ok_line, rows_line, vertical


def test_client_commands_are_read_as_mysql_reads_them():
    assert parse_command("use shop") == Command("use", "shop")
    assert parse_command("use `my db`;") == Command("use", "my db")
    assert parse_command("\\u shop") == Command("use", "shop")
    assert parse_command("source /tmp/x.sql;") == Command("source", "/tmp/x.sql")
    assert parse_command("\\. x.sql") == Command("source", "x.sql")
    assert parse_command("status") == Command("status")
    assert parse_command("\\s") == Command("status")
    assert parse_command("QUIT;") == Command("quit")
    assert parse_command("help select") == Command("help")
    assert parse_command("\\P sed s/x/y/") == Command("pager", "sed s/x/y/")
    # SQL that merely starts with such a word is SQL
    assert parse_command("SELECT status FROM t;") is None
    assert parse_command("status_table") is None
    assert parse_command("use\nshop") is None


def test_enter_runs_only_a_finished_statement():
    assert split_terminator("SELECT 1;") == ("SELECT 1", ";")
    assert split_terminator("SELECT *\nFROM t\\G") == ("SELECT *\nFROM t", "G")
    assert split_terminator("SELECT 'a;'") is None  # the ; is inside the string
    assert split_terminator("SELECT 'it''s \\G") is None  # an open string
    assert split_terminator("SELECT 1 -- done;") is None  # in a comment
    assert split_terminator("SELECT 1") is None
    assert complete("") and complete("status") and complete("SELECT 1;")
    assert complete("SELECT 1 \\c")
    assert not complete("SELECT 1") and not complete("SELECT 'a;")


def _offers(completer: SQLCompleter, text: str) -> list[str]:
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]


def test_tab_offers_what_fits_where_the_cursor_is():
    c = SQLCompleter()
    c.catalog = Catalog({"shop": {"customers": ["id", "name", "city"], "orders": ["id", "total"]},
                         "test": {"t": ["a"]}, "archive": {}})
    c.database = "shop"
    assert _offers(c, "SELECT na") == ["name"]
    assert _offers(c, "SELECT * FROM cu") == ["customers"]
    assert _offers(c, "SELECT * FROM o") == ["orders"]
    assert _offers(c, "USE ar") == ["archive"]
    assert _offers(c, "SELECT customers.ci") == ["city"]
    assert _offers(c, "SELECT * FROM test.") == ["t"]
    assert "SELECT" in _offers(c, "SEL") and "select" in _offers(c, "sel")
    assert "source" in _offers(c, "sou")  # a client command, at the start only
    assert "source" not in _offers(c, "SELECT sou")


def test_script_statements_keep_their_lines_and_what_precedes_an_open_quote():
    got = script_statements("SELECT 1; SELEC 2;\n\n-- note\nSELECT\n 3")
    assert [(s.text, s.line, s.error) for s in got] == [
        ("SELECT 1", 1, None), ("SELEC 2", 1, None), ("SELECT\n 3", 4, None)]
    got = script_statements("SELECT 1;\n SELECT 'abc;\nSELECT 3;")
    assert [(s.text, s.line) for s in got] == [("SELECT 1", 1), ("SELECT 'abc;\nSELECT 3;", 2)]
    assert got[0].error is None and got[1].error.errno == 1064
    assert script_statements("  ;; \n") == []


def test_result_lines_are_mysqls():
    assert rows_line(3, 0.012) == "3 rows in set (0.01 sec)"
    assert rows_line(0, 0, [("Warning", 1, "x")]) == "Empty set, 1 warning (0.00 sec)"
    assert ok_line(1, 0, [("Warning", 1, "x")] * 2) == \
        "Query OK, 1 row affected, 2 warnings (0.00 sec)"
    assert vertical(["id", "name"], [(1, None)]).splitlines() == [
        "*************************** 1. row ***************************",
        "  id: 1", "name: NULL"]
