"""The interactive client's pieces that need no terminal: which input is a client command,
when Enter runs the input, what Tab offers, and how a script is split with its lines."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from core.api import script_statements
from tui.backend.base import Catalog
from tui.client.commands import (
    Command,
    complete,
    ends_with_command,
    parse_command,
    split_terminator,
)
from tui.client.completer import SQLCompleter
from tui.client.output import ok_line, rows_line, vertical
from tui.client.script import script_pieces
from tui.history import History


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


def test_script_lines_count_from_each_statements_first_line_of_code():
    script = ("SELECT 1; SELECT 2;\n"
              "\n"
              "/* two\nlines */ SELECT\n  3;\n"
              "-- c\n"
              "SELECT 4;SELECT 5\n;\n"
              "SELECT 'x\ny';\n"
              "SELECT 'open\n")
    found = script_statements(script)
    assert [(st.text.split()[0], st.line) for st in found] == [
        ("SELECT", 1), ("SELECT", 1), ("SELECT", 4), ("SELECT", 7), ("SELECT", 7),
        ("SELECT", 9), ("SELECT", 11)]
    assert [st.error is None for st in found] == [True] * 6 + [False]


def test_backslash_c_and_e_in_a_string_or_comment_are_text():
    assert ends_with_command("SELECT 1\\c", "c")
    assert ends_with_command("SELECT 1 \\e  ", "e")
    assert not ends_with_command("SELECT 'a;\nb\\c", "c")  # inside the open string
    assert not ends_with_command("SELECT 1 /* x\\e", "e")
    assert not complete("SELECT 'a;\nb\\c")  # Enter continues the string
    assert complete("SELECT 'a;\nb'\\c")


def test_script_pieces_read_mysql_client_syntax():
    text = ("\ufeffSELECT 1\\G\nuse shop\nSELECT 'a\\G' AS q\\g\n"
            "source 'my file.sql'\n\\. x.sql\nSELECT\nuse;\nDELIMITER //\nSELECT 1;\\G\n")
    got = [(p.line, p.sql, p.vertical, p.command, p.arg, p.error is not None)
           for p in script_pieces(text)]
    assert got == [
        (1, "SELECT 1", True, "", "", False),
        (2, "", False, "use", "shop", False),
        (3, "SELECT 'a\\G' AS q", False, "", "", False),
        (4, "", False, "source", "my file.sql", False),
        (5, "", False, "source", "x.sql", False),
        (6, "SELECT\nuse", False, "", "", False),  # `use` inside a statement is SQL
        (8, "", False, "delimiter", "//", False),
        (9, "SELECT 1", False, "", "", False),
        (9, "", False, "", "", True)]  # `;\G`: no query specified


def test_history_skips_torn_and_mistyped_lines(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_bytes(b'{"sql": "SELECT 1", "ts": 1}\n'
                     b'{"sql": null}\n'
                     b'{"sql": "SELECT 2", "rows": "many"}\n'
                     b'[1, 2]\n'
                     b'{"sql": "SELECT big", "ts": 1e20}\n'  # Ctrl+R could not show its date
                     b'{"sql": "SELECT inf", "ts": 1e999}\n'
                     b'{"sql": "SELECT 3", "database": "shop", "seconds": 0.5}\n'
                     b'{"sql": "INSERT INTO t VALUES (\xc3')
    h = History(str(path)).load()
    assert h.recent() == ["SELECT 3", "SELECT 1"]
    assert h.entries[-1].database == "shop" and h.load_error == ""
