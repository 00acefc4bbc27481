"""``answer`` lives in ``tests/helpers/chat.py``; this name is kept for the README examples'
test, which imports it from here."""

from tests.helpers.chat import answer

__all__ = ["answer"]
