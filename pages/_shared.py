"""The one Streamlit glue module (not a page): settings, warehouse, filters, reads, errors, caches.

Caching lives only here: ``cache_resource`` for the warehouse and settings,
``cache_data`` for table reads keyed by the warehouse's ``data_version`` so that new
data invalidates old reads, and one store of fitted models (:func:`fitted`) that every
session of the server shares: bounded, thread-safe, keyed by (model kind, data version,
account, parameters), with a lock per key so that ten users pressing Plan at once fit
one model and the other nine wait for it.

Every page works on the client chosen in the sidebar: :func:`warehouse` and
:func:`settings` are that client's (its rows, its state, its models folder), and its
``data_version`` is its own, so a cache keyed by version never serves one client's
results to another.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, Mapping, TypeVar

import pandas as pd
import streamlit as st

from core import schema
from core.access import AccessPolicy
from core.config import Settings
from core.escape import markdown as md
from core.errors import WorkbenchError, WorkspaceLockedError
from core.warehouse import Filters, Warehouse
from core.worker import share

FILTER_KEYS = ("filters.range", "filters.platforms", "filters.objectives")
CLIENT_KEY = "clients.current"
# A page that adds or deletes a client asks the sidebar (drawn before it) to switch on the next run.
SWITCH_KEY = "clients.switch_to"


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


def _email() -> str | None:
    return st.user.get("email") if st.user.get("is_logged_in") else None


def allowed(action: str) -> bool:
    """May the signed-in user do ``action`` (upload, reset, retrain, ...) for the chosen client?"""
    pol = policy()
    return pol.open or pol.allows(_email(), client(), action)


def require_sign_in() -> None:
    """With sign-in configured: a sign-in page until the user is signed in, then who they are."""
    pol = policy()
    if pol.open:
        return
    if not st.user.get("is_logged_in"):
        # The only page a signed-out visitor gets, whatever the URL: no navigation, no data.
        st.navigation([st.Page(_sign_in_page, title="Sign in", url_path="sign-in")], position="hidden").run()
        st.stop()
    role = pol.role(_email(), client())
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
def _base_settings() -> Settings:
    return Settings.from_mapping({**os.environ, **_secrets()})


def settings() -> Settings:
    """Settings of the chosen client (its models live in its own folder)."""
    return _base_settings().for_account(client())


@st.cache_resource(max_entries=4)
def _warehouse_at(path: str, kind: str, generation: int, db: str) -> Warehouse:
    return share.open_for_app(path, kind, db)


_RUN_KEY = "_shared.workspace_this_run"


def _resolve_workspace() -> Warehouse:
    db = str(_base_settings().db_path)
    return _warehouse_at(*share.app_target(db), db)


def begin_run() -> None:
    """Decide once per script run which file the app reads (app.py calls it first).

    While the monitor worker hands the file over, deciding again in the middle of a run could
    close the warehouse a page is holding; every call of this run gets the same one.
    """
    st.session_state[_RUN_KEY] = _resolve_workspace()


def workspace() -> Warehouse:
    """The whole workspace (every client), opened once per server process; while the monitor worker
    (``python -m core watch``) owns the file, its newest snapshot (core/worker/share.py)."""
    ws = st.session_state.get(_RUN_KEY)
    return ws if ws is not None else _resolve_workspace()


def warehouse() -> Warehouse:
    """The chosen client's view of the workspace: every read and write is that client's."""
    return workspace().for_account(client())


def clients() -> list[str]:
    """The client ids the signed-in user may see (all when sign-in is off); a new workspace has the default one."""
    ids = workspace().accounts() or [schema.DEFAULT_ACCOUNT]
    pol = policy()
    if pol.open:
        return ids
    visible = [a for a in ids if pol.role(_email(), a) > 0]
    return visible or ids[:1]  # none: the first, which require_sign_in then refuses


def client() -> str:
    """The client chosen in the sidebar (the first one until a choice is made)."""
    ids = clients()
    # A switch asked for in this run's page wins until the sidebar applies it on the next run.
    for chosen in (st.session_state.get(SWITCH_KEY), st.session_state.get(CLIENT_KEY)):
        if chosen in ids:
            return chosen
    return ids[0]


def switch_client(account: str) -> None:
    """Choose ``account`` in the sidebar on the next run (call st.rerun() after)."""
    st.session_state[SWITCH_KEY] = account


def data_version() -> int:
    return warehouse().data_version


# ------------------------------------------------------------------ the store of fitted models

T = TypeVar("T")


class FitStore:
    """A bounded, thread-safe store of fitted models shared by every session of one server.

    :meth:`get_or_fit` fits a value once per key: concurrent callers of one key wait on
    that key's lock while the first fits (other keys go on in parallel), then read the
    stored value. The least recently used entries beyond ``max_entries`` are dropped. A fit
    that raises stores nothing; the next caller tries again.
    """

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = int(max_entries)
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.fits = 0  # how many times a value was computed (the load test reads it)

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True, self._items[key]
            return False, None

    def get_or_fit(self, key: Hashable, fit: Callable[[], T], *, on_wait: Callable[[], Any] | None = None) -> T:
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if not key_lock.acquire(blocking=False):
            if on_wait is not None:
                on_wait()  # another session is fitting this very model: say so, then wait for it
            key_lock.acquire()
        try:
            found, value = self._lookup(key)
            if found:
                return value
            value = fit()
            with self._lock:
                self.fits += 1
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
            return value
        finally:
            key_lock.release()
            with self._lock:
                if not key_lock.locked() and self._key_locks.get(key) is key_lock:
                    self._key_locks.pop(key, None)

    def entries(self) -> list[tuple[Hashable, Any]]:
        """Every stored (key, value), least recently used first."""
        with self._lock:
            return list(self._items.items())

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@st.cache_resource
def fit_store() -> FitStore:
    """The server's one store of fitted models (``cache_resource``: shared by every session)."""
    return FitStore(max_entries=48)


