"""Stage 5: the figures of each study and dataset."""
