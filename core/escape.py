"""Text that carries user data (file names, values) made safe for where it is shown.

* :func:`markdown` for Streamlit's ``st.error`` / ``st.markdown``: a file named
  ``![](http://host/x)`` must show as that text, not make the analyst's browser fetch
  the URL; a value must not open a link, a code span, emphasis, HTML, LaTeX or a
  Streamlit colour directive. The characters that start those constructs are
  backslash-escaped (CommonMark allows a backslash before any ASCII punctuation);
  the rest of the punctuation only matters at the start of a line, and a message has
  no line breaks once :func:`visible_controls` has run, so it is left as written.
* :func:`terminal` for the command line: ESC, BEL, the 8-bit CSI and the other C0/C1
  controls (and the bidirectional overrides that reorder what a reader sees) become
  visible escapes such as ``\\x1b``, so a value cannot move the cursor, retitle the
  window or hide text.

Examples
--------
>>> markdown("![](http://host/x).json")
'!\\\\[\\\\](http://host/x).json'
>>> terminal("bad\\x1b[2Jname")
'bad\\\\x1b[2Jname'
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the bidi embeddings/overrides/isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# An underscore between two letters or digits (OPENAI_API_KEY) never starts emphasis, so it stays as written.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>$~|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_controls(text: str, *, keep: str = "") -> str:
    """Control characters (except those in ``keep``) replaced by visible escapes (``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else _visible(m), str(text))


def markdown(text: object) -> str:
    """``text`` shown literally inside Streamlit Markdown, on one line."""
    flat = visible_controls(re.sub(r"\r\n|\r|\n", " ", str(text)))
    return _MD_SPECIAL.sub(r"\\\1", flat)


def terminal(text: object, *, keep: str = "\n\t") -> str:
    """``text`` safe to print to a terminal (line breaks and tabs kept by default)."""
    return visible_controls(str(text), keep=keep)


def json_text(text: str) -> str:
    """JSON text with the controls ``json.dumps`` leaves raw (DEL, C1, bidi) written as ``\\uXXXX`` escapes.

    They can only stand inside strings, where the escape is valid JSON for the same character.
    """
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


__all__ = ["json_text", "markdown", "terminal", "visible_controls"]
