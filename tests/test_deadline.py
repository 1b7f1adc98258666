"""A verification the caller has given up on stops at its next step, so it frees its thread
(issue 14: "a verification past its deadline keeps running")."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from credkit import Verifier, deadline
from credkit.errors import DeadlineExceededError
from credkit.netpolicy import FetchError
from test_fetch_policy import loopback_policy, site  # noqa: F401  (fixture)
from test_stay_up import heavy_within_limits


def test_no_deadline_means_no_check_fails() -> None:
    deadline.check()
    assert deadline.remaining() is None


def test_a_passed_deadline_raises_and_an_inner_deadline_cannot_extend_an_outer_one() -> None:
    with deadline.within(0.05):
        with deadline.within(100):
            assert (deadline.remaining() or 0) <= 0.05
        time.sleep(0.08)
        with pytest.raises(DeadlineExceededError):
            deadline.check()
    deadline.check()  # gone with the block


def test_the_deadline_belongs_to_the_thread_that_set_it() -> None:
    seen: list[float | None] = []
    with deadline.within(0.01):
        worker = threading.Thread(target=lambda: seen.append(deadline.remaining()))
        worker.start()
        worker.join()
    assert seen == [None]


def test_a_heavy_verification_stops_soon_after_the_deadline_and_is_not_verified() -> None:
    heavy = heavy_within_limits(12)
    verifier = Verifier()
    started = time.monotonic()
    full = verifier.verify_credential(heavy)
    full_took = time.monotonic() - started
    assert full_took > 1.0, "the document must be heavy for this test to mean anything"
    started = time.monotonic()
    with deadline.within(0.2):
        cut = verifier.verify_credential(heavy)
    took = time.monotonic() - started
    assert took < min(0.2 + 0.4, full_took / 2), f"ran {took:.2f}s past a 0.2 s deadline"
    assert cut.verdict != "verified" and full.verdict != "verified"
    proof = next(c for c in cut.checks if c.id == "proof")
    assert proof.status == "skipped" and "deadline" in proof.message
    after = cut.checks[[c.id for c in cut.checks].index("proof") :]
    assert all(c.status == "skipped" and not c.conclusive for c in after)


def test_a_signed_diploma_verifies_within_a_generous_deadline() -> None:
    from test_stay_up import signed_diploma

    with deadline.within(30):
        assert Verifier().verify_credential(signed_diploma()).verdict == "verified"


def test_a_fetch_ends_at_the_callers_deadline_before_its_own(site: int) -> None:  # noqa: F811
    started = time.monotonic()
    with deadline.within(0.4), pytest.raises(FetchError, match="no answer within"):
        loopback_policy(timeout=5.0, deadline=10.0).fetch(f"http://127.0.0.1:{site}/trickle")
    assert time.monotonic() - started < 1.5


def test_the_server_frees_its_verify_threads_after_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four heavy requests past the deadline used to hold all four verify threads for their
    whole run; now the next request, a moment later, is answered at once."""
    from fastapi import testclient

    from credkit.server import ServerConfig, create_app, vcapi

    monkeypatch.setattr(vcapi, "VERIFY_DEADLINE", 0.3)
    app = create_app(ServerConfig())
    heavy = {"verifiableCredential": heavy_within_limits(12)}
    answers: list[Any] = []
    with testclient.TestClient(app) as http:
        posts = [
            threading.Thread(
                target=lambda: answers.append(http.post("/credentials/verify", json=heavy))
            )
            for _ in range(vcapi.VERIFY_THREADS)
        ]
        for post in posts:
            post.start()
        for post in posts:
            post.join()
        assert [a.status_code for a in answers] == [503] * vcapi.VERIFY_THREADS
        time.sleep(0.5)  # well past the deadline, well before a heavy verification's end
        from test_stay_up import signed_diploma

        started = time.monotonic()
        small = http.post("/credentials/verify", json={"verifiableCredential": signed_diploma()})
        took = time.monotonic() - started
    assert small.status_code == 200, small.text
    assert took < 0.3
