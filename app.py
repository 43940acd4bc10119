"""Entry point: routes to the pages and draws the shared sidebar. No logic here."""

from pathlib import Path

import streamlit as st


def _serve() -> None:
    """`python app.py [streamlit options]`: serve the workbench with the new multipage routing from the start.

    Streamlit picks its routing once per process, at the first session: with a pages/
    folder beside the entry point it starts in the old layout, so the first visits after a
    restart that land on deep links (/monitoring) would run those pages without app.py.
    Settling the flag before the server starts closes that window, which the guard in
    pages/_shared.py (for `streamlit run app.py`) can only close by a rerun.
    """
    import sys

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", __file__, *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__" and not st.runtime.exists():
    _serve()

from pages import _shared  # noqa: E402

# A local file: a ":material/...:" page icon makes every page load fetch the favicon from fonts.gstatic.com.
st.set_page_config(page_title="Marketing workbench", page_icon=str(Path(__file__).parent / "assets" / "icon.png"),
                   layout="wide")
with _shared.error_box():  # a workspace held by another process is one titled error, not a traceback
    _shared.begin_run()
    _shared.require_sign_in()

# section -> (page stem, title, icon).
SECTIONS = {
    "Workspace": [("overview", "Overview", ":material/dashboard:"),
                  ("data", "Data", ":material/upload_file:")],
    "Plan": [("recommendations", "Recommendations", ":material/auto_awesome:"),
             ("roi", "ROI", ":material/paid:"),
             ("bandits", "A/B bandits", ":material/science:")],
    "Watch": [("monitoring", "Monitoring", ":material/notifications_active:")],
    "Social": [("scheduling", "Scheduling", ":material/schedule:"),
               ("sentiment", "Sentiment", ":material/mood:"),
               ("content_studio", "Content studio", ":material/edit_note:")],
    "Market": [("competitors", "Competitors", ":material/travel_explore:"),
               ("segments", "Segments", ":material/groups:")],
    "Models": [("models", "Models", ":material/model_training:")],
}

pages = {
    section: [st.Page(f"pages/{stem}.py", title=title, icon=icon, default=(stem == "overview"))
              for stem, title, icon in items]
    for section, items in SECTIONS.items()
}
page = st.navigation(pages)
with _shared.error_box():
    _shared.sidebar_filters()
page.run()
