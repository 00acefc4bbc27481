"""Benchmarks: each module exposes ``main()``; ``python -m benchmarks [name ...]`` runs them."""
