"""User text shown safely: Markdown on the pages, the terminal on the command line."""

from __future__ import annotations

import json
import re

import pytest

from core import escape
from core.cli import main


@pytest.mark.parametrize("text, shown", [
    ("![](http://host/x).json", r"!\[\](http://host/x).json"),
    ("[click](http://host/)", r"\[click\](http://host/)"),
    ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
    ("*bold* _it_ `code` ~~gone~~ $x^2$ a|b", r"\*bold\* \_it\_ \`code\` \~\~gone\~\~ \$x^2\$ a\|b"),
    (":red[alarm]", r":red\[alarm\]"),
    ("back\\slash", r"back\\slash"),
    ("set OPENAI_API_KEY", "set OPENAI_API_KEY"),
    ("two\nlines\r\n# heading", "two lines # heading"),
    ("esc\x1b[31m bel\x07", r"esc\\x1b\[31m bel\\x07"),  # the visible escape renders as \x1b
    ("comma-separated 1.5 (ok)", "comma-separated 1.5 (ok)"),  # plain punctuation reads as written
])
def test_markdown_escapes_what_starts_a_construct(text, shown):
    assert escape.markdown(text) == shown


def test_terminal_makes_controls_visible_and_keeps_lines():
    assert escape.terminal("a\x1b]0;owned\x07b\n\tc\x9b2J\u202etxt.exe") == "a\\x1b]0;owned\\x07b\n\tc\\x9b2J\\u202etxt.exe"
    assert escape.terminal("a\nb", keep="") == "a\\x0ab"


def test_json_text_stays_valid_json_for_the_same_value():
    value = {"name": "x\x1b[2J\x9b31m\u202eevil\x7f"}
    raw = json.dumps(value, ensure_ascii=False)
    safe = escape.json_text(raw)
    assert json.loads(safe) == value and "\x9b" not in safe and "\u202e" not in safe and "\x7f" not in safe


def test_cli_error_line_and_output_carry_no_raw_control_characters(tmp_path, capsys):
    assert main(["seo", "--text-file", str(tmp_path / "evil\x1b]0;owned\x07.txt")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "evil\\x1b]0;owned\\x07.txt" in err
    doc = tmp_path / "doc.md"
    doc.write_text("Dental care\x1b[2J is easy. Brush twice a day.", encoding="utf-8")
    assert main(["seo", "--text-file", str(doc), "--keyword", "dental\x9bcare", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "\x9b" not in out and "\x1b" not in out


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_no_text_can_open_a_markdown_construct_or_reach_the_terminal_raw(text):
    shown = escape.markdown(text)
    bare = re.sub(r"\\.", "", shown)  # what is left once every backslash escape is taken out
    assert not set(bare) & set("[]<>`*$~|\\") and "\n" not in shown
    assert not escape._CONTROL.search(shown) and not escape._CONTROL.search(escape.terminal(text, keep=""))