def _frozen(value: Any) -> Hashable:
    """Parameters as a hashable key part: mappings sorted, sequences as tuples."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_frozen(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(items)
    return value


def account() -> str:
    """Whose data a fit belongs to: the workspace file and the chosen client.

    Each client's data_version counts on its own, so the client must be in the key: two
    clients at the same version must never share a fitted model."""
    return _owner(settings())


def _owner(cfg: Settings) -> str:
    return f"{cfg.db_path}::{cfg.account}"


def fit_key(kind: str, params: Any = (), *, version: int | None = None) -> tuple:
    """The store's key: (model kind, data version, account, parameters)."""
    return (kind, data_version() if version is None else int(version), account(), _frozen(params))


def fitted(kind: str, params: Any, fit: Callable[[], T], *, version: int | None = None,
           waiting: str = "Another session is fitting this model; using its result when it is done…") -> T:
    """A fitted model from the shared store, fitted by ``fit()`` on the first call for its key.

    ``version`` defaults to the workspace's ``data_version`` (new data refits); pass ``0``
    for a result that depends on its parameters only. ``fit`` may drive a progress bar:
    it runs in the session that asked first, the others show ``waiting`` and reuse it.
    """
    return fit_store().get_or_fit(fit_key(kind, params, version=version), fit,
                                  on_wait=lambda: st.caption(waiting))


def is_fitted(kind: str, params: Any = (), *, version: int | None = None) -> bool:
    """True when :func:`fitted` would answer at once for this key."""
    return fit_key(kind, params, version=version) in fit_store()


class Job:
    """Work running in a background thread of the server, with its progress, result or error."""

    def __init__(self, work: Callable[[Callable[[float, str], None]], Any]) -> None:
        self.fraction, self.message = 0.0, "Starting"
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name="workbench-job", daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Callable[[float, str], None]], Any]) -> None:
        try:
            self.result = work(self._progress)
        except BaseException as exc:  # noqa: BLE001 - handed to the page, which shows or raises it
            self.error = exc
        self.fraction = 1.0

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = min(max(float(fraction), 0.0), 1.0), str(message)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.done


