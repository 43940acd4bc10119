"""A malformed .streamlit/secrets.toml is named in one warning instead of the app silently running offline."""

from __future__ import annotations

import pytest
from streamlit import config

from pages import _shared
from tests.pages.conftest import error_texts, open_page


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    before = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    yield path
    config.set_option("secrets.files", before)


def test_secrets_problem_names_only_an_unreadable_file(secrets_file, tmp_path):
    assert _shared.secrets_problem([tmp_path / "missing.toml"]) is None
    secrets_file.write_text('OPENAI_API_KEY = "sk-abc"\n')
    assert _shared.secrets_problem([secrets_file]) is None
    secrets_file.write_text('OPENAI_API_KEY = "sk-abc\nbad = = 3\n')
    msg = _shared.secrets_problem([secrets_file])
    assert str(secrets_file) in msg and "line 1" in msg and "sk-abc" not in msg


def test_the_app_warns_once_about_a_malformed_secrets_file(secrets_file, db_path):
    secrets_file.write_text('OPENAI_API_KEY = "sk-abc\n')
    at = open_page()  # the default page, drawn by app.py's first run
    assert not at.exception and not error_texts(at)
    warnings = [w.value for w in at.warning if "could not be read" in w.value]
    assert len(warnings) == 1 and "secrets.toml" in warnings[0]
