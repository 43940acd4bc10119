"""Competitor crawler and analysis, against local fixture sites only (never the internet)."""

from __future__ import annotations

import json
import socket
import threading
import time

import numpy as np
import pytest

from core import competitors as comp
from core.competitors import PoliteFetcher, UnsafeURLError, check_url, extract_page, find_offers, find_prices
from core.warehouse import Warehouse
from tests.competitor_site import FIXTURES, CompetitorSite
from tests.net_fakes import PUBLIC_IP, RebindingResolver, RecordingConnector


def _resolver(mapping: dict[str, str]):
    """A getaddrinfo stand-in: the mapped hosts resolve where the test says, the rest for real."""
    def resolve(host, port, *args, **kwargs):
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (mapping[host], port))]
        return socket.getaddrinfo(host, port, *args, **kwargs)
    return resolve


def _fast_fetcher(**kw) -> PoliteFetcher:
    opts = dict(allow_private=True, delay_s=0.02, timeout_s=0.5, max_bytes=500_000, retries=1, backoff_s=0.05)
    opts.update(kw)
    return PoliteFetcher(**opts)


# ------------------------------------------------------------------ SSRF guard


@pytest.mark.parametrize("addr", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254",
                                  "100.64.0.1", "0.0.0.0", "::1", "fd00:ec2::254", "::ffff:127.0.0.1", "fe80::1"])
def test_private_loopback_link_local_and_metadata_addresses_are_refused(addr):
    with pytest.raises(UnsafeURLError):
        check_url("http://victim.test/", resolver=_resolver({"victim.test": addr}))
    assert check_url("http://victim.test/", allow_private=True, resolver=_resolver({"victim.test": addr}))


def test_public_address_passes_and_bad_urls_fail():
    assert check_url("https://shop.test/p", resolver=_resolver({"shop.test": "93.184.216.34"}))
    for bad in ("ftp://shop.test/", "file:///etc/passwd", "http:///nohost", "http://user:pw@shop.test/"):
        with pytest.raises(UnsafeURLError):
            check_url(bad, resolver=_resolver({"shop.test": "93.184.216.34"}))


def test_default_fetcher_refuses_the_local_server_and_its_literal_ip():
    with CompetitorSite("acme") as site:
        res = PoliteFetcher(delay_s=0).fetch(site.url)
        assert res.outcome == "blocked" and "loopback" in res.error
        with pytest.raises(UnsafeURLError):
            comp.crawl_site(site.url, fetcher=PoliteFetcher(delay_s=0))
        assert sum(site.hits.values()) == 0  # nothing reached the server, not even robots.txt


def test_no_redirect_into_a_private_address():
    with CompetitorSite("acme") as site:
        # shop.test is public (played by the local site); its redirect to 127.0.0.1 must not be followed.
        port = int(site.url.rsplit(":", 1)[1].strip("/"))
        conn = RecordingConnector(public_to=port)
        fetcher = PoliteFetcher(delay_s=0, timeout_s=2, resolver=_resolver({"shop.test": PUBLIC_IP}), connector=conn)
        res = fetcher.fetch(f"http://shop.test:{port}/go-internal")
        assert res.outcome == "blocked" and "127.0.0.1" in res.final_url
        assert site.hits["/go-internal"] == 1 and site.hits["/pricing.html"] == 0
        assert {ip for ip, _ in conn.dialled} == {PUBLIC_IP}


@pytest.mark.parametrize("public_answers", [1, 2, 5])
def test_dns_rebinding_is_refused_before_any_byte_is_sent(public_answers):
    """The name answers public to the check, then 127.0.0.1: the socket never reaches the local server."""
    with CompetitorSite("acme") as site:
        port = int(site.url.rsplit(":", 1)[1].strip("/"))
        resolver, conn = RebindingResolver(public_answers), RecordingConnector()
        fetcher = PoliteFetcher(delay_s=0, timeout_s=2, retries=0, resolver=resolver, connector=conn)
        res = fetcher.fetch(f"http://localhost:{port}/pricing.html")  # the OS would say 127.0.0.1
        assert res.outcome in ("blocked", "robots", "error") and not res.ok  # robots.txt unreachable: disallow
        assert sum(site.hits.values()) == 0  # not even robots.txt
        assert all(ip == PUBLIC_IP for ip, _ in conn.dialled)  # only ever the address the guard approved
        if public_answers == 1:
            assert res.outcome == "blocked" and "127.0.0.1 (loopback)" in res.error and conn.dialled == []


