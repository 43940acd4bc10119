"""HTML to PDF with WeasyPrint (it needs the Pango system library; without it there is no PDF, only HTML)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def pdf_available() -> bool:
    """True when WeasyPrint imports (its Python package and the Pango library are both there)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def html_to_pdf(html: str) -> bytes | None:
    """The page as PDF bytes, or None where WeasyPrint cannot run (the HTML's print CSS still prints)."""
    if not pdf_available():
        return None
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()
