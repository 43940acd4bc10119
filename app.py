"""Entry point: routes to the pages and draws the shared sidebar. No logic here."""

from pathlib import Path

import streamlit as st

from pages import _shared

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
