"""Stage 6: the report, from tables and figures to Markdown, HTML and PDF."""
