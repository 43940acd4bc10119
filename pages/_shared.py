"""The one Streamlit glue module (not a page): settings, warehouse, filters, reads, errors.

Caching lives only here: ``cache_resource`` for the warehouse, settings and models,
``cache_data`` for frames keyed by the warehouse's ``data_version`` so that new data
invalidates old reads.
"""

from __future__ import annotations

import inspect
import json
import os
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import streamlit as st

from core.access import AccessPolicy
from core.config import Settings
from core.escape import markdown as md
from core.errors import WorkbenchError, WorkspaceLockedError
from core.warehouse import Filters, Warehouse
from core.worker import share

FILTER_KEYS = ("filters.range", "filters.platforms", "filters.objectives")


def _legacy_routing() -> bool:
    """True when Streamlit's old pages/ routing ran a page without app.py.

    Streamlit decides per process: until the first st.navigation call it treats a
    pages/ folder as the old multipage layout, so the very first visit after a
    restart that lands on a deep link (/monitoring) would run that page alone,
    without the shared sidebar. Switching the flag off and rerunning sends that
    visit through app.py like every other.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return False
    PagesManager.uses_pages_directory = False
    return not any(Path(frame.filename).name == "app.py" for frame in inspect.stack(0))


if _legacy_routing():
    st.rerun()


def _secrets() -> dict[str, Any]:
    try:
        return {k: v for k, v in st.secrets.items() if isinstance(v, (str, int, float, bool))}
    except FileNotFoundError:
        # No secrets file (or, with the same error, a malformed one: secrets_problem() says so):
        # run on the environment alone (offline mode where a key is needed).
        return {}
    except Exception:  # a malformed secrets file must not take the app down
        return {}


def secrets_problem(paths: list[Path] | None = None) -> str | None:
    """A warning naming a secrets file that exists but cannot be read, or None.

    Streamlit reports a malformed ``secrets.toml`` with the error it uses for a missing
    one, so without this check the workbench would silently run without its keys.
    """
    import tomllib

    from streamlit import config

    for path in paths if paths is not None else [Path(p) for p in config.get_option("secrets.files")]:
        if not path.is_file():
            continue
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            return (f"{path} could not be read ({exc}), so the settings in it (such as OPENAI_API_KEY) are "
                    "ignored and the workbench runs without them. Fix the file and restart the workbench.")
    return None


def _secrets_tree() -> dict[str, Any]:
    """All of st.secrets, nested sections included (the sign-in and role settings)."""
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:
        return {}
    except Exception:  # a malformed file is reported once by settings(); no sign-in from it
        return {}


def policy() -> AccessPolicy:
    """Who may do what; open (everyone may do everything) unless [auth] configures sign-in."""
    return AccessPolicy.from_secrets(_secrets_tree())


def _client() -> str:
    return str(st.session_state.get("client") or "default")


def _email() -> str | None:
    return st.user.get("email") if st.user.get("is_logged_in") else None


def allowed(action: str) -> bool:
    """May the signed-in user do ``action`` (upload, reset, retrain, ...) for the chosen client?"""
    pol = policy()
    return pol.open or pol.allows(_email(), _client(), action)


def require_sign_in() -> None:
    """With sign-in configured: a sign-in page until the user is signed in, then who they are."""
    pol = policy()
    if pol.open:
        return
    if not st.user.get("is_logged_in"):
        # The only page a signed-out visitor gets, whatever the URL: no navigation, no data.
        st.navigation([st.Page(_sign_in_page, title="Sign in", url_path="sign-in")], position="hidden").run()
        st.stop()
    role = pol.role(_email(), _client())
    with st.sidebar:
        st.caption(f"Signed in as **{md(str(st.user.get('name') or _email()))}** "
                   f"({role.name} for this client)")
        st.button("Sign out", key="auth.sign_out", on_click=st.logout, icon=":material/logout:")
    if role == 0:
        st.warning("Your account has no access to this client. Ask an admin to give you a role.")
        st.stop()


def _sign_in_page() -> None:
    st.title("Marketing workbench")
    st.markdown("Sign in to see your clients' data.")
    st.button("Sign in", type="primary", key="auth.sign_in", on_click=st.login, icon=":material/login:")


def access_note() -> None:
    """On the Data page: say when the app is open to anyone who can reach it."""
    if policy().open:
        st.caption(":material/lock_open: Sign-in is off: anyone who can reach this address can use the "
                   "workbench. Configure `[auth]` in `.streamlit/secrets.toml` to require sign-in "
                   "(see the README).")
    elif not allowed("upload"):
        st.info("Your role can view this client's data but not upload, reset or retrain.",
                icon=":material/visibility:")


@st.cache_resource
def settings() -> Settings:
    return Settings.from_mapping({**os.environ, **_secrets()})


@st.cache_resource(max_entries=4)
def _warehouse_at(path: str, kind: str, generation: int, db: str) -> Warehouse:
    return share.open_for_app(path, kind, db)


def warehouse() -> Warehouse:
    """The persistent workspace, opened once per server process; while the monitor worker
    (``python -m core watch``) owns the file, its newest snapshot (core/worker/share.py)."""
    db = str(settings().db_path)
    return _warehouse_at(*share.app_target(db), db)


def data_version() -> int:
    return warehouse().data_version


@st.cache_data(show_spinner=False)
def _table(name: str, version: int, filters: Filters | None) -> pd.DataFrame:
    wh = warehouse()
    if name == "customers":
        return wh.customers()
    return getattr(wh, name)(filters)


def table(name: str, filters: Filters | None = None) -> pd.DataFrame:
    """A contract table as a frame, cached until the data changes."""
    return _table(name, data_version(), filters)


@st.cache_data(show_spinner=False)
def _date_bounds(version: int) -> tuple[date | None, date | None]:
    return warehouse().date_range()


@st.cache_data(show_spinner=False)
def _choices(column: str, version: int) -> list[str]:
    return warehouse().distinct(column)


def sidebar_filters() -> None:
    """The shared sidebar filter; every page reads it through :func:`filters`."""
    problem = secrets_problem()
    if problem:
        st.warning(md(problem), icon=":material/key_off:")
    lo, hi = _date_bounds(data_version())
    with st.sidebar:
        st.caption("Filters apply to every page")
        if lo is not None and hi is not None:
            default = (max(lo, hi - timedelta(days=89)), hi)
            current = st.session_state.get("filters.range")
            if not current or len(current) != 2 or current[0] < lo or current[1] > hi:
                st.session_state["filters.range"] = default
            st.date_input("Date range", min_value=lo, max_value=hi, key="filters.range")
        st.multiselect("Platforms", _choices("platform", data_version()), key="filters.platforms",
                       placeholder="All platforms")
        st.multiselect("Objectives", _choices("objective", data_version()), key="filters.objectives",
                       placeholder="All objectives")


def filters() -> Filters:
    """The sidebar filter as a core :class:`Filters` (whole history when unset)."""
    rng = st.session_state.get("filters.range") or ()
    start, end = (rng[0], rng[1]) if len(rng) == 2 else (None, None)
    return Filters(start=start, end=end,
                   platforms=tuple(st.session_state.get("filters.platforms") or ()),
                   objectives=tuple(st.session_state.get("filters.objectives") or ()))


@contextmanager
def error_box() -> Iterator[None]:
    """Show a :class:`WorkbenchError` once as ``st.error``; real bugs still raise."""
    try:
        yield
    except WorkbenchError as exc:
        # The message may carry a file name or a value: shown as text, never as Markdown.
        st.error(f"**{md(exc.title)}.** {md(exc.message)}")
        if isinstance(exc, WorkspaceLockedError):
            st.stop()  # no page can run without its workspace: one titled error, not a traceback per page


def empty_note(what: str = "campaign data") -> bool:
    """On an empty workspace, a friendly note of what to load. Returns True when empty."""
    counts = warehouse().counts()
    needed = {"campaign data": "campaigns", "posts": "posts", "comments": "comments", "customers": "customers"}
    table_name = needed.get(what, "campaigns")
    if counts.get(table_name, 0) > 0:
        return False
    st.info(
        f"No {what} in the workspace yet. Open **Data** in the sidebar to upload a JSON export "
        f"(`{table_name}` records, see docs/data-format.md) or load the sample workspace.",
        icon=":material/upload_file:")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    return True


def download_buttons(frame: pd.DataFrame, stem: str, *, key: str) -> None:
    """CSV and JSON downloads of a result table."""
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("CSV", frame.to_csv(index=False).encode(), f"{stem}.csv", "text/csv",
                       key=f"{key}.csv", icon=":material/download:")
    c2.download_button("JSON", frame.to_json(orient="records", date_format="iso", indent=1).encode(),
                       f"{stem}.json", "application/json", key=f"{key}.json", icon=":material/download:")


def download_json(payload: Any, stem: str, *, key: str, label: str = "JSON") -> None:
    st.download_button(label, json.dumps(payload, indent=1, default=str).encode(), f"{stem}.json",
                       "application/json", key=key, icon=":material/download:")
