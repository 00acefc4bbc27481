"""The terminal sandbox's ``:`` commands confirm what they did, refuse bad values with their
usage, and never crash on any line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sandbox import SandboxServer
from bot.sandbox.terminal import describe, sandbox_command


def _run(server: SandboxServer, line: str) -> str:
    said: list[str] = []
    assert sandbox_command(line, server, said.append) is True
    return "\n".join(said)


def test_each_command_confirms() -> None:
    """:as, :block, :unblock and :fault say what they did."""
    server = SandboxServer()
    assert _run(server, ":as 42 hello") == "sent as user 42"
    assert _run(server, ":block 42") == "user 42 blocked the bot"
    assert server.world.users[42].blocked
    assert _run(server, ":unblock 42") == "user 42 unblocked the bot"
    assert _run(server, ":fault 0.2") == "20% of sends now fail with 502"
    assert server.fault_rate == 0.2
    assert _run(server, ":fault 0") == "sends no longer fail"


def test_bad_values_get_the_usage_and_change_nothing() -> None:
    """:fault 2, :fault abc, :as abc hi, :as ² hi and :press x are refused with their usage."""
    server = SandboxServer()
    for line in (":fault 2", ":fault abc", ":fault nan", ":fault"):
        assert _run(server, line).startswith("usage: :fault")
    assert server.fault_rate == 0.0
    for line in (":as abc hi", ":as ² hi", ":as 42"):
        assert _run(server, line).startswith("usage: :as <user_id> <text>")
    assert not server.world.users
    assert _run(server, ":press x").startswith("usage: :press")
    assert _run(server, ":press 3").startswith("no button 3")
    assert _run(server, ":nonsense").startswith("unknown sandbox command :nonsense")


async def test_a_photo_says_where_its_picture_is() -> None:
    """A photo the bot uploaded is shown with the path the sandbox saved it at."""
    server = SandboxServer()
    server.world.user(1)
    message = server.world.record(1, "caption", "sendPhoto", {"photo": "/tmp/x/1-cat.png"})
    assert "(picture saved at /tmp/x/1-cat.png) caption" in describe(message, server.world)


async def test_a_file_says_where_it_was_saved() -> None:
    """A document the bot uploaded (/mydata's JSON) is shown with the path it was saved at."""
    server = SandboxServer()
    server.world.user(1)
    params = {"document": "/tmp/x/2-companion-mydata-1.json"}
    message = server.world.record(1, None, "sendDocument", params)
    assert describe(message, server.world).startswith(
        "[file → you 1] (saved at /tmp/x/2-companion-mydata-1.json)"
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_line_is_answered(text: str) -> None:
    """Whatever follows the colon, the sandbox answers and does not raise."""
    server = SandboxServer()
    line = ":" + text
    if line.split(" ")[0] == ":quit":
        return
    assert _run(server, line)


async def test_the_sandbox_keeps_uploads_in_a_private_folder_it_removes_at_stop() -> None:
    """Uploaded files go to a folder of its own (unpredictable name, this user only) that
    is gone once the sandbox stops: nothing is left behind in /tmp."""
    import os
    import stat

    from bot.sandbox import SandboxServer

    sandbox = SandboxServer()
    await sandbox.start()
    folder = sandbox.files_dir
    (folder / "1-chart.png").write_bytes(b"png")
    assert folder.name != f"companion-sandbox-{os.getpid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    await sandbox.stop()
    assert not folder.exists()
