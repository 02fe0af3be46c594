"""Watch: multilingual monitoring of interethnic tension in news and social media.

Stages, each a function over a batch of documents: ``ingest`` (feeds, dumps, pages, Telegram
exports), ``text`` (normalisation, redaction, language), ``dedup`` (URL identity, stories),
classification, ``aggregate`` (daily counts, tension index, baseline) and ``spikes`` (alerts);
``pipeline`` chains them and stores the result.
"""