# ------------------------------------------------------------------ politeness against a local server


@pytest.fixture(scope="module")
def crawl():
    """One crawl of the acme fixture site, shared by the politeness tests."""
    with CompetitorSite("acme", slow_s=1.5, huge_bytes=40_000_000) as site:
        fetcher = _fast_fetcher()
        seen = []
        frame = comp.crawl_site(site.url, fetcher=fetcher, max_pages=20, competitor="Acme", with_entities=True,
                                progress=lambda done, total, url: seen.append((done, total, url)))
        yield site, frame.set_index("url"), seen


def test_crawl_honours_robots_txt(crawl):
    site, frame, _ = crawl
    assert site.hits["/private/plans.html"] == 0
    assert frame.loc[site.url + "private/plans.html", "outcome"] == "robots"
    assert site.hits["/robots.txt"] == 1  # read once per host


def test_crawl_retries_500_and_429_with_backoff(crawl):
    site, frame, _ = crawl
    broken = frame.loc[site.url + "broken.html"]
    assert broken["status"] == 500 and broken["outcome"] == "http_error" and broken["attempts"] == 2
    assert site.hits["/broken.html"] == 2
    busy = frame.loc[site.url + "busy.html"]
    assert busy["outcome"] == "ok" and busy["attempts"] == 2 and busy["title"] == "Webinars"
    t = [ts for p, ts in site.times if p == "/busy.html"]
    assert t[1] - t[0] >= 0.95  # Retry-After: 1 honoured


def test_crawl_times_out_slow_pages_and_caps_huge_ones(crawl):
    site, frame, _ = crawl
    slow = frame.loc[site.url + "slow.html"]
    assert slow["outcome"] == "error" and "Timeout" in slow["error"]
    huge = frame.loc[site.url + "huge.html"]
    assert huge["outcome"] == "too_large" and huge["bytes"] == 0
    assert site.huge_sent < site.huge_bytes  # we hung up long before the end


def test_crawl_checks_content_type_and_stays_on_site(crawl):
    site, frame, _ = crawl
    assert frame.loc[site.url + "catalogue", "outcome"] == "not_html"
    assert not any("example.com" in u for u in frame.index)
    assert site.user_agents == {comp.USER_AGENT}
    ok = frame[frame["outcome"] == "ok"]
    assert {site.url, site.url + "pricing.html", site.url + "features.html"} <= set(ok.index)
    assert all(len(h) == 64 for h in ok["content_hash"])
    alias = frame.loc[site.url + "go-internal"]  # redirects (allowed here) to the pricing page already read
    assert alias["outcome"] == "duplicate" and alias["error"].endswith("pricing.html")


def test_crawl_reports_progress_and_keeps_the_page_budget():
    with CompetitorSite("acme") as site:
        calls = []
        frame = comp.crawl_site(site.url, fetcher=_fast_fetcher(), max_pages=3, with_entities=False,
                                progress=lambda d, t, u: calls.append(d))
        reached = frame[~frame["outcome"].isin(["robots", "blocked"])]
        assert len(reached) == 3
        assert calls[0] == 0 and calls[-1] == 3


def test_one_request_at_a_time_per_host_with_a_delay():
    with CompetitorSite("acme") as site:
        fetcher = _fast_fetcher(delay_s=0.25)
        fetcher.fetch(site.url)  # reads robots.txt first
        urls = [site.url + p for p in ("features.html", "pricing.html", "index.html", "features.html")]
        threads = [threading.Thread(target=fetcher.fetch, args=(u,)) for u in urls]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert site.max_active == 1
        assert time.monotonic() - start >= 4 * 0.25 - 0.05
        stamps = sorted(ts for _, ts in site.times)
        assert min(np.diff(stamps)) >= 0.2


# ------------------------------------------------------------------ extraction


def test_extracts_bootstrap_pricing_table_with_plans_and_periods():
    page = extract_page((FIXTURES / "bootstrap-4.6-pricing-example.html").read_bytes(), "http://x.test/")
    assert page["title"] == "Pricing example · Bootstrap v4.6"
    got = [(p["plan"], p["amount"], p["currency"], p["period"]) for p in page["prices"]]
    assert got == [("Free", 0.0, "USD", "month"), ("Pro", 15.0, "USD", "month"),
                   ("Enterprise", 29.0, "USD", "month")]
    assert {"Sign up for free", "Get started", "Contact us"} <= set(page["ctas"])
    assert "Quickly build an effective pricing table" in page["text"]
    assert "Cool stuff" not in page["text"] and "Company name" not in page["text"]  # footer and header bar gone
    assert page["headings"][0] == {"level": 1, "text": "Pricing"}


