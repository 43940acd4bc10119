"""Who may do what in the app: roles per client, read from the secrets.

Sign-in itself is Streamlit's (``st.login``, OpenID Connect, configured by the
``[auth]`` section of ``.streamlit/secrets.toml``). This module only decides, for a
signed-in e-mail address and a client, which role applies and what it allows:

```toml
[workbench.roles]
default = "viewer"                                  # anyone signed in who is not listed
"ann@agency.example" = "admin"                      # every client
"bob@agency.example" = { default = "viewer", acme = "analyst" }
```

- viewer: sees every page of the clients it may see; cannot upload, reset or retrain;
- analyst: also uploads data, runs and saves models' work (retrain, acknowledge, apply);
- admin: also resets workspaces and manages clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Mapping

from core.errors import ConfigError


class Role(IntEnum):
    """Ordered: each role may do what the ones below it may."""

    none = 0
    viewer = 1
    analyst = 2
    admin = 3


# action -> the least role that may do it
ACTIONS: dict[str, Role] = {
    "view": Role.viewer,
    "upload": Role.analyst,
    "retrain": Role.analyst,
    "acknowledge": Role.analyst,
    "reset": Role.admin,
    "manage_clients": Role.admin,
}


def _role(value: Any, where: str) -> Role:
    try:
        return Role[str(value).strip().lower()]
    except KeyError:
        raise ConfigError(f"{where} names the role {value!r}; use viewer, analyst or admin "
                          "(.streamlit/secrets.toml, [workbench.roles]).", "Sign-in roles") from None


@dataclass(frozen=True)
class AccessPolicy:
    """Roles per user and client. ``open`` when sign-in is not configured: everyone may do everything."""

    open: bool = True
    default: Role = Role.viewer
    users: Mapping[str, Mapping[str, Role]] = field(default_factory=dict)

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, Any]) -> "AccessPolicy":
        """The policy for these secrets: open unless an ``[auth]`` section configures sign-in."""
        if not secrets.get("auth"):
            return cls(open=True)
        table = dict((secrets.get("workbench") or {}).get("roles") or {})
        default = _role(table.pop("default", "viewer"), "[workbench.roles] default")
        users: dict[str, dict[str, Role]] = {}
        for email, spec in table.items():
            if isinstance(spec, Mapping):
                users[email.lower()] = {client: _role(v, f"[workbench.roles] {email}.{client}")
                                        for client, v in spec.items()}
            else:
                users[email.lower()] = {"default": _role(spec, f"[workbench.roles] {email}")}
        return cls(open=False, default=default, users=users)

    def role(self, email: str | None, client: str) -> Role:
        """The role of ``email`` for ``client`` (``Role.none`` when signed out)."""
        if self.open:
            return Role.admin
        if not email:
            return Role.none
        spec = self.users.get(email.strip().lower())
        if spec is None:
            return self.default
        return spec.get(client, spec.get("default", self.default))

    def allows(self, email: str | None, client: str, action: str) -> bool:
        return self.role(email, client) >= ACTIONS[action]
