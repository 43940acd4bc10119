"""core never imports Streamlit; pages stay thin."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_has_no_streamlit_import():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_pages_hold_no_sql():
    sql_words = ("SELECT ", "INSERT INTO", "CREATE TABLE", "DELETE FROM")
    offenders = [p.name for p in (ROOT / "pages").glob("*.py")
                 if any(w in p.read_text() for w in sql_words)]
    assert offenders == []


def test_only_the_warehouse_imports_duckdb():
    users = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py") if "duckdb" in _imports(p))
    assert users and all(u.startswith("core/warehouse/") for u in users), users
