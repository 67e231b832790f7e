"""Project reasons as a coordinator reads them: never "0分钟" — a unit at the very place of
the need is "同一地点", any other trip is whole minutes rounded up."""

from __future__ import annotations

import re

from engine.matching.explain import project_reason, travel_words


def _reason(minutes: float, lang: str = "zh") -> str:
    return project_reason("health_clinic", 10, 10, [("市人民医院", "medical", 10, minutes, "community", "walk")], lang)


def test_same_place_and_short_trips_never_read_zero_minutes() -> None:
    assert "同一地点" in _reason(0.0) and "分钟" not in _reason(0.0)
    assert "same place" in _reason(0.0, "en")
    assert "步行1分钟" in _reason(0.3)  # rounded up, not down to 0
    assert "1 min by" in _reason(0.3, "en")
    assert "步行13分钟" in _reason(12.2)
    assert "步行12分钟" in _reason(12.0)
    for m in [0.0, 1e-6, 0.049, 0.05, 0.2, 0.49, 0.5, 0.99, 1.0, 1.01, 29.6]:
        for lang in ("zh", "en"):
            text = _reason(m, lang)
            assert not re.search(r"(?<![\d.])0 ?(分钟|min)", text), text


def test_travel_words_without_a_mode() -> None:
    assert travel_words(0.0) == "同一地点"
    assert travel_words(0.4) == "1分钟"
    assert travel_words(7.5, lang="en") == "8 min"
