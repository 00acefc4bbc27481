"""An offline Bot API server: the sandbox chat and the test double of every e2e test."""

from bot.sandbox.flood import FloodLimits, SlidingWindow
from bot.sandbox.server import SandboxServer
from bot.sandbox.world import SentMessage, World

__all__ = ["FloodLimits", "SandboxServer", "SentMessage", "SlidingWindow", "World"]
