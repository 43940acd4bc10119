"""Roles per client from the secrets; an open app when sign-in is not configured."""

import pytest

from core.access import AccessPolicy, Role
from core.errors import ConfigError

SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32},
           "workbench": {"roles": {"default": "viewer", "Ann@Agency.example": "admin",
                                   "bob@agency.example": {"default": "viewer", "acme": "analyst"}}}}


def test_without_auth_the_app_is_open():
    policy = AccessPolicy.from_secrets({})
    assert policy.open and policy.allows(None, "default", "reset")


def test_roles_per_user_and_client():
    policy = AccessPolicy.from_secrets(SECRETS)
    assert not policy.open
    assert policy.role("ann@agency.example", "acme") == Role.admin  # e-mail compared case-insensitively
    assert policy.role("bob@agency.example", "acme") == Role.analyst
    assert policy.role("bob@agency.example", "globex") == Role.viewer
    assert policy.role("carol@elsewhere.example", "acme") == Role.viewer  # the default
    assert policy.role(None, "acme") == Role.none


@pytest.mark.parametrize("email, client, action, allowed", [
    ("carol@x.example", "acme", "view", True),
    ("carol@x.example", "acme", "upload", False),
    ("carol@x.example", "acme", "retrain", False),
    ("bob@agency.example", "acme", "upload", True),
    ("bob@agency.example", "acme", "reset", False),
    ("bob@agency.example", "globex", "upload", False),
    ("ann@agency.example", "globex", "reset", True),
    (None, "acme", "view", False),
])
def test_what_each_role_allows(email, client, action, allowed):
    assert AccessPolicy.from_secrets(SECRETS).allows(email, client, action) is allowed


def test_unknown_role_is_a_config_error_naming_the_user():
    bad = {**SECRETS, "workbench": {"roles": {"dan@x.example": "superuser"}}}
    with pytest.raises(ConfigError, match="dan@x.example"):
        AccessPolicy.from_secrets(bad)


def test_default_none_refuses_unlisted_users():
    policy = AccessPolicy.from_secrets({**SECRETS, "workbench": {"roles": {"default": "none"}}})
    assert not policy.allows("stranger@x.example", "acme", "view")
