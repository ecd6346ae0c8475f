"""Where the repository and the tests' own files are, for test modules at any folder depth."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # this file sits in tests/, directly under the root
TESTS = ROOT / "tests"
CONFIGS = TESTS / "configs"
