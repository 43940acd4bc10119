"""Alerts by email, when ``WORKBENCH_SMTP_*`` settings are given (standard-library smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Mapping

from core.errors import ConfigError


@dataclass(frozen=True)
class SmtpSettings:
    """Where alert emails go: ``WORKBENCH_SMTP_HOST``, ``_PORT`` (587), ``_USER``, ``_PASSWORD``,
    ``_FROM``, ``_TO`` (comma-separated), ``_TLS`` (``starttls`` default with a user, ``ssl``, ``none``)."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "workbench-monitor@localhost"
    to: tuple[str, ...] = ()
    tls: str = "none"
    timeout_s: float = 10.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, Any]) -> "SmtpSettings | None":
        host = str(env.get("WORKBENCH_SMTP_HOST") or "").strip()
        if not host:
            return None
        to = tuple(a.strip() for a in str(env.get("WORKBENCH_SMTP_TO") or "").split(",") if a.strip())
        if not to:
            raise ConfigError("WORKBENCH_SMTP_HOST is set but WORKBENCH_SMTP_TO is not: set the recipients.")
        user = str(env.get("WORKBENCH_SMTP_USER") or "").strip() or None
        tls = str(env.get("WORKBENCH_SMTP_TLS") or ("starttls" if user else "none")).strip().lower()
        if tls not in ("starttls", "ssl", "none"):
            raise ConfigError(f"WORKBENCH_SMTP_TLS must be starttls, ssl or none, not {tls!r}.")
        return cls(host=host, port=int(env.get("WORKBENCH_SMTP_PORT") or 587), user=user,
                   password=str(env.get("WORKBENCH_SMTP_PASSWORD") or "") or None,
                   sender=str(env.get("WORKBENCH_SMTP_FROM") or user or cls.sender), to=to, tls=tls)


def send_email(cfg: SmtpSettings, subject: str, body: str) -> None:
    """Send one plain-text email; network and SMTP errors propagate (the caller retries)."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg.sender, ", ".join(cfg.to)
    msg.set_content(body)
    if cfg.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
    with server:
        if cfg.tls == "starttls":
            server.starttls(context=ssl.create_default_context())
        if cfg.user:
            server.login(cfg.user, cfg.password or "")
        server.send_message(msg)
