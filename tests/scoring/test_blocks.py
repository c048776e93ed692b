"""Per-section Rasch measures: which blocks get one, and that each block's θ is recovered."""

from __future__ import annotations

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.blocks import calibrate_blocks
from mockexam.scoring.grades import scaled_score


def _simulate(rng, theta, beta):
    p = 1 / (1 + np.exp(-(theta[:, None] - beta[None, :])))
    return (rng.random(p.shape) < p).astype(float)


def test_a_ten_item_block_is_measured_a_nine_item_block_is_not():
    rng = np.random.default_rng(5)
    theta = rng.normal(0, 1, 12)
    x = _simulate(rng, theta, np.linspace(-1.5, 1.5, 19))
    sections = [0] * 10 + [1] * 9
    blocks = calibrate_blocks(x, sections, min_items=10, min_persons=10)
    assert len(blocks) == 2
    assert blocks[1] is None
    first = blocks[0]
    assert first is not None
    assert first.theta.shape == (12,) and np.isfinite(first.theta).all()
    assert np.isfinite(first.theta_se).all() and (first.theta_se > 0).all()
    np.testing.assert_allclose(first.scaled, scaled_score(first.theta))
    np.testing.assert_allclose(first.scaled_se, 12.5 * first.theta_se)


def test_too_few_takers_or_a_single_section_gives_no_measure():
    rng = np.random.default_rng(6)
    x = _simulate(rng, rng.normal(0, 1, 12), np.linspace(-1, 1, 20))
    assert calibrate_blocks(x, [0] * 20, min_items=10, min_persons=10) == [None]
    assert calibrate_blocks(x, [0] * 10 + [1] * 10, min_items=10, min_persons=13) == [None, None]
    # takers of a block are those with an answer in it: 8 of 12 in block 1
    x[:4, 10:] = np.nan
    blocks = calibrate_blocks(x, [0] * 10 + [1] * 10, min_items=10, min_persons=8)
    assert blocks[0] is not None and blocks[1] is not None
    assert np.isnan(blocks[1].theta[:4]).all() and np.isfinite(blocks[1].theta[4:]).all()
    blocks = calibrate_blocks(x, [0] * 10 + [1] * 10, min_items=10, min_persons=9)
    assert blocks[0] is not None and blocks[1] is None
    assert calibrate_blocks(x, [0] * 10 + [1] * 10, min_items=10, min_persons=1, n_sections=4)[
        2:
    ] == [None, None]


def test_simulated_blocks_recover_each_subjects_theta():
    rng = np.random.default_rng(11)
    n = 400
    ability = rng.multivariate_normal([-1.0, 1.0], [[1.0, 0.3], [0.3, 1.0]], n)
    beta = np.linspace(-2, 2, 25)
    x = np.hstack([_simulate(rng, ability[:, 0], beta), _simulate(rng, ability[:, 1], beta)])
    order = rng.permutation(50)  # the blocks' columns need not be contiguous
    sections = np.array([0] * 25 + [1] * 25)[order]
    blocks = calibrate_blocks(x[:, order], sections, min_items=10, min_persons=10)
    for s in (0, 1):
        measure = blocks[s]
        assert measure is not None
        # difficulties are centred at 0 in each block, as simulated, so θ is on the true scale
        assert abs(np.mean(measure.theta) - np.mean(ability[:, s])) < 0.3
        assert np.corrcoef(measure.theta, ability[:, s])[0, 1] > 0.8
    assert np.mean(blocks[1].theta) - np.mean(blocks[0].theta) > 1.5


def test_bad_shapes_are_refused():
    with pytest.raises(ValidationError):
        calibrate_blocks(np.zeros((3, 4)), [0, 1, 1], min_items=1, min_persons=1)
    with pytest.raises(ValidationError):
        calibrate_blocks(np.zeros((3, 2)), [0, 3], min_items=1, min_persons=1, n_sections=2)
