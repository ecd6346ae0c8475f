"""Tests for archstudy.train.epoch_loop: each epoch in its own order, otherwise Keras' fit."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
from factories import hyperparameters

from archstudy.config.hyperparameters import EarlyStopping, Hyperparameters, StopBelow

# 203 examples, minibatches of 16 in chunks of 3 (48 examples): the last chunk is partial and
# ends with a partial minibatch; 50 validation examples in batches of 16 end with a partial one.
N_EXAMPLES, BATCH, STEPS, VALIDATION_BATCH = 203, 16, 3, 16
VARIANT = hyperparameters(dataset="tiny", hidden=(24, 12), learning_rate=0.01, epochs=3)


def arrays(categorical: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.random((N_EXAMPLES, 20), dtype=np.float32)
    labels = (x[:, :10].argmax(axis=1) + (x[:, 10] > 0.5)) % 10
    y = np.eye(10, dtype=np.float32)[labels] if categorical else labels
    return x, y


def compiled(variant: Hyperparameters, network):
    from archstudy.train.models import build_optimizer

    network.compile(
        optimizer=build_optimizer(variant, variant.learning_rate),
        loss=variant.loss,
        metrics=["accuracy"],
    )
    return network


def step_loop(variant: Hyperparameters, x: np.ndarray):
    """A compiled StepLoop for `variant`, built after seed 0, and its network."""
    import keras

    from archstudy.train.models import build_model
    from archstudy.train.step_loop import StepLoop

    keras.utils.set_random_seed(0)
    network = build_model(variant, x.shape[1], 10)
    return compiled(variant, StepLoop(network, BATCH)), network


def train(model, x, y, epochs: int, callbacks: list, validation: int = 50):
    from archstudy.train.epoch_loop import train_epochs

    return train_epochs(
        model,
        x,
        y,
        chunk_size=BATCH * STEPS,
        epochs=epochs,
        validation_data=(x[:validation], y[:validation]),
        validation_batch_size=VALIDATION_BATCH,
        callbacks=callbacks,
    )


class CallRecorder:
    """Every callback call a training makes, in order, with its epoch or step."""

    def __new__(cls):  # a Keras callback class, built once Keras is imported
        import keras

        class Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.calls: list[tuple[str, int | None]] = []

            def on_train_begin(self, logs=None):
                self.calls.append(("train_begin", None))

            def on_epoch_begin(self, epoch, logs=None):
                self.calls.append(("epoch_begin", epoch))

            def on_train_batch_begin(self, batch, logs=None):
                self.calls.append(("batch_begin", batch))

            def on_train_batch_end(self, batch, logs=None):
                self.calls.append(("batch_end", batch))

            def on_epoch_end(self, epoch, logs=None):
                self.calls.append(("epoch_end", epoch))

            def on_train_end(self, logs=None):
                self.calls.append(("train_end", None))

        return Recorder()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dropout": 0.3, "batch_norm": True, "kernel_l2": 1e-3},
        {"optimizer": "sgd", "momentum": 0.9, "loss": "categorical_crossentropy"},
        {"optimizer": "rmsprop", "momentum": 0.5, "kernel_l1": 1e-4, "activity_l2": 1e-3},
    ],
    ids=["adam", "dropout-batchnorm-l2", "sgd-momentum-categorical", "rmsprop-l1-activity"],
)
def test_each_epoch_trains_exactly_as_plain_fit_on_that_epochs_order(changes):
    """The reference: plain Keras, one `fit` per epoch, unshuffled, on the epoch's order."""
    import keras

    from archstudy.train.models import build_model

    variant = dataclasses.replace(VARIANT, **changes)
    x, y = arrays(variant.loss == "categorical_crossentropy")
    model, network = step_loop(variant, x)
    orders = np.random.get_state()
    history = train(model, x, y, variant.epochs, callbacks=[]).history

    keras.utils.set_random_seed(0)
    plain = compiled(variant, build_model(variant, x.shape[1], 10))
    np.random.set_state(orders)
    expected: dict[str, list[float]] = {}
    for _ in range(variant.epochs):
        order = np.random.permutation(N_EXAMPLES)
        epoch = plain.fit(
            x[order],
            y[order],
            batch_size=BATCH,
            epochs=1,
            shuffle=False,
            validation_data=(x[:50], y[:50]),
            validation_batch_size=VALIDATION_BATCH,
            verbose=0,
        )
        for name, values in epoch.history.items():
            expected.setdefault(name, []).extend(values)
    assert history == expected  # every epoch's loss and accuracy, to the last bit
    for trained, reference in zip(network.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(trained, reference)


def test_each_epoch_draws_a_new_order_the_one_keras_draws_on_jax(monkeypatch):
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    x, y = arrays()
    model, _ = step_loop(VARIANT, x)
    seen: list[np.ndarray] = []
    train_rows = model.train_rows

    def recording(x_held, y_held, rows):
        seen.append(rows.numpy())
        return train_rows(x_held, y_held, rows)

    monkeypatch.setattr(model, "train_rows", recording)
    state = np.random.get_state()
    train(model, x, y, epochs=3, callbacks=[])
    orders = [np.concatenate(seen[epoch * 5 : (epoch + 1) * 5]) for epoch in range(3)]
    assert len(seen) == 3 * 5  # 203 examples in chunks of 48
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(N_EXAMPLES))
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[1], orders[2])
    # Keras' fit on JAX iterates NumPy batches of its arrays in this order.
    np.random.set_state(state)
    keras_batches = ArrayDataAdapter(np.arange(N_EXAMPLES), batch_size=BATCH * STEPS, shuffle=True)
    for order in orders:
        batches = [
            batch[0] if isinstance(batch, tuple) else batch
            for batch in keras_batches.get_numpy_iterator()
        ]
        np.testing.assert_array_equal(np.concatenate(batches), order)