@st.cache_resource
def _jobs() -> dict[Hashable, Job]:
    return {}


_JOBS_LOCK = threading.Lock()


def start_job(kind: str, params: Any, work: Callable[[Callable[[float, str], None]], Any]) -> Job:
    """Run ``work(progress)`` in the background once per key (a running job is returned, not started twice)."""
    key = (kind, account(), _frozen(params))
    with _JOBS_LOCK:
        job = _jobs().get(key)
        if job is None or job.done:
            job = _jobs()[key] = Job(work)
        return job


def job(kind: str, params: Any = ()) -> Job | None:
    """The latest background job of this kind and parameters, running or finished."""
    return _jobs().get((kind, account(), _frozen(params)))


def forget_job(kind: str, params: Any = ()) -> None:
    with _JOBS_LOCK:
        _jobs().pop((kind, account(), _frozen(params)), None)


# ------------------------------------------------------------------ warm start

#: The settings each heavy page opens with; the warm start fits exactly these keys.
ROI_DEFAULTS = (0.8, 1.0, 50.0)        # interval level, ridge alpha, minimum monthly spend
FORECAST_DEFAULTS = ("leads", None, 28)  # metric, campaign, horizon


def warm_fits(wh: Warehouse, cfg: Settings) -> list[tuple[tuple, Callable[[], Any]]]:
    """(key, fit) of the fits the heavy pages make on first open, with their default settings.

    The keys are those the pages compute (:func:`fit_key`), so a page opened after the warm
    start finds its model already fitted; fits are plain ``core`` calls (no ``st.`` in them:
    they run outside any session).
    """
    from core import monitoring, recommendations, roi, scheduling, sentiment
    from core.warehouse import Filters

    version, who, country = wh.data_version, _owner(cfg), cfg.country
    counts = wh.counts()
    out: list[tuple[tuple, Callable[[], Any]]] = []

    def key(kind: str, params: Any) -> tuple:
        return (kind, version, who, _frozen(params))

    if counts.get("campaigns"):
        # The workshop's first plan comes first: it is the fit a consultant waits for in front of a client.
        out += [
            (key("recommendations.curves", ()), lambda: recommendations.ResponseModel().fit(wh.campaigns())),
            (key("monitoring", ("normal", (), (), country)),
             lambda: monitoring.Monitor(sensitivity="normal", country=country).fit(
                 wh.campaigns(Filters(platforms=(), objectives=())), wh.shared_budgets())),
            (key("roi", ROI_DEFAULTS), lambda: roi.analyse(wh.campaigns(), level=ROI_DEFAULTS[0],
                                                          alpha=ROI_DEFAULTS[1], min_spend=ROI_DEFAULTS[2])),
            (key("scheduling.forecast", (*FORECAST_DEFAULTS, country)),
             lambda: scheduling.forecast_report(wh, FORECAST_DEFAULTS[0], FORECAST_DEFAULTS[1],
                                                horizon=FORECAST_DEFAULTS[2], country=country)),
        ]
    if counts.get("posts"):
        out.append((key("scheduling.best_times", None), lambda: scheduling.BestTimes(tz=None).fit(wh.posts())))
    if counts.get("comments") and not cfg.hf_model:
        head_id = sentiment.current_model_id(cfg.models_dir)
        if head_id:
            def score() -> dict:
                head = fit_store().get_or_fit(("sentiment.model", 0, who, _frozen((str(cfg.models_dir), head_id))),
                                              lambda: sentiment.load_model(str(cfg.models_dir), artifact_id=head_id))
                return sentiment.score_comments(wh, head)
            out.append((key("sentiment.scoring", head_id), score))
    return out


