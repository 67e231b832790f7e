"""The HTTP API of fourlinks (FastAPI). It decides nothing itself: roles are engine.access,
states and claims are engine.lifecycle, rounds are engine.matching (STYLE.md lesson 3)."""

from .main import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
