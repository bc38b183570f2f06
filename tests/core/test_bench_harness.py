"""Issue 18 (Budgets): the benchmark reports the median of several runs with its spread.

The arithmetic of benchmarks/_harness.py, without a server: each run's ratio is to the trivial
view measured just before it, and the figures reported are the median and the min–max of the
runs.
"""

import math

import pytest

from benchmarks._harness import Repeated, Result, balanced, median_spread, repeated_table


def _result(name: str, requests: int, seconds: float = 1.0, **extra) -> Result:
    result = Result(name, generator="wrk")
    result.count = requests
    result.elapsed = seconds
    result.percentiles = {50: 1.0, 95: 2.0, 99: 3.0}
    for key, value in extra.items():
        setattr(result, key, value)
    return result


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], (5.0, 5.0, 5.0)),
        ([3.0, 1.0, 2.0], (2.0, 1.0, 3.0)),
        ([4.0, 1.0, 3.0, 2.0], (2.5, 1.0, 4.0)),
        ([10.0, 1.0, 1.2], (1.2, 1.0, 10.0)),  # one run far off moves the spread, not the median
    ],
)
def test_median_spread_is_the_median_and_the_lowest_and_highest(values, expected):
    assert median_spread(values) == expected


def test_median_spread_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        median_spread([])


def test_each_runs_ratio_is_to_its_own_trivial_view_and_the_median_is_reported():
    row = Repeated("board")
    # Run 1: trivial 3000 req/s, the page 300 -> 1/10; run 2: trivial 1000, page 500 -> 1/2;
    # run 3: trivial 2000, page 400 -> 1/5. A ratio to one shared baseline would differ.
    row.add(_result("board", 300), _result("trivial view", 3000))
    row.add(_result("board", 500), _result("trivial view", 1000))
    row.add(_result("board", 400), _result("trivial view", 2000))

    assert row.ratios == [10.0, 2.0, 5.0]
    assert row.ratio == (5.0, 2.0, 10.0)
    assert row.rps == (400.0, 300.0, 500.0)


def test_a_run_that_served_nothing_has_an_infinite_ratio_and_json_says_null():
    row = Repeated("broken")
    row.add(_result("broken", 0), _result("trivial view", 1000))

    assert math.isinf(row.ratios[0])
    assert row.as_json()["runs"][0]["ratio"] is None


def test_the_table_shows_median_and_spread_and_the_json_every_run():
    row = Repeated("board")
    row.add(_result("board", 300, statuses={200: 300}), _result("trivial view", 3000))
    row.add(_result("board", 500, statuses={200: 500}, errors=1), _result("trivial view", 1000))
    row.add(_result("board", 400, statuses={200: 400}), _result("trivial view", 2000))

    line = repeated_table([row]).splitlines()[2]
    assert line.startswith("| board | 400 (300–500) | 1/5.0 (1/2.0–1/10.0) |")
    assert "| 1 | {200: 1200} |" in line  # errors and statuses summed over the runs

    data = row.as_json()
    assert data["median"]["ratio"] == 5.0
    assert [run["ratio"] for run in data["runs"]] == [10.0, 2.0, 5.0]
    assert [run["trivial_rps"] for run in data["runs"]] == [3000.0, 1000.0, 2000.0]


def test_one_run_is_shown_without_a_spread():
    row = Repeated("board")
    row.add(_result("board", 300), _result("trivial view", 3000))

    assert repeated_table([row]).splitlines()[2].startswith("| board | 300 | 1/10.0 |")


def test_a_run_served_by_one_worker_is_measured_again():
    """wrk's eight connections now and then all land on one of the two gunicorn workers, and
    the run measures one core: ``balanced`` runs it again, at most three times in all."""
    shares = iter([1.0, 0.95, 0.55, 0.5])

    def run():
        return _result("page", 100, worker_share=next(shares))

    result = balanced(run)
    assert (result.worker_share, result.retried) == (0.55, 2)
    stuck = balanced(lambda: _result("page", 100, worker_share=1.0))
    assert stuck.retried == 2  # three runs in all, then the last is kept as it is
    even = balanced(lambda: _result("page", 100, worker_share=0.5))
    assert even.retried == 0
