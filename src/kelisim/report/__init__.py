"""Briefs: a printable page per area and period (HTML), and its PDF.

The PDF is Chromium's own print-to-PDF, driven by Playwright for Python with the system
Chromium (``/usr/bin/chromium``, or the path in ``KELISIM_CHROMIUM``); nothing is downloaded.
Without them :func:`brief_pdf` raises a KelisimError saying what to install.
"""

from kelisim.report.brief import brief_data, brief_html, brief_pdf

__all__ = ["brief_data", "brief_html", "brief_pdf"]
