"""Stage 3: networks built and trained, one job per variant."""