def _real_server() -> bool:
    """True under ``streamlit run`` (AppTest's runtime is a stand-in, and tests fit on demand).

    AppTest's stand-in is ``MagicMock(spec=Runtime)``, which passes ``isinstance``: the test is on
    the flag AppTest sets for its runs (without it every page test warmed every model in the background).
    """
    from streamlit import config, runtime  # config.get_option: the name AppTest patches (st.get_option is a copy)

    return runtime.exists() and not config.get_option("global.appTest")


@st.cache_resource
def _warm_started() -> set:
    return set()


def warm_up() -> Job | None:
    """Fit the heavy pages' models in the background, once per server and data version (a real server only:
    tests and the command line fit on demand)."""
    if not _real_server() or not settings().warm_start:
        return None
    wh, cfg = warehouse(), settings()
    mark = (_owner(cfg), wh.data_version)
    with _JOBS_LOCK:
        if mark in _warm_started():
            return None
        _warm_started().add(mark)
    store = fit_store()

    def work(progress: Callable[[float, str], None]) -> int:
        fits = warm_fits(wh, cfg)
        for i, (key, fit) in enumerate(fits):
            progress(i / max(len(fits), 1), f"Preparing {key[0]}")
            try:
                store.get_or_fit(key, fit)
            except WorkbenchError:
                continue  # the page will show the same titled error when it is opened
        return len(fits)

    return start_job("warm_up", mark, work)


def models_in_use() -> pd.DataFrame:
    """The fitted models this workspace's pages answer with now (the shared store), and the sentiment head."""
    from core import sentiment

    rows = [{"model": key[0], "kind": type(value).__name__, "data_version": key[1],
             "parameters": ", ".join(f"{v}" for v in key[3]) if isinstance(key[3], tuple) else str(key[3])}
            for key, value in fit_store().entries()
            if key[2] == account() and not key[0].startswith(("lifecycle.", "sentiment.scor"))
            and not isinstance(value, (pd.DataFrame, dict, tuple))]
    head = sentiment.current_model_id(settings().models_dir)
    if head:
        rows.append({"model": "sentiment head", "kind": "SentimentModel", "data_version": None, "parameters": head})
    return pd.DataFrame(rows, columns=["model", "kind", "data_version", "parameters"])


def frame(kind: str, params: Any, compute: Callable[[], pd.DataFrame], *, version: int | None = None) -> pd.DataFrame:
    """A computed frame from the shared store, copied so that a page cannot change another session's."""
    return fitted(kind, params, compute, version=version).copy()


@st.cache_data(show_spinner=False)
def _table(name: str, account: str, version: int, filters: Filters | None) -> pd.DataFrame:
    wh = workspace().for_account(account)
    if name == "customers":
        return wh.customers()
    return getattr(wh, name)(filters)


def table(name: str, filters: Filters | None = None) -> pd.DataFrame:
    """A contract table of the chosen client as a frame, cached until its data changes."""
    return _table(name, client(), data_version(), filters)


@st.cache_data(show_spinner=False)
def _customer_values(account: str, version: int) -> pd.DataFrame:
    from core import clv

    return clv.customer_values(workspace().for_account(account).customers())[1]


def customer_values() -> pd.DataFrame:
    """The chosen client's customers' predicted value (core.clv), refitted only when their data changes."""
    return _customer_values(client(), data_version())


@st.cache_data(show_spinner=False)
def _date_bounds(account: str, version: int) -> tuple[date | None, date | None]:
    return workspace().for_account(account).date_range()


@st.cache_data(show_spinner=False)
def _choices(account: str, column: str, version: int) -> list[str]:
    return workspace().for_account(account).distinct(column)