def test_extracts_tailwind_landing_page():
    page = extract_page((FIXTURES / "tailwindtoolbox-landing-page.html").read_bytes(), "http://y.test/")
    assert page["description"] == "Simple landind page"
    assert [(p["plan"], p["amount"], p["currency"]) for p in page["prices"]] == [("Free", 0.0, "GBP")]
    assert "Sign Up" in page["ctas"]


def test_price_and_offer_patterns():
    got = find_prices("Plans from $15/mo, £9.99 per user per month, €120 per year, USD 49 / seat / month, $1,299.")
    assert [(p["amount"], p["currency"], p["period"], p["unit"]) for p in got] == [
        (15.0, "USD", "month", None), (9.99, "GBP", "month", "user"), (120.0, "EUR", "year", None),
        (49.0, "USD", "month", "seat"), (1299.0, "USD", None, None)]
    assert find_prices("no prices, just 15 users and 20%") == []
    offers = find_offers("Get 20% off annual plans. Start your 14-day free trial - no credit card required. "
                         "Start a free trial!")
    assert offers == ["20% off annual plans", "14-day free trial", "no credit card required"]


def test_spacy_entities():
    page = extract_page((FIXTURES / "acme" / "index.html").read_bytes(), "http://acme.test/")
    ents = {(e["text"], e["label"]) for e in comp.entities(page["title"] + "\n" + page["text"])}
    assert ("London", "GPE") in ents and ("New York", "GPE") in ents
    assert any(lab == "ORG" and "Acme" in t for t, lab in ents)


# ------------------------------------------------------------------ storage, re-crawl and analysis


def test_recrawl_is_stored_and_the_change_log_shows_price_moves_and_new_offers(tmp_path):
    wh = Warehouse.open(tmp_path / "w.duckdb")
    try:
        with CompetitorSite("acme", slow_s=0.05) as a, CompetitorSite("globex") as b:
            comp.add_site(wh, "Acme", a.url, allow_private=True)
            comp.add_site(wh, "Globex", b.url, allow_private=True)
            with pytest.raises(UnsafeURLError):
                comp.add_site(wh, "Local", a.url)  # private addresses need the setting
            fetcher = _fast_fetcher(max_bytes=200_000, timeout_s=1.0)
            comp.crawl_all(wh, fetcher=fetcher, max_pages=6, with_entities=False)
            a.version = 2
            comp.crawl_all(wh, fetcher=fetcher, max_pages=6, with_entities=False)
        stored = wh.load_state("competitors_fetches")
        assert stored["crawl_id"].nunique() == 2
        assert {"url", "competitor", "crawl_id", "fetched_at", "status", "content_hash", "text", "title",
                "prices"} <= set(stored.columns)
        f = comp.fetches(wh)
        log = comp.change_log(f)
        rows = {(r.change, r.before, r.after) for r in log.itertuples()}
        assert ("price moved", "Pro: USD 15/month", "Pro: USD 19/month (+27%)") in rows
        assert ("new price", "", "Team: GBP 9.99 per user") in rows
        assert ("price removed", "Enterprise: USD 29/month", "") in rows
        assert {"20% off annual plans this month", "14-day free trial"} <= set(log.loc[log.change == "new offer",
                                                                                         "after"])
        assert (log["competitor"] == "Acme").all()  # Globex did not change

        c = comp.compare(f)
        assert set(c.prices["competitor"]) == {"Acme", "Globex"}
        assert c.prices.query("competitor == 'Acme' and plan == 'Pro'")["amount"].tolist() == [19.0]
        kw = c.keywords.groupby("competitor")["keyword"].apply(list)
        assert "dashboards" in kw["Acme"][:10] or "attribution" in kw["Acme"][:10]
        assert any(w in kw["Globex"] for w in ("lorem", "ipsum", "lorem ipsum"))
        sim = c.similarity.set_index("competitor")
        assert sim.loc["Acme", "Acme"] == pytest.approx(1.0) and sim.loc["Acme", "Globex"] < 0.5
        assert len(c.map) == 2 and len(c.topics) >= 2
        assert np.allclose(c.topic_weights.drop(columns="competitor").sum(axis=1), 1.0, atol=1e-3)
    finally:
        wh.close()


def test_compare_without_pages_is_a_clear_error():
    with pytest.raises(comp.NotEnoughDataError):
        comp.compare(comp.fetches(Warehouse.in_memory()))


