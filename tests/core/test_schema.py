"""The contract as code agrees with shared/contract (DATA.md and the JSON Schema)."""

import json
from pathlib import Path

import pytest

from core import schema
from core.warehouse import Warehouse

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract" / "workspace.schema.json"


@pytest.fixture
def json_schema():
    if not CONTRACT.exists():
        pytest.skip("shared/contract is not beside this checkout")
    return json.loads(CONTRACT.read_text())


DEFS = {"campaigns": "campaign_day", "posts": "post", "comments": "comment", "customers": "customer"}


@pytest.mark.parametrize("table", schema.TABLE_NAMES)
def test_fields_and_required_match_the_published_schema(json_schema, table):
    spec = json_schema["$defs"][DEFS[table]]
    t = schema.TABLES[table]
    # Every table takes the client (account_id); the public contract names it on campaigns.
    assert set(t.field_names) - {"account_id"} == set(spec["properties"]) - {"account_id"}
    assert "account_id" in t.field_names and not t.get("account_id").required
    assert {f.name for f in t.fields if f.required} == set(spec["required"])


def test_enums_match(json_schema):
    d = json_schema["$defs"]
    assert set(schema.OBJECTIVES) == set(d["campaign_day"]["properties"]["objective"]["enum"])
    assert set(schema.MEDIA_TYPES) == set(d["post"]["properties"]["media_type"]["enum"])
    assert set(schema.LABELS) == set(d["comment"]["properties"]["label"]["enum"])
    assert set(schema.GENDERS) == set(d["audience"]["properties"]["gender"]["enum"])
    assert set(schema.AUDIENCE_FIELDS) == set(d["audience"]["required"])


@pytest.mark.parametrize("keys,table", [
    ({"comment_id", "post_id", "text", "created_at"}, "comments"),
    ({"campaign_id", "date", "spend"}, "campaigns"),
    ({"post_id", "published_at", "likes"}, "posts"),
    ({"customer_id", "orders"}, "customers"),
    ({"foo"}, None),
])
def test_guess_table(keys, table):
    assert schema.guess_table(keys) == table


def test_audience_label_is_stable_and_readable():
    a = schema.audience_label(35, 54, "female", "US-TX", ("wellness", "beauty"))
    assert a == "women 35-54 US-TX [beauty, wellness]"
    assert schema.audience_label(18, 65, "all", "US", ()) == "all 18-65 US"


def test_campaign_records_round_trip_the_flattened_frame(wh, example_file):
    wh.ingest(example_file)
    frame = wh.campaigns()
    again = Warehouse.in_memory()
    again.ingest_records("campaigns", schema.campaign_records(frame))
    import pandas as pd

    pd.testing.assert_frame_equal(again.campaigns(), frame)
