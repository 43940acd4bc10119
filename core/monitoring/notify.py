"""Telling people: the Slack-compatible message and the HTTP webhook, each incident once."""

from __future__ import annotations

import json
import time
import urllib.error
from datetime import datetime, timezone
from typing import Any, Callable

import pandas as pd

from core import net
from core.errors import ConfigError, WorkbenchError
from core.monitoring.acks import apply_acks, load_acks
from core.monitoring.vocabulary import KINDS, NOTIFIED_TABLE

def slack_payload(incidents_: pd.DataFrame, *, title: str = "Campaign monitor") -> dict[str, Any]:
    """A Slack-compatible message (``text`` fallback plus ``blocks``) for new incidents."""
    n = len(incidents_)
    text = f"{title}: {n} new incident{'s' if n != 1 else ''}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": text}}]
    for _, inc in incidents_.head(40).iterrows():
        name = inc.get("campaign_name") or inc["campaign_id"]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f"*{KINDS.get(inc['kind'], inc['kind'])}* ({inc['severity']}) on *{name}* "
            f"({inc.get('platform') or '?'}), since {inc['start']}: {inc['message']}")}})
    if n > 40:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {n - 40} more"}]})
    return {"text": text, "blocks": blocks}


def post_webhook(url: str, payload: dict[str, Any], *, timeout_s: float = 5.0, retries: int = 3,
                 backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep, **net_opts: Any) -> int:
    """POST ``payload`` as JSON; retry network errors and 5xx/429 answers with backoff.

    Returns the HTTP status. Raises :class:`ConfigError` for a bad URL or a refused
    address (at once, nothing sent) and :class:`WorkbenchError` when every attempt failed.
    ``net_opts`` (``allow_private``, ``resolver``, ``connector``) go to :func:`send`.
    """
    if not url or not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"The webhook URL must start with http:// or https:// (got {url!r}); "
                          "set WORKBENCH_WEBHOOK_URL or pass --webhook.")
    body = json.dumps(payload, default=str).encode()
    last_error = "no attempt"
    for attempt in range(retries + 1):
        try:
            return send(url, body, timeout_s=timeout_s, **net_opts)
        except urllib.error.HTTPError as exc:
            last_error = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 429:
                raise WorkbenchError(f"The webhook refused the message ({last_error}).", "Webhook failed") from exc
        except net.UnsafeURLError as exc:
            raise ConfigError(f"The webhook URL was refused: {exc.message}", "Webhook refused") from None
        except net.UnreachableError as exc:
            last_error = exc.message.rstrip(".")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last_error = str(getattr(exc, "reason", exc))
        if attempt < retries:
            sleep(backoff_s * (2 ** attempt))
    raise WorkbenchError(f"The webhook could not be reached after {retries + 1} attempts ({last_error}).",
                         "Webhook failed")


def send(url: str, body: bytes, *, timeout_s: float, allow_private: bool = False, **net_opts: Any) -> int:
    """One POST of a JSON ``body``: the HTTP status, or the error of a failed attempt.

    The only network call of the monitor, through the pinned connection of :mod:`core.net`:
    the host is resolved once and the socket goes to the checked address, so a name cannot
    rebind to the local network between check and connect. An address written as such in
    the configured URL (``http://10.0.0.5/hook``) is the operator's choice and allowed; a
    name must resolve to public addresses unless ``allow_private``
    (``WORKBENCH_ALLOW_PRIVATE_URLS``).
    """
    host, _port = net.split_url(url)
    status = net.post_json(url, body, allow_private=allow_private or net.is_ip_literal(host), timeout_s=timeout_s,
                           headers={"User-Agent": "workbench-monitor"}, **net_opts)
    if status >= 400:
        raise urllib.error.HTTPError(url, status, f"HTTP {status}", None, None)  # type: ignore[arg-type]
    return status


def notify_new(wh, incidents_: pd.DataFrame, url: str, **kwargs: Any) -> list[str]:
    """POST incidents not notified before (and not acknowledged or muted); remember them.

    Returns the incident ids sent.
    """
    acks = load_acks(wh)
    inc = apply_acks(incidents_, acks)
    inc = inc[inc["status"].isin(["open", "closed"])]
    sent = wh.load_state(NOTIFIED_TABLE)
    if len(sent):
        inc = inc[~inc["incident_id"].isin(set(sent["incident_id"].astype(str)))]
    if not len(inc):
        return []
    post_webhook(url, slack_payload(inc), **kwargs)
    wh.save_state(NOTIFIED_TABLE, pd.DataFrame({
        "incident_id": inc["incident_id"].astype(str),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}), keys=["incident_id"])
    return inc["incident_id"].astype(str).tolist()


