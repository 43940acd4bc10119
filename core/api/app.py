"""The HTTP API: FastAPI routes over :class:`~core.api.service.Service`.

Routes and payloads are those of ``shared/contract/CLI.md`` (``serve-api``). Every
``/v1`` route needs ``Authorization: Bearer KEY``; ``/health`` and the OpenAPI
document do not. Route functions are plain ``def``: FastAPI runs them in its thread
pool, so a model fit never blocks the event loop that accepts the next request.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from core.api.keys import ApiKey, KeyRing
from core.api.limits import RateLimiter
from core.api.log import RequestLog
from core.api.service import Service
from core.errors import (BadInputError, ConfigError, NotEnoughDataError, WorkbenchError,
                         WorkspaceLockedError)

DEFAULT_MAX_BODY = 20 * 1024 * 1024


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SentimentBody(_Body):
    texts: list[str] = Field(min_length=1, max_length=2000)
    account: str | None = None


class RecommendBody(_Body):
    objective: str = Field(min_length=1, max_length=5000)
    budget: float | None = Field(default=None, gt=0)
    period: Literal["day", "week", "month", "quarter"] | None = None
    platforms: list[str] | str | None = None
    goal: Literal["leads", "conversions", "revenue"] | None = None
    account: str | None = None


class AssignBody(_Body):
    customers: list[dict[str, Any]] = Field(min_length=1, max_length=100_000)
    account: str | None = None


class SeoBody(_Body):
    text: str = Field(min_length=1)
    keyword: str | None = None
    title: str | None = None
    meta: str | None = None


class GenerateBody(_Body):
    brief: str = Field(min_length=1, max_length=5000)
    platform: Literal["google_search", "facebook", "instagram", "linkedin", "blog"]
    n: int = Field(default=3, ge=1, le=10)
    tone: str = "friendly"
    keywords: list[str] | str = ""


def create_app(service: Service, keys: KeyRing, *, limiter: RateLimiter | None = None,
               log: RequestLog | None = None, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The API over one service; ``keys`` decide who may call it."""
    app = FastAPI(title="Marketing workbench API", version="1", description=__doc__, lifespan=_warm_up(service))
    limiter = limiter or RateLimiter()
    log = log or RequestLog()
    bearer = HTTPBearer(auto_error=False)

    def caller(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        key = keys.find(cred.credentials if cred else None)
        if key is None:
            raise HTTPException(401, "A valid API key is needed: send 'Authorization: Bearer KEY'.",
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.key_id = key.key_id
        ok, wait = limiter.allow(key.key_id)
        if not ok:
            raise HTTPException(429, "Too many requests for this key; slow down.",
                                headers={"Retry-After": str(max(1, round(wait)))})
        return key

    _install_middleware(app, log, max_body)
    _install_errors(app)
    _install_routes(app, service, caller)
    return app


def _warm_up(service: Service):
    """Warm the models in the background at start-up: /health answers at once meanwhile."""
    import threading
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(service, "warm", None) is not None:
            threading.Thread(target=_quietly, args=(service.warm,), name="workbench-api-warm-up", daemon=True).start()
        yield

    return lifespan


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:  # warming is best effort: the first request then builds what it needs
        pass


def account_for(key: ApiKey, requested: str | None) -> str | None:
    """The account a request works on; 403 for an account the key may not see."""
    if requested:
        if not key.may_see(requested):
            raise HTTPException(403, f"This key may not see the account {requested!r}.")
        return requested
    return key.only_account


def _install_routes(app: FastAPI, service: Service, caller) -> None:
    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/sentiment")
    def sentiment(body: SentimentBody, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        account_for(key, body.account)
        return service.sentiment(body.texts)

    @app.post("/v1/recommend")
    def recommend(body: RecommendBody, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        platforms = ",".join(body.platforms) if isinstance(body.platforms, list) else body.platforms
        return service.recommend(objective=body.objective, budget=body.budget, period=body.period,
                                 platforms=platforms, goal=body.goal, account=account_for(key, body.account))

    @app.get("/v1/alerts")
    def alerts(since: str | None = Query(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
               account: str | None = None, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        return service.alerts(since=since, account=account_for(key, account))

    @app.post("/v1/segments/assign")
    def assign(body: AssignBody, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        return service.assign(body.customers, account=account_for(key, body.account))

    @app.post("/v1/seo")
    def seo(body: SeoBody, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        return service.seo(text=body.text, keyword=body.keyword, title=body.title, meta=body.meta)

    @app.post("/v1/generate")
    def generate(body: GenerateBody, key: ApiKey = Depends(caller)) -> dict[str, Any]:
        keywords = ",".join(body.keywords) if isinstance(body.keywords, list) else body.keywords
        return service.generate(brief=body.brief, platform=body.platform, n=body.n, tone=body.tone,
                                keywords=keywords)

    @app.post("/v1/ingest")
    def ingest(file: UploadFile = File(...), account: str | None = Form(default=None),
               key: ApiKey = Depends(caller)) -> dict[str, Any]:
        return service.ingest(file.filename or "upload.json", file.file.read(), account=account_for(key, account))


def _install_errors(app: FastAPI) -> None:
    statuses = ((BadInputError, 422), (NotEnoughDataError, 422), (ConfigError, 503),
                (WorkspaceLockedError, 503), (WorkbenchError, 500))

    @app.exception_handler(WorkbenchError)
    def workbench_error(request: Request, exc: WorkbenchError) -> JSONResponse:
        status = next(code for cls, code in statuses if isinstance(exc, cls))
        return JSONResponse({"detail": exc.message, "title": exc.title}, status_code=status)


def _install_middleware(app: FastAPI, log: RequestLog, max_body: int) -> None:
    @app.middleware("http")
    async def log_and_limit(request: Request, call_next):
        started = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_body:
            response = JSONResponse({"detail": f"The body is over the limit of {max_body} bytes."}, status_code=413)
        elif length is None and request.method in ("POST", "PUT", "PATCH") and await _too_long(request, max_body):
            response = JSONResponse({"detail": f"The body is over the limit of {max_body} bytes."}, status_code=413)
        else:
            response = await call_next(request)
        log.write(method=request.method, route=request.url.path, status=response.status_code,
                  ms=round((time.perf_counter() - started) * 1000, 1),
                  key_id=getattr(request.state, "key_id", None))
        return response


async def _too_long(request: Request, max_body: int) -> bool:
    """A chunked body without Content-Length: read it (up to the limit) before the route does."""
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            return True
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    request._receive = replay  # the route reads the body we already consumed
    return False
