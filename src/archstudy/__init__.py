"""archstudy: reproducible comparison reports for dense Keras architectures."""

__version__ = "0.1.0"
