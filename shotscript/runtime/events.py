"""What the runtime reports while it works: one small event type (the batch display shows it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["phase", "upload", "poll", "retry", "download", "note", "warning"]


@dataclass(frozen=True)
class Event:
    """One thing worth telling the user; `data` carries numbers a progress display may use."""

    kind: EventKind
    message: str
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An event sink that drops everything."""


class Collect:
    """An event sink that keeps every event (for tests and benchmarks)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: EventKind) -> list[Event]:
        """The events of one kind, in order."""
        return [e for e in self.events if e.kind == kind]
