"""Feature modules. Each exports ``register(app, services)``; see ``bot/app.py``."""
