"""pytest-xdist with ``--dist loadfile``: the longest test files are handed out first.

xdist hands out whole files, most tests first. A few files have few but long tests (a 5000-document
differential, one fresh process per hostile document); handed out last, one of them would run
alone at the end while the other workers idle. This scheduler moves them to the front of the queue,
longest first (times from ``--durations`` on a 2-core machine, December 2026); the rest keep
xdist's order. Which tests run, and how, does not change.
"""

from __future__ import annotations

from typing import Any

import pytest

# the slowest files, slowest first (each well over 20 s of a ~10-minute serial run)
FIRST = (
    "tests/test_fast_differential.py",
    "tests/test_shapes.py",
    "tests/test_no_secrets_in_output.py",
    "tests/test_verify_order.py",
    "tests/test_adversarial_corpus.py",
    "tests/test_first_hour.py",
    "tests/test_key_rotation.py",
    "tests/test_docs_examples.py",
    "tests/test_issuer_journey.py",
    "tests/test_status_e2e.py",
    "tests/test_cohort.py",
    "tests/test_store.py",
    "tests/test_store_conformance.py",
    "tests/test_stay_up.py",
)


def register(config: pytest.Config) -> None:
    """Use the scheduler when xdist distributes by file (its hook exists only with xdist)."""
    if config.pluginmanager.hasplugin("xdist") and getattr(config.option, "dist", "") == "loadfile":
        config.pluginmanager.register(_Plugin(), "credkit-xdist-order")


class _Plugin:
    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        from xdist.scheduler import LoadFileScheduling

        class LongestFirst(LoadFileScheduling):
            def _assign_work_unit(self, node: Any) -> None:
                for scope in FIRST:
                    if scope in self.workqueue:
                        self.workqueue.move_to_end(scope, last=False)
                        break
                super()._assign_work_unit(node)

        return LongestFirst(config, log)
