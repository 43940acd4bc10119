"""Data: upload contract files, see what loaded, the ingest history, examples, reset, export."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import competitors
from core.connectors import ingest_paths, mapping
from core.connectors.ingest import needs_mapping
from core.escape import markdown as md
from core.connectors.csv_exports import PARSERS
from core.worker import inbox as inbox_
from core.worker import share
from core.warehouse import IngestReport
from pages import _shared

# Contract fields a CSV column can fill, in the order the mapping step asks for them.
MAP_FIELDS = [f for f in PARSERS if f not in mapping.CONSTANT_FIELDS] + ["platform"]


def _queue(inbox: Path, files: list[tuple[str, bytes]]) -> None:
    """Hand files to the monitor worker's inbox for the chosen client (it owns the workspace); the page lists them."""
    st.session_state["data.queued"] = [inbox_.queue(inbox, name, data, account=_shared.client()).name
                                       for name, data in files]


st.title("Data")
st.caption("Load your team's history as JSON (campaigns, posts, comments, customers) or the ad platforms' own "
           "exports, recognised by their content (see docs/data-format.md). Re-loading a file replaces its rows; "
           "it never double-counts.")

wh = _shared.warehouse()
counts = wh.counts()
cols = st.columns(4)
for col, (name, n) in zip(cols, counts.items()):
    col.metric(name.capitalize(), f"{n:,}")

_shared.access_note()
can_upload = _shared.allowed("upload")
if can_upload:
    st.subheader("Upload")
    with st.form("data.upload_form", clear_on_submit=True):
        files = st.file_uploader(
            "Workspace files or platform exports", type=["json", "ndjson", "jsonl", "gz", "csv", "tsv", "txt"],
            accept_multiple_files=True, key="data.files",
            help="The workbench's JSON, or the ad platforms' own exports as they come: Meta insights and ad sets, "
                 "Google Ads SearchStream responses, Meta / Google / LinkedIn / Microsoft CSV downloads.")
        table = st.selectbox("Table (when the file does not say)", ["guess from the records", "campaigns", "posts",
                                                                    "comments", "customers"], key="data.table")
        skip_bad = st.checkbox("Skip bad records (load the good ones and list the rest)", key="data.skip_bad")
        submitted = st.form_submit_button("Load", type="primary", icon=":material/upload:")

    inbox = share.worker_inbox(_shared.workspace())
    if submitted and files and inbox is not None:
        # The monitor worker owns the file: a write here would land in its read-only snapshot and be lost.
        # A CSV it could not read stays here for the mapping step (the worker cannot ask for a mapping).
        unknown = {}
        with tempfile.TemporaryDirectory() as tmp:
            for upload in files:
                path = Path(tmp) / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                if (err := needs_mapping(wh, path, upload.name)) is not None:
                    unknown[upload.name] = err
        _queue(inbox, [(u.name, u.getvalue()) for u in files if u.name not in unknown])
        if unknown:
            st.session_state["data.unmapped"] = next((u.name, u.getvalue()) for u in files if u.name in unknown)
            st.session_state["data.last_report"] = (IngestReport().to_dict(),
                                                    [(n, str(e), None) for n, e in unknown.items()])
        st.rerun()
    elif submitted and files:
        problems: list = []
        progress = st.progress(0.0, text="Loading…")
        with tempfile.TemporaryDirectory() as tmp, _shared.error_box():
            paths = []
            for upload in files:
                paths.append(Path(tmp) / Path(upload.name).name)
                paths[-1].write_bytes(upload.getvalue())
            # One call for all files: the files of one export (ad sets and insights) complete each other.
            total = ingest_paths(wh, paths, names=[u.name for u in files], account_id=_shared.client(), skip_bad=skip_bad,
                                 table=None if table.startswith("guess") else table, errors=problems,
                                 progress=lambda i, n, name: progress.progress(i / n, text=f"Loading {name} ({i + 1} "
                                                                                          f"of {n})…"))
            progress.progress(1.0, text="Done")
            unknown = {n: u.getvalue() for u in files for n, e in problems if n == u.name and e.title == "Unknown CSV"}
            if unknown:
                st.session_state["data.unmapped"] = next(iter(unknown.items()))
            st.session_state["data.last_report"] = (total.to_dict(), [(n, str(e), getattr(e, "violations", None))
                                                                      for n, e in problems])
            st.rerun()

    unmapped = st.session_state.get("data.unmapped")
    if unmapped:
        map_name, raw = unmapped
        st.subheader(f"Map {md(map_name)}")
        st.caption("The workbench does not know this CSV's columns. Pick the column for each field once: the mapping "
                   "is kept, and the next file with the same columns loads without asking.")
        with tempfile.TemporaryDirectory() as tmp, _shared.error_box():
            map_path = Path(tmp) / Path(map_name).name
            map_path.write_bytes(raw)
            det, preview, guess = mapping.preview(map_path, map_name)
            st.dataframe(preview, hide_index=True, width="stretch")
            with st.form("data.mapping_form"):
                options = ["(none)"] + det.headers
                grid = st.columns(3)
                picked = {f: grid[i % 3].selectbox(f, options, index=options.index(guess[f]) if f in guess else 0,
                                                   key=f"data.map.{f}") for i, f in enumerate(MAP_FIELDS)}
                fixed = {f: grid[i % 3].text_input(f"{f} (one value for every row)", key=f"data.map_const.{f}")
                         for i, f in enumerate(mapping.CONSTANT_FIELDS)}
                go = st.form_submit_button("Keep this mapping and load the file", type="primary")
            if go:
                kept = mapping.Mapping(columns={f: c for f, c in picked.items() if c != "(none)"},
                                       constants={f: v.strip() for f, v in fixed.items() if v.strip()},
                                       header_line=det.header_line, delimiter=det.delimiter, encoding=det.encoding)
                # While the worker watches, the snapshot passes this write on as a request the worker applies
                # at the start of a turn, before it takes any file not yet seen twice: the file queued next.
                mapping.save(wh, det.headers, kept)
                if inbox is not None:
                    _queue(inbox, [(map_name, raw)])
                    st.session_state.pop("data.last_report", None)
                else:
                    report = ingest_paths(wh, [map_path], names=[map_name], account_id=_shared.client())
                    st.session_state["data.last_report"] = (report.to_dict(), [])
                st.session_state.pop("data.unmapped")
                st.rerun()

