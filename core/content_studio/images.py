"""Images through the images API, cached on disk by a hash of (model, size, prompt)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.config import Settings
from core.content_studio.service import IMAGES_NEED_SERVICE, RetryPolicy, ServiceError, call_with_retries, \
    make_client
from core.errors import BadInputError, ConfigError, WorkbenchError
from core.files import write_whole

@dataclass(frozen=True)
class ImageResult:
    path: Path
    prompt: str
    model: str
    cached: bool

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def image_cache_dir(settings: Settings) -> Path:
    return settings.models_base.parent / "data" / "images"


def image_key(prompt: str, model: str, size: str) -> str:
    norm = re.sub(r"\s+", " ", prompt or "").strip()
    return hashlib.sha256(f"{model}\n{size}\n{norm}".encode()).hexdigest()[:32]


def generate_image(prompt: str, settings: Settings, *, size: str = "1024x1024", cache_dir: Path | None = None,
                   policy: RetryPolicy | None = None) -> ImageResult:
    """An image for ``prompt`` through the images API, cached on disk: the same prompt costs once."""
    prompt = re.sub(r"\s+", " ", prompt or "").strip()
    if not prompt:
        raise BadInputError("Describe the image first.")
    model = settings.openai_image_model
    cache = Path(cache_dir) if cache_dir is not None else image_cache_dir(settings)
    key = image_key(prompt, model, size)
    for ext in ("png", "jpg", "webp"):
        hit = cache / f"{key}.{ext}"
        if hit.exists() and hit.stat().st_size > 0:
            return ImageResult(hit, prompt, model, True)
    if not settings.llm_enabled:
        raise ConfigError(IMAGES_NEED_SERVICE)
    client = make_client(settings)
    kw: dict[str, Any] = {"model": model, "prompt": prompt, "size": size, "n": 1}
    if model.startswith("dall-e"):
        kw["response_format"] = "b64_json"
    resp = call_with_retries(lambda: client.images.generate(**kw), settings, policy, what="the image")
    item = resp.data[0] if resp.data else None
    if item is not None and getattr(item, "b64_json", None):
        data = base64.b64decode(item.b64_json)
    elif item is not None and getattr(item, "url", None):
        data = download_image(item.url, settings)
    else:
        raise ServiceError("The images API answered without an image.")
    ext = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpg" if data[:3] == b"\xff\xd8\xff" else \
        "webp" if data[8:12] == b"WEBP" else None
    if ext is None:
        raise ServiceError("The images API returned data that is not a PNG, JPEG or WebP image.")
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{key}.{ext}"
    write_whole(path, data)
    (cache / f"{key}.json").write_text(json.dumps({"prompt": prompt, "model": model, "size": size,
                                                   "created_at": datetime.now(timezone.utc).isoformat()}))
    return ImageResult(path, prompt, model, False)


def download_image(url: str, settings: Settings, **net: Any) -> bytes:
    """The image at a link the images API returned, through the pinned connection of :mod:`core.net`.

    The link is someone else's choice, so it gets the crawler's guard: public addresses
    only, the socket pinned to the checked address (no DNS rebinding), at most 20 MB. The
    configured service's own host is trusted (a self-hosted server on the local network
    serves its images from there), and ``WORKBENCH_ALLOW_PRIVATE_URLS`` trusts every host.
    ``net`` passes ``resolver``/``connector`` through (tests).
    """
    from core import net as net_

    try:
        host, _port = net_.split_url(url)
    except net_.UnsafeURLError:
        raise ServiceError("The images API returned an image link that is not http(s).") from None
    service_host = urlsplit(settings.openai_base_url or "").hostname
    trusted = settings.allow_private_urls or (service_host is not None and host == service_host)
    try:
        return net_.fetch_bytes(url, allow_private=trusted, timeout_s=settings.openai_timeout_s,
                                max_bytes=20_000_000, **net)
    except net_.UnsafeURLError as exc:
        raise ServiceError(f"The generated image's link was refused: {exc.message}", "Image link refused") from None
    except WorkbenchError as exc:
        raise ServiceError(f"Could not download the generated image: {exc.message}") from None
