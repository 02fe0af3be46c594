"""The views shared by the web pages, the JSON API and the briefs: the store's reads combined
with the measures (``queries``), the interface text in kk/ru/en (``i18n``) and the number and
date formats (``formats``). ``web/`` and ``report/`` both read through here and neither imports
the other's views."""