queued = st.session_state.pop("data.queued", None)
if queued:
    st.info(f"The monitor worker owns the workspace, so {len(queued)} file(s) went to its inbox: it loads them on "
            "its next turn (the table guessed from the records, a file with bad records refused), checks them and "
            "publishes, and this page then shows them.", icon=":material/schedule:")
    st.dataframe(pd.DataFrame({"queued file": queued}), hide_index=True, width="content")

last = st.session_state.get("data.last_report")
if last:
    report, problems = last
    loaded, replaced = sum(report["loaded"].values()), sum(report["replaced"].values())
    if loaded or replaced:
        st.success(f"Loaded {loaded:,} new rows and replaced {replaced:,} existing rows.", icon=":material/check:")
        st.dataframe(pd.DataFrame({"new rows": report["loaded"], "replaced": report["replaced"]}).fillna(0)
                     .astype(int), width="content")
    for warning in report["warnings"]:
        st.warning(md(warning))
    if report["skipped"]:
        st.warning(f"{len(report['skipped'])} bad record(s) skipped:")
        skipped = pd.DataFrame(report["skipped"])
        st.dataframe(skipped, hide_index=True, width="stretch")
        _shared.download_buttons(skipped, "skipped-records", key="data.skipped")
    for name, message, violations in problems:
        st.error(f"**{md(name)} was not loaded.** {md(message)}")
        if violations is not None and len(violations):
            st.dataframe(violations, hide_index=True, width="stretch")
            _shared.download_buttons(violations, f"{Path(name).stem}-errors", key=f"data.errors.{name}")

if can_upload:
    st.subheader("Examples")
    left, right = st.columns(2)
    with left:
        st.markdown("**Sample workspace**: two years of a fictional advertiser (generated, documented in "
                    "data/sample/README.md).")
        if st.button("Load the sample workspace", key="data.load_sample", icon=":material/dataset:"):
            with st.spinner("Loading the sample workspace…"), _shared.error_box():
                sample = _shared.settings().sample_dir / "workspace.json.gz"
                if inbox is not None:  # the worker's: its rows through the inbox, the rivals' state as requests
                    _queue(inbox, [(sample.name, sample.read_bytes())])
                else:
                    st.session_state["data.last_report"] = (wh.ingest(sample).to_dict(), [])
                competitors.load_snapshots(wh)  # the sample's rivals, crawled from local snapshots
                st.rerun()
    with right:
        from core import importers

        st.markdown("**Real public data** mapped into the format (their licences do not let us ship them: "
                    "upload Kaggle's *Sales Conversion Optimization* `KAG_conversion_data.csv`, or use the copies "
                    "in `../shared/datasets` when they are beside the project).")
        datasets = _shared.settings().datasets_dir
        choices = importers.available_examples(datasets)
        kag = st.file_uploader("KAG_conversion_data.csv", type=["csv"], key="data.kag_csv")
        example = st.selectbox("Example", ["upload above"] + choices, key="data.example",
                               format_func=lambda n: importers.EXAMPLES.get(n, n))
        ready = kag is not None or example != "upload above"
        if st.button("Import the example", key="data.load_example", disabled=not ready, icon=":material/public:"):
            with st.spinner("Mapping and loading…"), _shared.error_box():
                if example == "upload above":
                    records, name = importers.import_fb_ad_conversion(kag), kag.name
                else:
                    records, name = importers.load_example(example, datasets)["campaigns"], f"{example} example"
                if inbox is not None:  # the worker's: the mapped records go to its inbox as a contract file
                    data = json.dumps({"campaigns": records}).encode()
                    _queue(inbox, [(f"{Path(name).stem}.json", data)])
                else:
                    report = wh.ingest_records("campaigns", records, name=name)
                    st.session_state["data.last_report"] = (report.to_dict(), [])
                st.rerun()

st.subheader("Ingest history")
history = wh.ingest_history()
if history.empty:
    st.caption("Nothing loaded yet.")
else:
    st.dataframe(history, hide_index=True, width="stretch")
    _shared.download_buttons(history, "ingest-history", key="data.history")

st.subheader("Clients")
_shared.clients_section()  # it shows the list to everyone and the management to admins

st.subheader("Export and reset")
client = _shared.client()
left, right = st.columns(2)
with left:
    if st.button(f"Prepare {client}'s workspace JSON", key="data.export", icon=":material/download:"):
        st.session_state["data.export_json"] = (client, json.dumps(wh.export_workspace()))
    exported = st.session_state.get("data.export_json")
    if exported and exported[0] == client:
        st.download_button(f"Download {client}.json", exported[1], f"{client}.json",
                           "application/json", key="data.export_download")
with right:
    if not _shared.allowed("reset"):
        st.caption("Emptying a client needs the admin role.")
    else:
        confirm = st.checkbox(f"I understand this deletes every table of client {client}",
                              key=f"data.confirm_reset.{client}")
        if st.button("Empty this client", key="data.reset", type="secondary", disabled=not confirm,
                     icon=":material/delete_forever:"):
            wh.reset()
            st.session_state.pop("data.last_report", None)
            st.toast(f"Client {client} emptied.")
            st.rerun()
