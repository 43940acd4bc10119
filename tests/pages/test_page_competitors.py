"""Competitors page: add sites, crawl local fixture sites with progress, comparison views; refusals; empty note."""

from __future__ import annotations

import re

import pytest

from tests.competitor_site import CompetitorSite
from tests.pages.conftest import error_texts, open_page


@pytest.fixture
def private_ok(db_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ALLOW_PRIVATE_URLS", "1")
    return db_path


def _add(at, name, url):
    at.text_input(key="competitors.name").input(name)
    at.text_input(key="competitors.url").input(url)
    at.button(key="competitors.add").click().run()


def test_add_crawl_recrawl_and_compare(private_ok):
    with CompetitorSite("acme") as acme, CompetitorSite("globex") as globex:
        at = open_page("competitors", timeout=120)
        assert not at.exception
        _add(at, "Acme", acme.url)
        _add(at, "Globex", globex.url)
        assert not at.exception and not error_texts(at)
        at.slider(key="competitors.max_pages").set_value(4)
        at.number_input(key="competitors.delay").set_value(0.2)
        at.toggle(key="competitors.entities").set_value(False)
        at.button(key="competitors.crawl").click().run()
        assert not at.exception and not error_texts(at)
        assert acme.hits["/pricing.html"] == 1 and acme.hits["/private/plans.html"] == 0
        frames = {tuple(d.value.columns): d.value for d in at.dataframe}
        prices = next(v for k, v in frames.items() if "amount" in k)
        assert {"Acme", "Globex"} == set(prices["competitor"])
        assert 15.0 in prices["amount"].tolist()
        assert len(at.get("plotly_chart")) >= 3 and at.tabs

        acme.version = 2
        at.button(key="competitors.crawl").click().run()
        assert not at.exception and not error_texts(at)
        changes = next(d.value for d in at.dataframe if "change" in d.value.columns)
        assert "price moved" in changes["change"].tolist()


def test_private_urls_are_refused_without_the_setting(db_path):
    with CompetitorSite("acme") as acme:
        at = open_page("competitors")
        _add(at, "Local", acme.url)
        assert not at.exception
        assert any("URL refused" in e for e in error_texts(at))
        assert sum(acme.hits.values()) == 0


def test_no_competitors_gets_a_friendly_note(db_path):
    at = open_page("competitors")
    assert not at.exception and not error_texts(at)
    assert any("No competitors yet" in i.value for i in at.info)


def test_user_text_in_an_error_is_shown_as_text_not_markdown(db_path):
    """A URL (or file name) carrying Markdown must not make the browser fetch an image or follow a link."""
    at = open_page("competitors")
    _add(at, "Evil", "ftp://x/![](http://evil.test/p.png)[click](http://evil.test/)\x1b[2J")
    (err,) = error_texts(at)
    assert "URL refused" in err and not re.search(r"(?<!\\)[\[\]<]", err)  # every bracket escaped
    assert r"!\[\](http://evil.test/p.png)\[click\]" in err and "\x1b" not in err and r"\x1b" in err


def test_the_sample_shows_three_competitors_with_price_changes(db_path, capsys):
    from core.cli import main

    assert main(["load-sample", "--db", str(db_path), "--format", "json"]) == 0
    assert '"competitors": {"competitors": 3, "crawls": 2' in capsys.readouterr().out
    at = open_page("competitors", timeout=120)
    assert not at.exception and not error_texts(at)
    frames = [d.value for d in at.dataframe]
    prices = next(f for f in frames if "amount" in f.columns)
    assert set(prices["competitor"]) == {"Lone Star Smiles", "Prairie Implant Center", "Red River Family Dental"}
    changes = next(f for f in frames if "change" in f.columns)
    assert (changes["change"] == "price moved").sum() >= 3
    assert "Single implant with crown: USD 2995 (-8%)" in changes["after"].tolist()
