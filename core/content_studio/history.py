"""The generation history in the workspace, and variants handed to the A/B bandits page."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Sequence

import pandas as pd

from core.content_studio.generation import Generation
from core.content_studio.platforms import Variant, variant_text
from core.errors import BadInputError

HISTORY_TABLE = "content_generations"


def history_row(gen: Generation) -> pd.DataFrame:
    """One history record (inputs, output, model, time, score) as a one-row frame."""
    r = gen.request
    return pd.DataFrame([{
        "generation_id": gen.generation_id,
        "created_at": gen.created_at.tz_convert("UTC").tz_localize(None),
        "mode": gen.mode, "model": gen.model, "platform": r.platform, "format": r.format, "tone": r.tone,
        "audience": r.audience, "keywords": ", ".join(r.keywords), "length": r.length, "brief": r.brief,
        "n_variants": int(len(gen.variants)), "best_score": float(gen.best_score),
        "inputs": json.dumps(asdict(r)), "output": json.dumps([v.to_dict() for v in gen.variants]),
    }])


def save_generation(wh: Any, gen: Generation) -> None:
    wh.save_state(HISTORY_TABLE, history_row(gen), keys=["generation_id"])


def load_history(wh: Any) -> pd.DataFrame:
    """Every stored generation, newest first (empty frame when none yet)."""
    df = wh.load_state(HISTORY_TABLE)
    if len(df):
        df = df.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)
    return df


def history_variants(row: pd.Series | dict[str, Any]) -> list[Variant]:
    """The variants stored in a history record."""
    return [Variant(**{k: v for k, v in d.items() if k in Variant.__dataclass_fields__})
            for d in json.loads(row["output"])]


def segment_names(wh: Any) -> list[str]:
    """Names of the customer segments saved by the Segments page (empty when none yet)."""
    df = wh.load_state("segments_assignments")
    if not len(df) or "name" not in df:
        return []
    return sorted({str(n) for n in df["name"].dropna() if str(n).strip()})


def experiment_payload(name: str, platform: str, variants: Sequence[Variant],
                       arm_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Chosen variants as ``{"experiment", "arms": [{"name", "platform", "text"}]}`` for the bandits page."""
    name = (name or "").strip()
    if not name:
        raise BadInputError("Give the experiment a name.")
    if len(variants) < 2:
        raise BadInputError("Choose at least two variants: an experiment compares arms.")
    names = list(arm_names or [])
    arms = []
    for i, v in enumerate(variants):
        label = names[i] if i < len(names) and names[i] else f"Variant {chr(65 + i) if i < 26 else i + 1}"
        arms.append({"name": label, "platform": "google" if platform == "google_search" else platform,
                     "text": variant_text(v, platform, assets=False)})
    if len({a["name"] for a in arms}) != len(arms):
        raise BadInputError("Arm names must be unique.")
    return {"experiment": name, "arms": arms}


def create_experiment(wh: Any, payload: dict[str, Any]) -> str:
    """Create the experiment on the A/B bandits page from :func:`experiment_payload`; its id."""
    from core import bandits

    return bandits.create_experiment(wh, payload["experiment"], payload["arms"])
