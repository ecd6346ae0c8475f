"""Tests for archstudy.train.runtime: process set-up for training jobs."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from archstudy.train.runtime import quick_imports


@pytest.fixture
def collector_enabled():
    enabled = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if enabled else gc.disable()


def test_quick_imports_pauses_the_collector_and_restores_it(collector_enabled):
    with quick_imports():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_quick_imports_restores_the_collector_after_a_failed_import(collector_enabled):
    with pytest.raises(ModuleNotFoundError), quick_imports():
        import archstudy_no_such_module  # noqa: F401
    assert gc.isenabled()


def test_quick_imports_leaves_a_paused_collector_paused(collector_enabled):
    gc.disable()
    with quick_imports():
        pass
    assert not gc.isenabled()


def test_keras_imported_quickly_leaves_out_scikit_learn_which_imports_afterwards():
    # A fresh interpreter: this one has imported Keras and scikit-learn already.
    program = (
        "import sys\n"
        "from archstudy.train.runtime import configure_process, quick_imports\n"
        "configure_process(1)\n"
        "with quick_imports():\n"
        "    import keras\n"
        "assert 'sklearn' not in sys.modules, 'Keras imported scikit-learn'\n"
        "from sklearn.model_selection import train_test_split\n"
        "print('imported', keras.backend.backend())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "imported tensorflow"
