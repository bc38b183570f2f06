"""The release's exports, one module per family, none importing the catalogue's views:
``tabular`` (CSV, JSON, Markdown and the PDF packs' documents, built at publishing),
``pdfpack`` (laying out and assembling the PDF training pack, also run as a child process),
``packview`` (the pack's text: Markdown, dates, figures, the target scale), ``datastack``
(dbt Semantic Layer YAML and OpenMetadata metrics, built on demand from ``tabular``'s document)
and ``render`` (any format by name, for ``export_catalog``). import-linter holds that order as
layers: render ← datastack ← tabular ← (pdfpack | packview), so there is no import circle.

Nothing is imported here: ``python -m kpiworkshop.catalog.exports.pdfpack`` (the PDF layout
process) loads only what it needs: importing the package loads none of its modules."""
