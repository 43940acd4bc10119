"""Models: every model family with its version, training window, figures over time, drift and a retrain button."""

import pandas as pd
import streamlit as st

from core import lifecycle
from core.charts import lifecycle as charts
from pages import _shared

st.title("Models")
st.caption("Which model made a number, on what data, and is it still good? Every fit is tracked in MLflow; a new "
           "model replaces the current one only when its evaluation is no worse.")

if _shared.empty_note("campaign data"):
    st.stop()

wh = _shared.warehouse()
settings = _shared.settings()
families = lifecycle.families()


def _train_missing() -> list[dict]:
    """First open on these data: train and track every family never run, with progress (once per server)."""
    with st.status("Training and tracking the workbench's models for the first time…", expanded=True) as status:
        bar = st.progress(0.0)
        done = lifecycle.train_missing(wh, settings, families=families,
                                       progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        status.update(label=f"Trained {sum(r['retrained'] for r in done)} model families", state="complete",
                      expanded=False)
    return done


# Drift is judged only where there is something to compare: a model, and data it has not seen. It only
# changes with the data and the champion, so it is kept in the shared store per data version and run.
def _drift(name: str, champion) -> dict:
    run = None if champion is None else champion["run_id"]
    return _shared.fitted("lifecycle.drift", (name, run),
                          lambda: lifecycle.judged_drift(wh, families[name], champion))


with _shared.error_box():
    first = {r["family"]: r for r in _shared.fitted("lifecycle.first_training", (), _train_missing)}
    champs = lifecycle.champions(wh)
    drift = {name: _drift(name, champs.loc[name] if name in champs.index else None) for name in families}
    view = lifecycle.overview(wh, families)
    view["drift"] = view["family"].map({n: d["status"] for n, d in drift.items()})
    view["drift_note"] = view["family"].map({n: d["note"] for n, d in drift.items()})
    latest = lifecycle.latest_runs(wh)
    # A family that could not train says why (no experiments yet, too few labels) instead of showing empty cells.
    view["status"] = [
        f"current model {v}" if isinstance(v, str) and v else
        (str(latest.loc[f, "reason"]) if f in latest.index else first.get(f, {}).get("reason", "not trained yet"))
        for f, v in zip(view["family"], view["version"])]

    trained = view["version"].notna()
    m1, m2, m3 = st.columns(3)
    m1.metric("Model families", len(view))
    m2.metric("With a current model", int(trained.sum()))
    m3.metric("Inputs drifted", int((view["drift"] == "drift").sum()),
              help="Judged only for a model whose data have changed since it was trained: population stability "
                   "index and a two-sample test per input feature, the last 28 days against the same weeks a year "
                   "earlier (or the 28 days before, with a shorter history).")
    if not trained.any():
        st.info("No model could be trained on these data yet: see each family's status below.",
                icon=":material/model_training:")
    for row in view[view["drift"] == "drift"].itertuples():
        st.warning(f"**{row.family}**: {row.drift_note}. Its inputs have moved since it was trained; "
                   "retrain it.", icon=":material/trending_up:")

    st.subheader("Current models")
    show = ["family", "version", "primary_metric", "value", "window_start", "window_end", "trained_at", "drift",
            "status", "last_decision", "description", "run_id"]
    # Shown as text so that a family without a model reads "–", never "None".
    shown = view[show].assign(
        value=[f"{v:.4g}" if pd.notna(v) else None for v in view["value"]],
        trained_at=[f"{pd.Timestamp(t):%Y-%m-%d %H:%M} UTC" if pd.notna(t) else None for t in view["trained_at"]])
    shown = shown.astype(object).where(shown.notna(), "–").astype(str)
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "value": "figure", "primary_metric": "decides on", "trained_at": "trained",
        "last_decision": "last champion/challenger decision", "run_id": "MLflow run"})
    _shared.download_buttons(view, "models", key="models.table")

    st.subheader("Retrain")
    if not _shared.allowed("retrain"):
        st.caption("Retraining needs the analyst or admin role.")
    else:
        with st.form("models.form"):
            chosen = st.multiselect("Families", list(families), default=list(families), key="models.families")
            force = st.checkbox("Force (retrain even when the data has not changed)", key="models.force")
            submitted = st.form_submit_button("Retrain", key="models.retrain", icon=":material/model_training:")
        if submitted:
            if not chosen:
                st.warning("Choose at least one family.")
            else:
                bar = st.progress(0.0, text="Starting")
                results = lifecycle.retrain(wh, settings, chosen, force=force,
                                            progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
                st.session_state["models.results"] = results
                st.rerun()
    results = st.session_state.get("models.results")
    if results:
        frame = pd.DataFrame([{**{k: v for k, v in r.items() if k != "metrics"},
                               "metrics": ", ".join(f"{k} {v:.4g}" for k, v in r["metrics"].items()
                                                    if v is not None)} for r in results])
        st.dataframe(frame, hide_index=True, width="stretch", key="models.results_table")
        _shared.download_json({"results": results}, "retrain", key="models.results_json")

    st.subheader("Evaluation over time")
    history = lifecycle.metric_history(wh)
    if history.empty:
        st.caption("Figures appear here after the first retrain.")
    else:
        all_figures = st.toggle("Every figure (not only the deciding one)", key="models.all_figures")
        st.plotly_chart(charts.metric_history(history, primary_only=not all_figures), key="models.history")
        runs = lifecycle.runs(wh)
        st.dataframe(runs.sort_values("trained_at", ascending=False), hide_index=True, width="stretch",
                     key="models.runs")
        _shared.download_buttons(runs, "model-runs", key="models.runs_dl")

    st.subheader("In use by the pages")
    in_use = _shared.models_in_use()
    st.caption("The fitted models the pages are answering with right now, shared by every session and refitted "
               "when the data change; the sentiment head is the registry's current one.")
    st.dataframe(in_use, hide_index=True, width="stretch", key="models.in_use")
    _shared.download_buttons(in_use, "models-in-use", key="models.in_use_dl")

    st.subheader("Drift")
    pick = st.selectbox("Family", list(families), key="models.drift_family")
    detail = drift[pick]
    st.caption(f"{families[pick].description}: {detail['note']}.")
    if len(detail["table"]):
        st.plotly_chart(charts.drift_bars(detail["table"], lifecycle.PSI_DRIFT), key="models.drift_chart")
        st.dataframe(detail["table"], hide_index=True, width="stretch", key="models.drift_table")

    st.subheader("More in MLflow")
    st.caption("Every run's parameters, figures and artifact are in MLflow. Its own interface needs the full "
               "`mlflow` package (the workbench installs `mlflow-skinny`, which logs runs but has no UI): "
               "`pip install mlflow` in a separate environment, then:")
    st.code(f"mlflow ui --backend-store-uri {lifecycle.tracking_uri(settings)}", language="bash")
