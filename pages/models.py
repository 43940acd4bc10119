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


# Drift compares each family's recent inputs with a seasonal reference; it only changes with the data,
# so it is cached per data version (a few seconds for all families otherwise).
@st.cache_data(show_spinner=False)
def _drift(name: str, version: int) -> dict:
    return lifecycle.drift_status(wh, families[name])


with _shared.error_box():
    drift = {name: _drift(name, _shared.data_version()) for name in families}
    view = lifecycle.overview(wh)
    view["drift"] = view["family"].map({n: d["status"] for n, d in drift.items()})
    view["drift_note"] = view["family"].map({n: d["note"] for n, d in drift.items()})

    trained = view["version"].notna()
    m1, m2, m3 = st.columns(3)
    m1.metric("Model families", len(view))
    m2.metric("With a current model", int(trained.sum()))
    m3.metric("Inputs drifted", int((view["drift"] == "drift").sum()),
              help="Population stability index and a two-sample test per input feature: the last 28 days "
                   "against the same weeks a year earlier (or the 28 days before, with a shorter history).")
    if not trained.any():
        st.info("No model has been trained and tracked yet: retrain below (or run `python -m core retrain --all` "
                "from a scheduled job).", icon=":material/model_training:")
    for row in view[view["drift"] == "drift"].itertuples():
        st.warning(f"**{row.family}**: {row.drift_note}. Its inputs have moved since the reference weeks; "
                   "retrain it once the new data is loaded.", icon=":material/trending_up:")

    st.subheader("Current models")
    show = ["family", "version", "primary_metric", "value", "window_start", "window_end", "trained_at", "drift",
            "last_decision", "description", "run_id"]
    st.dataframe(view[show], hide_index=True, width="stretch", column_config={
        "value": st.column_config.NumberColumn("figure", format="%.4g"),
        "primary_metric": "decides on", "trained_at": st.column_config.DatetimeColumn("trained", format="distance"),
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
