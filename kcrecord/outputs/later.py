"""Context values worked out when a page is made, not when it is planned.

The planner runs at every update of the preview, before the engine knows which kept pieces may
have changed; a value it works out from every incident there (the data page's count of located
incidents, its licences) checks 10,000 pieces each time (60 ms at 10,000 incidents). Handed to
the page as Later(make), the value is worked out by kcrecord/outputs/render.py as the page is made,
inside the page's recording frame: what it reads is recorded as the page's own reads, and it is
worked out only when the page is made again. The plan names the function and what its closure
holds (kcrecord/engine/deps.py identity), so a planner that hands over another function or other
objects makes the page again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Later:
    """A page's context value: make() is called as the page is made."""

    make: Callable[[], Any]


def worked_out(context: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the context with each Later value replaced by what its make() returns (context itself when none)."""
    if not any(type(value) is Later for value in context.values()):
        return context
    return {name: value.make() if type(value) is Later else value for name, value in context.items()}
