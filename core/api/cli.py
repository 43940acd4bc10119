"""``python -m core serve-api``: the API on uvicorn (shared/contract/CLI.md)."""

from __future__ import annotations

import os
import sys
from typing import Any

from core.errors import BadInputError


def build_app(ctx: Any):
    """The app for a command context: its warehouse, the configured keys and limits."""
    from core.api.app import DEFAULT_MAX_BODY, create_app
    from core.api.keys import KeyRing
    from core.api.limits import RateLimiter
    from core.api.log import RequestLog
    from core.api.service import Service

    env = os.environ
    keys = KeyRing.from_mapping(env)
    if not len(keys):
        print("serve-api: no API keys configured (WORKBENCH_API_KEYS or WORKBENCH_API_KEYS_FILE): "
              "every /v1 route will answer 401.", file=sys.stderr)
    try:
        per_minute = int(env.get("WORKBENCH_API_RATE_PER_MINUTE") or 600)
        max_body = int(env.get("WORKBENCH_API_MAX_BODY_BYTES") or DEFAULT_MAX_BODY)
    except ValueError as exc:
        raise BadInputError(f"WORKBENCH_API_RATE_PER_MINUTE and WORKBENCH_API_MAX_BODY_BYTES are whole numbers "
                            f"({exc}).") from exc
    service = Service(ctx.settings, _workspace(ctx))
    return create_app(service, keys, limiter=RateLimiter(per_minute=per_minute),
                      log=RequestLog(env.get("WORKBENCH_API_LOG") or None), max_body=max_body)


def _workspace(ctx: Any):
    """``--data`` files in memory, or the workspace file read the app's way (snapshots while a worker runs)."""
    if getattr(ctx.args, "data", None):
        return ctx.warehouse()
    from core.worker.share import app_workspace, open_for_app

    db = str(getattr(ctx.args, "db", None) or ctx.settings.db_path)
    return lambda: open_for_app(*app_workspace(db), db)


def run_serve_api(args: Any, ctx: Any) -> dict[str, Any]:
    """Serve until stopped; returns what was served when uvicorn exits."""
    import uvicorn

    app = build_app(ctx)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return {"served": f"http://{args.host}:{args.port}", "stopped": True}
