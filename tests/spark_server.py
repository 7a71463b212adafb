"""Fixtures for tests on a real Spark Connect server: its URL and one Spark session for the whole test run.

The server is not started here (it takes ~45 s and a JVM): `make spark` (or scripts/spark.sh start) starts one
on 127.0.0.1:15002, and TIDELINE_TEST_SPARK_URL names it. Without it the Spark tests are skipped, unless
TIDELINE_REQUIRE_SPARK=1 (CI), where a missing server fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

URL_ENV = "TIDELINE_TEST_SPARK_URL"
REQUIRE_ENV = "TIDELINE_REQUIRE_SPARK"
HOW = "set TIDELINE_TEST_SPARK_URL (make spark; export TIDELINE_TEST_SPARK_URL=sc://127.0.0.1:15002)"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV, "").strip() == "1":
        pytest.fail(f"Spark Connect is required here ({REQUIRE_ENV}=1) but not available: {reason}", pytrace=False)
    pytest.skip(f"Spark Connect not available: {HOW} ({reason})")


@pytest.fixture(scope="session")
def spark_url() -> str:
    """The Spark Connect server's URL (sc://host:port) from $TIDELINE_TEST_SPARK_URL; skip (or fail) without."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        _unavailable(f"{URL_ENV} is not set")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable("pyspark is not installed (pip install -r requirements-spark.txt)")
    return url


@pytest.fixture(scope="session")
def spark(spark_url: str) -> Iterator[Any]:
    """One Spark Connect session for the whole test run."""
    from dashboard.engines.spark import new_session

    try:
        session = new_session(spark_url)
        session.sql("SELECT 1").collect()  # the server answers
    except Exception as exc:
        _unavailable(f"{spark_url} does not answer: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    yield session
    session.stop()
