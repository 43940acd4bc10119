"""``python -m core watch`` and ``python -m core replay`` (shared/contract/CLI.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.errors import BadInputError
from core.worker.mail import SmtpSettings
from core.worker.replay import day_files, sample_campaigns
from core.worker.service import Advisor, WatchConfig, Worker


def run_watch(args, ctx) -> dict[str, Any]:
    """Watch ``--inbox`` until SIGTERM (or, with ``--once``, until it is empty)."""
    settings = ctx.settings
    if args.interval <= 0:
        raise BadInputError("--interval must be a positive number of seconds.")
    url = args.webhook or settings.webhook_url
    if url and not url.lower().startswith(("http://", "https://")):
        raise BadInputError(f"The webhook URL must start with http:// or https:// (got {url!r}).")
    # SMTP settings are read at this edge like the rest of the environment (WORKBENCH_SMTP_*)
    smtp = SmtpSettings.from_mapping(os.environ)
    cfg = WatchConfig(inbox=Path(args.inbox), db=Path(args.db or settings.db_path), webhook=url, smtp=smtp,
                      interval_s=float(args.interval), once=bool(args.once),
                      sensitivity=args.sensitivity, country=settings.country or None,
                      allow_private=bool(getattr(settings, "allow_private_urls", False)),
                      account=getattr(args, "account", None))
    worker = Worker(cfg, advisor=Advisor(country=cfg.country))
    worker.run()
    return {"inbox": str(cfg.inbox), **worker.stats}


def run_replay(args, ctx) -> dict[str, Any]:
    """Feed the sample workspace's last ``--days`` days into ``--inbox``, one file per day."""
    if args.speed < 0:
        raise BadInputError("--speed must be zero or a positive number of days per second.")
    source = Path(args.source) if args.source else ctx.settings.sample_dir / "workspace.json.gz"
    if not source.exists():
        raise BadInputError(f"{source}: no such file.")
    files = day_files(sample_campaigns(source), Path(args.inbox), days=int(args.days), speed=float(args.speed),
                      history=not args.no_history)
    return {"inbox": str(args.inbox), "files": [p.name for p in files]}
