"""Stage 4: per-study tables and statistics from the trained runs."""
