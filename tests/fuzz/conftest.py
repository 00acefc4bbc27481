"""The e2e fixtures: the fuzzer drives the same real bot on the same sandbox."""

from tests.e2e.conftest import harness_factory

__all__ = ["harness_factory"]
