"""Инфополе — мониторинг информационного поля муниципалитета для МЦУ.

The package ``infopole`` is the domain: configuration, the canonical records, storage,
incidents and alerts. Edges live in sibling packages: ``crawlers`` (sources in),
``nlp`` (analysis), ``index`` (search), ``flows`` (schedule), ``dashboards`` (people).
"""

__version__ = "0.1.0"
