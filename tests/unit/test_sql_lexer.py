"""core.sql.lexer: the one MySQL lexer the engine's `%s` rewrite and the console's editor share."""

from __future__ import annotations

import random

import pytest

from core.sql.lexer import scan


def pieces(sql: str) -> list[tuple[str, str]]:
    return [(kind, sql[a:b]) for kind, a, b in scan(sql)]


def test_pieces_cover_the_text_in_order():
    sql = "SELECT 'a', `b` FROM t -- c\n WHERE x = \"d\"; /* e */ #f"
    out = list(scan(sql))
    assert out[0][1] == 0 and out[-1][2] == len(sql)
    assert all(a[2] == b[1] for a, b in zip(out[:-1], out[1:], strict=True))
    assert "".join(sql[a:b] for _k, a, b in out) == sql


def test_quotes_with_backslash_and_doubled_escapes():
    assert pieces(r"x = 'it''s \'q\' ;' + 1") == [
        ("code", "x = "), ("string", r"'it''s \'q\' ;'"), ("code", " + 1")]
    assert pieces(r'"a\"b""c"') == [("string", r'"a\"b""c"')]
    assert pieces(r"'a\\' , 'b'") == [("string", r"'a\\'"), ("code", " , "), ("string", "'b'")]


def test_backticks_double_but_never_backslash():
    assert pieces(r"`a``b\` = 1") == [("string", r"`a``b\`"), ("code", " = 1")]
    assert pieces("`x;y`;") == [("string", "`x;y`"), (";", ";")]


@pytest.mark.parametrize("sql", ["'abc", "'abc\\", "'a''", '"abc', "`abc", "`a``"])
def test_an_unterminated_quote_runs_to_the_end(sql):
    assert pieces("SELECT " + sql) == [("code", "SELECT "), ("string", sql)]


def test_hash_comment_ends_before_the_newline():
    assert pieces("a # b; 'c\nd") == [("code", "a "), ("comment", "# b; 'c"), ("code", "\nd")]


@pytest.mark.parametrize("after", [" ", "\t", "\n", "\r", "\f", "\v", "\x00", "\x01", "\x7f"])
def test_double_dash_then_space_or_control_character_is_a_comment(after):
    sql = f"SELECT 1 --{after}x;"
    out = pieces(sql)
    assert out[0] == ("code", "SELECT 1 ")
    assert out[1][0] == "comment"
    if after == "\n":
        assert out[1:] == [("comment", "--"), ("code", "\nx"), (";", ";")]
    else:
        assert out[1:] == [("comment", f"--{after}x;")]


def test_double_dash_at_the_end_is_a_comment():
    assert pieces("SELECT 1--") == [("code", "SELECT 1"), ("comment", "--")]


@pytest.mark.parametrize("sql", ["SELECT 1--1", "SELECT 1 --x", "a --- b"])
def test_double_dash_before_other_characters_is_code(sql):
    out = pieces(sql)
    if sql == "a --- b":  # the second and third dash make `-- b`
        assert out == [("code", "a -"), ("comment", "-- b")]
    else:
        assert out == [("code", sql)]


def test_block_comments_and_unterminated_ones():
    assert pieces("a /* b; 'c */ d") == [("code", "a "), ("comment", "/* b; 'c */"),
                                         ("code", " d")]
    assert pieces("a /*/ b */") == [("code", "a "), ("comment", "/*/ b */")]
    assert pieces("a /* b; 'c") == [("code", "a "), ("comment", "/* b; 'c")]
    assert pieces("a / * b") == [("code", "a / * b")]


def test_semicolons_split_only_outside_strings_and_comments():
    sql = "SELECT 'a;b'; SELECT \"c;d\" -- e;f\n; # g;\nSELECT `h;i`"
    assert [sql[a:b] for k, a, b in scan(sql) if k == ";"] == [";", ";"]
    assert sum(1 for k, _a, _b in scan(sql) if k == ";") == 2


def test_empty_text_has_no_pieces():
    assert list(scan("")) == []


def test_never_raises_and_always_covers_the_text():
    rng = random.Random(8)
    alphabet = "ab '\"`\\#-/*;\n\f%s"
    for _ in range(2000):
        sql = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        out = list(scan(sql))
        assert "".join(sql[a:b] for _k, a, b in out) == sql
        assert all(a < b for _k, a, b in out)
