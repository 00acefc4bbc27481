"""What several test files share, in one place (fixtures stay in the conftest.py files):

- ``factories``: rows to start from (users, subscriptions, outbox messages, job runs);
- ``clocks``: the instants manual clocks start at; waiting for a state in real time;
- ``processes``: ``python -m bot`` in child processes, always stopped or killed;
- ``servers``: free ports, a throw-away redis-server, an aiohttp app on loopback;
- ``owned``: databases disposed after the test, passed or failed;
- ``jobs``: job functions run as the runner runs them, a recording job;
- ``chat``: waiting for a particular message in a sandbox chat;
- ``outbox``, ``operations``, ``stars``, ``moderation``, ``feeds``: the steps and data of
  those tests.
"""
