"""The speed benchmark (run.py) and the notebook-study runs (notebook_studies.py)."""
