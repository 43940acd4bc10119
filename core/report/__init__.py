"""Reports a client takes away: self-contained HTML pages with print CSS, and PDF where WeasyPrint runs.

* :func:`plan_report_html` -- the one-page plan report (brief as understood, line items with
  their reasons, the forecast as a range, the baseline, the response curves, the assumptions).
* :func:`html_to_pdf` -- the same page as PDF (WeasyPrint; None when it cannot run here).
"""

from __future__ import annotations

from core.report.pdf import html_to_pdf, pdf_available
from core.report.plan import plan_report_html

__all__ = ["html_to_pdf", "pdf_available", "plan_report_html"]