def test_classical_mds_recovers_distances():
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    D = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    got = comp.classical_mds(D)
    assert np.allclose(np.linalg.norm(got[:, None] - got[None], axis=-1), D, atol=1e-8)


def test_fetch_record_is_json_ready():
    rec = comp.fetch_record(comp.Fetch("http://a.test/", "http://a.test/", status=200, body=b"x"),
                            {"prices": [{"amount": 1.0}]}, competitor="A", crawl_id="c1")
    assert json.loads(rec["prices"]) == [{"amount": 1.0}] and len(rec["content_hash"]) == 64


def test_chart_builders_return_figures():
    import pandas as pd

    from core.charts import competitors as charts

    prices = pd.DataFrame([{"competitor": "A", "url": "u", "plan": "Pro", "amount": 15.0, "currency": "USD",
                            "period": "month", "unit": None, "text": "$15/mo"}] * 2)
    fig = charts.prices(prices)
    assert len(fig.data) == 1 and list(fig.data[0].y) == [15.0]  # duplicates (aliases) drawn once
    assert len(charts.similarity_map(pd.DataFrame({"competitor": ["A", "B"], "x": [0, 1], "y": [0, 0]})).data)
    assert len(charts.topic_mix(pd.DataFrame()).data) == 0


def test_robots_crawl_delay_wins_over_a_shorter_delay():
    from protego import Protego

    with CompetitorSite("acme") as site:
        fetcher = _fast_fetcher(delay_s=0.0)
        rp = Protego.parse("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n")
        fetcher._robots[fetcher._host(site.url)] = rp  # as if read from the site
        fetcher.fetch(site.url + "features.html")
        fetcher.fetch(site.url + "pricing.html")
        stamps = [ts for _, ts in site.times]
        assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.95


def test_robots_txt_server_error_means_disallow_and_missing_means_allow():
    with CompetitorSite("robots-down") as down, CompetitorSite("globex") as globex:
        fetcher = _fast_fetcher(retries=0)
        assert fetcher.fetch(down.url).outcome == "robots"
        assert down.hits["/"] == 0
        assert fetcher.fetch(globex.url).outcome == "ok"  # robots.txt 404: everything allowed



# ------------------------------------------------------------------ robots.txt by RFC 9309 (Protego)

ROBOTS = """User-agent: *
Disallow: /*.pdf$
Disallow: /private/
Allow: /private/press/
Disallow: /shop/*/checkout
Allow: /shop/*/checkout/help$
Crawl-delay: 2

User-agent: OtherBot
Disallow: /
"""


def _robots_fetcher(text: str) -> PoliteFetcher:
    from protego import Protego

    fetcher = _fast_fetcher()
    fetcher._robots["http://site.test"] = Protego.parse(text)
    return fetcher


@pytest.mark.parametrize("path, allowed", [
    ("/brochure.pdf", False),            # wildcard + end anchor
    ("/brochure.pdf?download=1", True),  # $ anchors the end: this is not a .pdf URL
    ("/files/2026/price-list.pdf", False),
    ("/brochure.pdfx", True),
    ("/private/plans.html", False),
    ("/private/press/launch.html", True),   # the longer Allow beats the shorter Disallow
    ("/shop/red-shoes/checkout", False),
    ("/shop/red-shoes/checkout/help", True),
    ("/shop/red-shoes/checkout/help/more", False),
    ("/pricing.html", True),
])
def test_robots_txt_follows_rfc_9309(path, allowed):
    assert _robots_fetcher(ROBOTS).allowed("http://site.test" + path) is allowed


def test_robots_txt_allow_wins_a_tie_and_the_specific_group_wins_over_star():
    tie = "User-agent: *\nDisallow: /page\nAllow: /page\n"
    assert _robots_fetcher(tie).allowed("http://site.test/page")
    ours = f"User-agent: *\nDisallow: /\n\nUser-agent: {comp.USER_AGENT.split('/')[0]}\nAllow: /\n"
    assert _robots_fetcher(ours).allowed("http://site.test/anything")
    assert _robots_fetcher(ROBOTS).robots("http://site.test/").crawl_delay(comp.USER_AGENT) == 2.0


# ------------------------------------------------------------------ prices in every convention (price-parser)


