"""Generated documentation stays in step with what it documents."""

from paths import ROOT

from archstudy.config.schema_docs import render


def test_config_reference_matches_the_schema():
    documented = (ROOT / "docs" / "config.md").read_text()
    assert documented == render(), "run: .venv/bin/archstudy schema-docs > docs/config.md"


def test_config_reference_lists_every_hyperparameter_and_nested_setting():
    text = render()
    for key in (
        "`hidden`",
        "`learning_rate`",
        "`early_stopping.patience`",
        "`lr_range_test.factor`",
        "`regularization.kernel_l2`",
        "`data.mirrors`",
        "`limits.max_variants`",
        "`grid`",
    ):
        assert key in text