def test_callbacks_see_the_calls_keras_fit_makes():
    x, y = arrays()
    fit_recorder, held_recorder = CallRecorder(), CallRecorder()
    model, _ = step_loop(VARIANT, x)
    model.fit(
        x,
        y,
        batch_size=BATCH * STEPS,
        epochs=VARIANT.epochs,
        validation_data=(x[:50], y[:50]),
        validation_batch_size=VALIDATION_BATCH,
        verbose=0,
        callbacks=[fit_recorder],
    )
    model, _ = step_loop(VARIANT, x)
    history = train(model, x, y, VARIANT.epochs, callbacks=[held_recorder])
    assert held_recorder.calls == fit_recorder.calls
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["val_loss"]) == VARIANT.epochs


def stopped(variant: Hyperparameters) -> tuple[dict, list]:
    from archstudy.train.callbacks import EpochLog, callbacks_for

    x, y = arrays()
    model, _ = step_loop(variant, x)
    recorder = CallRecorder()
    callbacks = [
        *callbacks_for(variant, EpochLog("v", variant.epochs, lambda line: None)),
        recorder,
    ]
    return train(model, x, y, variant.epochs, callbacks).history, recorder.calls


def test_early_stopping_and_stop_below_end_training_after_an_epoch():
    early = dataclasses.replace(
        VARIANT, early_stopping=EarlyStopping(monitor="val_accuracy", patience=1), epochs=12
    )
    below = dataclasses.replace(
        VARIANT, stop_below=StopBelow(monitor="loss", threshold=2.2), epochs=12
    )
    for variant in (early, below):
        history, calls = stopped(variant)
        epochs = len(history["loss"])
        assert epochs < variant.epochs
        assert calls[-2:] == [("epoch_end", epochs - 1), ("train_end", None)]


def test_a_non_finite_loss_stops_training_within_the_epoch():
    history, calls = stopped(
        dataclasses.replace(VARIANT, optimizer="sgd", learning_rate=1e12, momentum=0.9)
    )
    assert not np.isfinite(history["loss"][-1])
    chunks = -(-N_EXAMPLES // (BATCH * STEPS))
    last_epoch = calls[calls.index(("epoch_begin", len(history["loss"]) - 1)) :]
    assert sum(call == "batch_end" for call, _ in last_epoch) < chunks


@pytest.mark.parametrize("categorical", [False, True], ids=["sparse", "one-hot"])
def test_evaluation_gives_what_keras_evaluate_and_predict_give(categorical):
    from archstudy.train.epoch_loop import evaluate_batches, held_batches

    x, y = arrays(categorical)
    variant = dataclasses.replace(
        VARIANT,
        loss="categorical_crossentropy" if categorical else VARIANT.loss,
        dropout=0.3,
        batch_norm=True,
        kernel_l2=1e-3,
    )
    model, _ = step_loop(variant, x)
    train(model, x, y, epochs=2, callbacks=[])
    # 203 examples in batches of 64: the last batch is partial.
    logs, predictions = evaluate_batches(model, held_batches(x, y, 64))
    loss, accuracy = model.evaluate(x, y, batch_size=64, verbose=0)
    assert (logs["loss"], logs["accuracy"]) == (loss, accuracy)
    assert 0 < accuracy < 1  # a trained model, not a trivial one
    np.testing.assert_array_equal(predictions, model.predict(x, batch_size=64, verbose=0))


def test_chunks_and_batches_of_any_length_share_one_graph():
    x, y = arrays()
    model, _ = step_loop(VARIANT, x)
    train(model, x, y, epochs=2, callbacks=[])
    traces = (
        model._train_rows.experimental_get_tracing_count(),
        model._test_batch.experimental_get_tracing_count(),
    )
    # Other lengths of the last chunk and of the last validation batch: no new graph.
    train(model, x[:-20], y[:-20], epochs=2, callbacks=[], validation=41)
    assert (
        model._train_rows.experimental_get_tracing_count(),
        model._test_batch.experimental_get_tracing_count(),
    ) == traces
