"""Training jobs' progress lines: seed k of n, and the time left from measured epochs."""

from __future__ import annotations

from archstudy.train.callbacks import JobClock


def test_time_left_is_the_epochs_left_times_the_typical_epoch_after_the_first():
    clock = JobClock(seeds=2, epochs=3)
    assert clock.start_seed() == "1 of 2"
    assert clock.seconds_left() is None  # nothing measured yet
    clock.epoch_done(10.0)  # the first epoch also compiles: the only one measured so far
    assert clock.seconds_left() == 5 * 10.0
    clock.epoch_done(2.0)
    clock.epoch_done(4.0)
    assert clock.seconds_left() == 3 * 3.0  # the median of the epochs after the first


def test_a_seed_stopped_early_leaves_only_the_later_seeds_epochs():
    clock = JobClock(seeds=3, epochs=4)
    clock.start_seed()
    for seconds in (5.0, 1.0):  # early stopping after 2 of 4 epochs
        clock.epoch_done(seconds)
    assert clock.start_seed() == "2 of 3"
    assert clock.seconds_left() == 2 * 4 * 1.0
