"""Every setting of one process: the kernel's, and each module's, declared beside it.

The kernel's settings (``bot/core/kernel/settings.py``) know no module; a module that
needs settings declares them in its own ``settings.py`` (a subclass of the kernel's
``Settings``) and on its :class:`~bot.core.module.Module`; this class composes them, so one
``.env`` is read once and validated as a whole. Modules read their part with
``services.settings.of(TheirSettings)``.
"""

from __future__ import annotations

from bot.modules.backups.settings import BackupSettings
from bot.modules.content.settings import ContentSettings
from bot.modules.economy.settings import EconomySettings
from bot.modules.missions.settings import MissionSettings
from bot.modules.moderation.settings import ModerationSettings
from bot.modules.monitoring.settings import MonitoringSettings
from bot.modules.subscriptions.settings import SubscriptionSettings


class CompanionSettings(
    MissionSettings,
    ModerationSettings,
    MonitoringSettings,
    ContentSettings,
    SubscriptionSettings,
    EconomySettings,
    BackupSettings,
):
    """All configuration of one Companion process."""

    # The address the sandbox's chat page listens on (`make run` without BOT_TOKEN): loopback
    # unless set (say, 0.0.0.0 in a container whose port is published to this machine only).
    sandbox_web_host: str = "127.0.0.1"
