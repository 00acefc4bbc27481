"""The shared kernel: configuration, database, events, jobs, delivery. Knows no module."""