def client_switcher() -> None:
    """The sidebar's client choice; every page, download and model follows it."""
    ids = clients()
    pending = st.session_state.pop(SWITCH_KEY, None)
    if pending in ids:
        st.session_state[CLIENT_KEY] = pending
    if st.session_state.get(CLIENT_KEY) not in ids:
        st.session_state[CLIENT_KEY] = ids[0]
    names = workspace().clients().set_index("account_id")["name"].to_dict()
    with st.sidebar:
        st.selectbox("Client", ids, key=CLIENT_KEY, format_func=lambda a: names.get(a, a),
                     help="Every page, download and model shows only this client's data. "
                          "Add, rename or delete clients on the Data page.")


def sidebar_filters() -> None:
    """The shared sidebar: the client, then the filter every page reads through :func:`filters`."""
    problem = secrets_problem()
    if problem:
        st.warning(md(problem), icon=":material/key_off:")
    client_switcher()
    account, version = client(), data_version()
    lo, hi = _date_bounds(account, version)
    with st.sidebar:
        st.caption("Filters apply to every page")
        if lo is not None and hi is not None:
            default = (max(lo, hi - timedelta(days=89)), hi)
            current = st.session_state.get("filters.range")
            if not current or len(current) != 2 or current[0] < lo or current[1] > hi:
                st.session_state["filters.range"] = default
            st.date_input("Date range", min_value=lo, max_value=hi, key="filters.range")
        platforms, objectives = _choices(account, "platform", version), _choices(account, "objective", version)
        # A choice made for another client that this one does not have would be refused by the widget.
        for key, options in (("filters.platforms", platforms), ("filters.objectives", objectives)):
            if any(v not in options for v in st.session_state.get(key) or ()):
                st.session_state[key] = [v for v in st.session_state[key] if v in options]
        st.multiselect("Platforms", platforms, key="filters.platforms", placeholder="All platforms")
        st.multiselect("Objectives", objectives, key="filters.objectives", placeholder="All objectives")
    warm_up()


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


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A result table as a person reads it: a missing text value is a dash, not "None".

    Only for display; downloads keep the real missing values."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].where(out[col].notna(), "–")
    return out


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


def clients_section() -> None:
    """The Data page's client management: list, add, rename, export, delete (behind a confirmation)."""
    ws, current = workspace(), client()
    listing = ws.clients()
    listing = listing[listing["account_id"].isin(clients())]
    st.dataframe(listing, hide_index=True, width="stretch", key="data.clients_table")
    download_buttons(listing, "clients", key="data.clients")
    if not allowed("manage_clients"):
        st.caption("Adding, renaming and deleting clients needs the admin role.")
        return
    add, rename = st.columns(2)
    with add, st.form("data.client_add_form", clear_on_submit=True):
        new_id = st.text_input("New client id", key="data.client_id", placeholder="acme",
                               help="Letters, digits, '_', '.', '-'. Rows and models are filed under it.")
        new_name = st.text_input("Name", key="data.client_name", placeholder="Acme Dental")
        if st.form_submit_button("Add client", icon=":material/person_add:") and new_id.strip():
            with error_box():
                switch_client(ws.add_client(new_id, new_name or None))
                st.rerun()
    with rename, st.form("data.client_rename_form", clear_on_submit=True):
        name = st.text_input(f"New name for {ws.client_name(current)}", key="data.client_rename")
        if st.form_submit_button("Rename", icon=":material/edit:") and name.strip():
            with error_box():
                ws.rename_client(current, name) if current in ws.accounts() else ws.add_client(current, name)
                st.rerun()
    # The confirmation belongs to one client: switching clients never carries it over.
    confirm = st.checkbox(f"I understand this deletes {current}'s data, saved state and history",
                          key=f"data.confirm_delete_client.{current}")
    if st.button(f"Delete client {current}", key="data.delete_client",
                 disabled=not confirm or current not in ws.accounts(), icon=":material/person_remove:"):
        with error_box():
            ws.delete_client(current)
            st.session_state.pop(f"data.confirm_delete_client.{current}", None)
            st.toast(f"Client {current} deleted.")
            st.rerun()
