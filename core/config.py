"""Settings: the only place that reads the environment (or Streamlit secrets).

Config flows one way: ``Settings.from_mapping({**os.environ, **st.secrets})`` at the
edge, explicit arguments inside ``core``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
DEFAULT_ACCOUNT = "default"


def account_models_dir(models_root: Path, account: str) -> Path:
    """Where a client's models are saved: ``<models>/client=<id>/``; the default client keeps the top folder.

    The ``client=`` folder name (as the lake's ``account_id=`` partitions) tells any path under
    it which client it belongs to (:func:`account_of_models_dir`).
    """
    return Path(models_root) if account == DEFAULT_ACCOUNT else Path(models_root) / f"client={account}"


def account_of_models_dir(models_dir: Path) -> str:
    """The client a models folder (or any folder under it) belongs to."""
    for part in reversed(Path(models_dir).parts):
        if part.startswith("client="):
            return part[len("client="):]
    return DEFAULT_ACCOUNT


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE


@dataclass(frozen=True)
class Settings:
    """Paths, keys and switches of one workbench instance."""

    root: Path = PROJECT_ROOT
    db_path: Path = PROJECT_ROOT / "data" / "workspace.duckdb"
    # models_dir is the chosen client's models folder (see for_account); models_root the configured one.
    models_dir: Path = PROJECT_ROOT / "models"
    models_root: Path | None = None
    account: str = DEFAULT_ACCOUNT
    sample_dir: Path = PROJECT_ROOT / "data" / "sample"
    #: Fit the heavy pages' models in the background when the server starts (``WORKBENCH_WARM``, default on).
    warm_start: bool = True
    #: Labelled and public data sets (training, evaluation, the Open Bandit sample), never shipped;
    #: default ``shared/datasets`` beside ``root``.
    datasets_dir: Path | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_image_model: str = "gpt-image-1"
    openai_timeout_s: float = 60.0
    webhook_url: str | None = None
    allow_private_urls: bool = False
    mlflow_tracking_uri: str | None = None
    timezone: str | None = None
    country: str = "US"
    hf_model: str | None = None

    def __post_init__(self) -> None:
        if self.datasets_dir is None:
            object.__setattr__(self, "datasets_dir", Path(self.root).parent / "shared" / "datasets")

    @classmethod
    def from_mapping(cls, env: Mapping[str, Any] | None = None) -> "Settings":
        """Build settings from a mapping such as ``os.environ`` merged with secrets."""
        env = dict(os.environ if env is None else env)
        root = Path(env.get("WORKBENCH_ROOT") or PROJECT_ROOT)
        key = (env.get("OPENAI_API_KEY") or "").strip() or None
        return cls(
            root=root,
            db_path=Path(env.get("WORKBENCH_DB") or root / "data" / "workspace.duckdb"),
            models_dir=Path(env.get("WORKBENCH_MODELS") or root / "models"),
            sample_dir=root / "data" / "sample",
            datasets_dir=Path(env["WORKBENCH_DATASETS"]) if env.get("WORKBENCH_DATASETS") else None,
            warm_start=_flag(env.get("WORKBENCH_WARM", "1")),
            openai_api_key=key,
            openai_base_url=(env.get("OPENAI_BASE_URL") or "").strip() or None,
            openai_model=env.get("OPENAI_MODEL") or "gpt-4o-mini",
            openai_image_model=env.get("OPENAI_IMAGE_MODEL") or "gpt-image-1",
            openai_timeout_s=float(env.get("OPENAI_TIMEOUT") or 60.0),
            webhook_url=(env.get("WORKBENCH_WEBHOOK_URL") or "").strip() or None,
            allow_private_urls=_flag(env.get("WORKBENCH_ALLOW_PRIVATE_URLS", "")),
            mlflow_tracking_uri=(env.get("MLFLOW_TRACKING_URI") or "").strip() or None,
            timezone=(env.get("WORKBENCH_TIMEZONE") or "").strip() or None,
            country=(env.get("WORKBENCH_COUNTRY") or "US").strip().upper(),
            hf_model=(env.get("WORKBENCH_HF_SENTIMENT_MODEL") or "").strip() or None,
        )

    @property
    def models_base(self) -> Path:
        """The configured models folder (``WORKBENCH_MODELS``), whichever client is chosen."""
        return self.models_root or self.models_dir

    def for_account(self, account: str) -> "Settings":
        """The same settings for one client: its saved models live in their own folder."""
        base = self.models_base
        return replace(self, account=account, models_root=base, models_dir=account_models_dir(base, account))

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible service is configured."""
        return self.openai_api_key is not None
