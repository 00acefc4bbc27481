"""The console opened as Telegram opens a Mini App: a stand-in ``window.Telegram.WebApp``
carrying ``initData`` signed with the test bot's token (so the bot's real check runs) and
Telegram's theme colours, in a browser context that reaches loopback alone; screenshots."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, ViewportSize

from tests.e2e.conftest import Harness
from tests.helpers.console import sign_init_data

Theme = Literal["light", "dark"]
PHONE: ViewportSize = {"width": 360, "height": 720}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
ROOT = Path(__file__).resolve().parents[2]
# Where the tests save their screenshots; `make screenshots` points it at docs/console/.
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS") or ROOT / ".pytest_cache" / "console")
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"

# Telegram's theme parameters as its apps send them (the day and night themes).
THEMES: dict[Theme, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#999999",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#efeff3",
        "header_bg_color": "#ffffff",
        "bottom_bar_bg_color": "#ffffff",
        "accent_text_color": "#2481cc",
        "section_bg_color": "#ffffff",
        "section_header_text_color": "#6d6d72",
        "section_separator_color": "#e7e7e7",
        "subtitle_text_color": "#999999",
        "destructive_text_color": "#ff3b30",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#0f0f0f",
        "header_bg_color": "#212121",
        "bottom_bar_bg_color": "#212121",
        "accent_text_color": "#8774e1",
        "section_bg_color": "#212121",
        "section_header_text_color": "#aaaaaa",
        "section_separator_color": "#111111",
        "subtitle_text_color": "#aaaaaa",
        "destructive_text_color": "#e53935",
    },
}


@dataclass
class ConsoleBot:
    """The running bot (its e2e harness), the URL its console is served at, its token."""

    harness: Harness
    url: str
    token: str


def webapp_script(init_data: str, user: dict[str, Any], theme: Theme, height: int) -> str:
    """JavaScript that gives the page ``window.Telegram.WebApp`` as Telegram's
    telegram-web-app.js does inside a Telegram app: the signed ``initData`` (and its parsed
    ``initDataUnsafe``), the theme's colours (also as the ``--tg-theme-*`` CSS variables that
    script sets), and no-op or immediately answered methods; popups are confirmed."""
    state = {
        "initData": init_data,
        "initDataUnsafe": {"user": user, "auth_date": int(time.time())},
        "themeParams": THEMES[theme],
        "colorScheme": theme,
        "viewportHeight": height,
    }
    return _WEBAPP_JS.replace("__STATE__", json.dumps(state))


_WEBAPP_JS = """
(() => {
  if (window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.__standIn) return;
  const s = __STATE__;
  const noop = () => {};
  const button = () => ({text: "", isVisible: false, isActive: true, setText: noop, show: noop,
    hide: noop, enable: noop, disable: noop, onClick: noop, offClick: noop, setParams: noop,
    showProgress: noop, hideProgress: noop});
  const answer = (value) => (params, callback) => {
    if (callback) setTimeout(() => callback(value));
  };
  const webApp = {
    __standIn: true, initData: s.initData, initDataUnsafe: s.initDataUnsafe, version: "8.0",
    platform: "tdesktop", colorScheme: s.colorScheme, themeParams: s.themeParams,
    isExpanded: true, viewportHeight: s.viewportHeight, viewportStableHeight: s.viewportHeight,
    headerColor: s.themeParams.header_bg_color, backgroundColor: s.themeParams.bg_color,
    isClosingConfirmationEnabled: false, isVerticalSwipesEnabled: true,
    safeAreaInset: {top: 0, bottom: 0, left: 0, right: 0},
    contentSafeAreaInset: {top: 0, bottom: 0, left: 0, right: 0},
    ready: noop, expand: noop, close: noop, onEvent: noop, offEvent: noop, sendData: noop,
    setHeaderColor: noop, setBackgroundColor: noop, setBottomBarColor: noop,
    enableClosingConfirmation: noop, disableClosingConfirmation: noop,
    disableVerticalSwipes: noop, enableVerticalSwipes: noop, isVersionAtLeast: () => true,
    openLink: noop, openTelegramLink: noop,
    showAlert: (message, callback) => { if (callback) setTimeout(callback); },
    showConfirm: answer(true), showPopup: answer("ok"),
    MainButton: button(), SecondaryButton: button(),
    BackButton: {isVisible: false, show: noop, hide: noop, onClick: noop, offClick: noop},
    SettingsButton: {isVisible: false, show: noop, hide: noop, onClick: noop, offClick: noop},
    HapticFeedback: {impactOccurred: noop, notificationOccurred: noop, selectionChanged: noop},
  };
  window.Telegram = Object.assign(window.Telegram || {}, {WebApp: webApp});
  const paint = () => {
    const root = document.documentElement;
    if (!root) return;
    for (const [key, value] of Object.entries(s.themeParams)) {
      root.style.setProperty("--tg-theme-" + key.replaceAll("_", "-"), value);
    }
    root.style.setProperty("--tg-color-scheme", s.colorScheme);
    root.style.setProperty("--tg-viewport-height", s.viewportHeight + "px");
    root.style.setProperty("--tg-viewport-stable-height", s.viewportHeight + "px");
  };
  paint();
  document.addEventListener("DOMContentLoaded", paint);
})();
"""


def telegram_user(user_id: int, language: str = "en") -> dict[str, Any]:
    """The ``user`` object Telegram puts in ``initData`` for ``user_id``."""
    return {
        "id": user_id,
        "first_name": f"User {user_id}",
        "username": f"user{user_id}",
        "language_code": language,
        "allows_write_to_pm": True,
    }


def init_data_for(bot: ConsoleBot, user_id: int, language: str = "en") -> tuple[str, Any]:
    """``initData`` for ``user_id`` signed with ``bot``'s token now, and its ``user``; each
    with a ``query_id`` of its own, as Telegram gives each opening of a Mini App (the console
    takes one initData for one session: two openings in the same second stay two)."""
    user = telegram_user(user_id, language=language)
    query_id = "AAH" + secrets.token_urlsafe(18)
    return sign_init_data(bot.token, user, int(time.time()), query_id=query_id), user


async def only_loopback(route: Route, script: str) -> None:
    """Let loopback requests through, answer telegram-web-app.js with the stand-in, refuse
    anything else (no test reaches out of the machine)."""
    url = route.request.url
    if url.startswith(TELEGRAM_SCRIPT):
        await route.fulfill(status=200, content_type="application/javascript", body=script)
    elif urlsplit(url).hostname in ("127.0.0.1", "localhost") or url.startswith("data:"):
        await route.continue_()
    else:
        await route.abort()


async def shoot(page: Page, name: str) -> Path:
    """Save a screenshot of what ``page`` shows as ``<SCREENSHOTS>/<name>.png``, once it is
    known to fit the window's width (wide tables scroll in their own box, never the page)."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than the window"
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, animations="disabled", caret="hide")
    return path
