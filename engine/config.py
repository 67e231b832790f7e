"""Settings shared by the CLI and the API, read from the environment or a settings file
(``FOURLINKS_SETTINGS``, KEY=VALUE lines), so a deployment switches store by configuration,
never by code edits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fourlinks"


WISH_POINTS_PER_HOUR: dict[str, int] = {
    "elder_care": 12,
    "disability": 12,
    "repair": 10,
    "tutoring": 10,
    "health": 10,
    "errand": 8,
    "other": 8,
}
"""Default rates of the points rule (category × effort hours): care of the elderly and the
disabled weighs most, as in the seed's 先锋圆梦 scheme; tunable per city without a release."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=os.environ.get("FOURLINKS_SETTINGS") or None,
        extra="ignore",
    )

    store: Literal["embedded", "neo4j"] = Field(default="embedded", alias="FOURLINKS_STORE")
    data_dir: Path = Field(default_factory=_default_data_dir, alias="FOURLINKS_DATA_DIR")
    neo4j_uri: str = Field(default="bolt://127.0.0.1:7687", alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: str = Field(default="", alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")
    batch_size: int = Field(default=10_000, alias="FOURLINKS_BATCH_SIZE", ge=1)
    lang: Literal["zh", "en"] = Field(default="zh", alias="FOURLINKS_LANG")
    token_secret: str = Field(default="", alias="FOURLINKS_TOKEN_SECRET")
    host: str = Field(default="127.0.0.1", alias="FOURLINKS_HOST",
                      description="address `fourlinks serve` binds; loopback unless told otherwise")
    max_body_bytes: int = Field(default=10 * 1_048_576, alias="FOURLINKS_MAX_BODY_BYTES", ge=1024,
                                description="largest request body that is not a multipart upload")
    max_json_depth: int = Field(default=64, alias="FOURLINKS_MAX_JSON_DEPTH", ge=2, le=512,
                                description="deepest nesting of a JSON request body")
    lease_seconds: float = Field(default=30.0, alias="FOURLINKS_LEASE_SECONDS", gt=0, le=3600,
                                 description="a server process unheard of this long is dead: its rounds fail "
                                 "and its pending Idempotency-Keys are released")
    assess_completion_weight: float = Field(default=0.3, alias="FOURLINKS_ASSESS_COMPLETION", ge=0, le=1,
                                            description="assessment score: weight of completed / agreed projects")
    assess_rating_weight: float = Field(default=0.3, alias="FOURLINKS_ASSESS_RATING", ge=0, le=1,
                                        description="assessment score: weight of the mean rating (out of 5)")
    assess_satisfaction_weight: float = Field(default=0.3, alias="FOURLINKS_ASSESS_SATISFACTION", ge=0, le=1,
                                              description="assessment score: weight of the mean satisfaction")
    assess_on_time_weight: float = Field(default=0.1, alias="FOURLINKS_ASSESS_ON_TIME", ge=0, le=1,
                                         description="assessment score: weight of the on-time rate")

    wish_points_per_hour: dict[str, int] = Field(
        default_factory=lambda: dict(WISH_POINTS_PER_HOUR), alias="FOURLINKS_WISH_POINTS",
        description="points a member earns per hour of effort of a confirmed micro-wish, by wish category "
        "(JSON object); a category not named earns the `other` rate")

    wish_walk_minutes: float = Field(default=20.0, alias="FOURLINKS_WISH_WALK_MINUTES", gt=0, le=120,
                                     description="wish matching: the walking circle around a member's community")
    wish_cap: int = Field(default=2, alias="FOURLINKS_WISH_CAP", ge=1, le=50,
                          description="wish matching: most wishes proposed to one member per period")

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Settings from the environment, with explicit overrides (by field name) on top."""
        aliases = {name: f.alias or name for name, f in cls.model_fields.items()}
        clean = {aliases[k]: v for k, v in overrides.items() if v is not None}
        return cls(**clean)
