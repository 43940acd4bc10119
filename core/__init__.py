"""Core of the marketing analyst workbench: data, models and the command line.

Nothing in this package imports Streamlit (a test enforces it), so every model the
browser shows also runs headless as ``python -m core``.

Where things are
----------------
Infrastructure (used by everything below):
    config (Settings, the only reader of the environment) · errors (titled errors) ·
    escape (user text made safe for Markdown and terminals) · hashing · net (outbound
    connections pinned to the address the SSRF guard checked) · registry (the one way
    to save a model, with its passport) · schema (the data contract as code) ·
    warehouse/ (the DuckDB workspace: connection, ingest, SQL, clients, state, lake;
    all SQL lives there) · cli (``python -m core``: parse, open, print).

Capabilities, as page <-> core <-> command:
    Data            connectors/, importers, sample_data, sample_comments  ingest, load-sample
    Overview        overview
    Recommendations objectives/ (the brief), recommendations/, report/    recommend
    Monitoring      monitoring/ (model, incidents, notify), worker/       monitor, watch, replay
    Scheduling      scheduling                                           best-times, forecast
    Sentiment       sentiment/                                           sentiment, train sentiment
    Competitors     competitors/ (guard, fetch, extract, crawl, analysis)
    Segments        segments/, clv/                                      segment, clv
    A/B bandits     bandits                                              bandit simulate
    ROI             roi                                                  roi
    Content studio  content_studio/, seo, llm                            generate, seo
    Models          lifecycle/ (families, drift, retrain, tracking)      retrain

Services and scale:
    api/ (the HTTP API) and access (roles for sign-in)                   serve-api
    lake/, batch/ (every client at once, locally or on Spark)            lake export, batch

Support: charts/ (DataFrame in, figure out; one module per capability).
"""

__version__ = "0.2.0"
