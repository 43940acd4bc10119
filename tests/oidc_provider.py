"""A small OpenID Connect provider on localhost, for the sign-in tests.

It speaks the authorization-code flow that ``st.login`` uses (discovery document,
authorize with PKCE, token, JWKS, userinfo) and signs RS256 id tokens, so Streamlit's
own Authlib client checks them exactly as it would a real provider's. The authorize
page lists the configured users as buttons: a test signs in by clicking one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import socket
import threading
import time
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID, CLIENT_SECRET = "workbench-test", "workbench-test-secret"


class Provider:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users  # email -> display name
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread: threading.Thread | None = None

    # ---- endpoints

    async def discovery(self, request: Request) -> Response:
        i = self.issuer
        return JSONResponse({
            "issuer": i, "authorization_endpoint": f"{i}/authorize", "token_endpoint": f"{i}/token",
            "jwks_uri": f"{i}/jwks", "userinfo_endpoint": f"{i}/userinfo",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"], "claims_supported": ["sub", "email", "name"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        if request.method == "GET":
            hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in q.items())
            buttons = "".join(f'<button name="login_as" value="{html.escape(e)}">Sign in as {html.escape(e)}'
                              f'</button>' for e in self.users)
            return HTMLResponse(f"<html><body><h1>Test identity provider</h1><form method='post'>{hidden}"
                                f"{buttons}</form></body></html>")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"email": q["login_as"], "nonce": q.get("nonce"), "redirect_uri": q["redirect_uri"],
                            "challenge": q.get("code_challenge")}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}",
                                status_code=302)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        client_id, secret = _client_credentials(request, form)
        grant = self.codes.pop(form.get("code", ""), None)
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET) or grant is None \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if grant["challenge"] and _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        now = int(time.time())
        email = grant["email"]
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": email, "email": email, "email_verified": True,
                  "name": self.users[email], "iat": now, "exp": now + 3600}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                             "id_token": id_token, "scope": "openid email profile"})

    async def userinfo(self, request: Request) -> Response:
        return JSONResponse({})

    # ---- running

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery), Route("/jwks", self.jwks),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]), Route("/userinfo", self.userinfo)])

    def start(self) -> "Provider":
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)

    def secrets_toml(self, app_port: int, roles: dict[str, str]) -> str:
        """The app's secrets for this provider (Streamlit's [auth] plus our roles)."""
        lines = ["[auth]", f'redirect_uri = "http://localhost:{app_port}/oauth2callback"',
                 f'cookie_secret = "{secrets.token_hex(32)}"', f'client_id = "{CLIENT_ID}"',
                 f'client_secret = "{CLIENT_SECRET}"',
                 f'server_metadata_url = "{self.issuer}/.well-known/openid-configuration"', "",
                 "[workbench.roles]"]
        lines += [f'"{k}" = "{v}"' for k, v in roles.items()]
        return "\n".join(lines) + "\n"


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        from urllib.parse import unquote

        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return unquote(user), unquote(password)
    return form.get("client_id"), form.get("client_secret")


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
