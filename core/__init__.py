"""Core of the marketing analyst workbench: data, models and the command line.

Nothing in this package imports Streamlit (a test enforces it), so every model the
browser shows also runs headless as ``python -m core``.
"""

__version__ = "0.1.0"