@pytest.mark.parametrize("text, expected", [
    ("€1.299,00 per year", (1299.0, "EUR", "year")),
    ("19,99 €", (19.99, "EUR", None)),
    ("CHF 49", (49.0, "CHF", None)),
    ("$1,234.56", (1234.56, "USD", None)),
    ("49 CHF / month", (49.0, "CHF", "month")),
    ("CHF 1'299.50 yearly", (1299.5, "CHF", "year")),
    ("ab 1 299,00 EUR pro Jahr", (1299.0, "EUR", None)),
    ("£9.99/mo", (9.99, "GBP", "month")),
    ("€1.299 a year", (1299.0, "EUR", "year")),   # three digits after the dot: thousands
    ("€12.50 a month", (12.5, "EUR", "month")),
    ("A$29 per user per month", (29.0, "AUD", "month")),
])
def test_prices_in_european_swiss_and_us_conventions(text, expected):
    (p,) = find_prices(text)
    assert (p["amount"], p["currency"], p["period"]) == expected


def test_no_price_without_a_currency_and_none_inside_words():
    assert find_prices("15 users, 20% off, version 1.299, Chfoo 12, EURO 2024") == []


def test_extract_page_reads_european_prices_in_cards():
    html = """<main><h1>Preise</h1><p>Wählen Sie Ihren Plan für die Praxis und sparen Sie Zeit bei jedem Termin.</p>
      <div class="card"><h3>Basis</h3><p>19,99 € / month</p></div>
      <div class="card"><h3>Praxis</h3><p>€1.299,00 per year</p></div>
      <div class="card"><h3>Schweiz</h3><p>CHF 49 per month</p></div></main>"""
    got = [(p["plan"], p["amount"], p["currency"], p["period"]) for p in extract_page(html)["prices"]]
    assert got == [("Basis", 19.99, "EUR", "month"), ("Praxis", 1299.0, "EUR", "year"),
                   ("Schweiz", 49.0, "CHF", "month")]


# ------------------------------------------------------------------ the sample's rivals, from local snapshots


def test_sample_snapshots_crawl_three_competitors_with_price_changes():
    from core.competitors import snapshots

    wh = Warehouse.in_memory()
    summary = comp.load_snapshots(wh)
    assert summary == {"competitors": 3, "crawls": 2, "pages": 27}
    f = comp.fetches(wh)
    assert f["crawl_id"].nunique() == 2 and set(f["outcome"]) == {"ok", "robots"}
    # robots.txt honoured on the snapshots: a wildcard rule, directories, the bot's own group with its Allow
    refused = set(f.loc[f["outcome"] == "robots", "url"].str.replace(r"https://www\.[a-z]+\.example", "", regex=True))
    assert {"/implants.html?print=1", "/patient-portal/login.html", "/admin/", "/book/appointment.html"} <= refused
    assert "/book/insurance.html" in set(f.loc[f["outcome"] == "ok", "url"].str.replace(
        r"https://www\.[a-z]+\.example", "", regex=True))
    c = comp.compare(f)
    assert set(c.prices["competitor"]) == {"Lone Star Smiles", "Prairie Implant Center", "Red River Family Dental"}
    moved = c.changes[c.changes["change"] == "price moved"]
    assert set(moved["competitor"]) == {"Lone Star Smiles", "Prairie Implant Center", "Red River Family Dental"}
    assert "Single implant with crown: USD 2995 (-8%)" in set(moved["after"])
    assert "new page" in set(c.changes["change"]) and "new offer" in set(c.changes["change"])
    assert c.prices.query("plan == 'All-on-4 full arch'")["amount"].tolist() == [19900.0]  # a table row's label
    assert snapshots.snapshot_versions() == ["v1", "v2"]
    comp.load_snapshots(wh, with_entities=False)  # loading the sample again replaces, never stacks
    again = comp.fetches(wh)
    assert again["crawl_id"].nunique() == 2 and len(again) == len(f)
    assert len(comp.change_log(again)) == len(c.changes)


def test_snapshot_transport_serves_files_only_inside_the_snapshot():
    import httpx

    from core.competitors import SAMPLE_SNAPSHOTS, SnapshotTransport

    with httpx.Client(transport=SnapshotTransport(SAMPLE_SNAPSHOTS, "v1")) as client:
        ok = client.get("https://www.lonestarsmiles.example/")
        assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
        assert client.get("https://www.lonestarsmiles.example/robots.txt").text.startswith("# Lone Star")
        for url in ("https://www.lonestarsmiles.example/../../sites.json", "https://www.lonestarsmiles.example/%2e%2e/v2/index.html",
                    "https://other.example/", "https://www.lonestarsmiles.example/missing.html"):
            assert client.get(url).status_code == 404
