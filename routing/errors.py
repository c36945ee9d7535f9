"""Domain errors: each carries a message that can be shown to the person who caused it."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the routing domain raises on purpose; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The ticket, member, offer, code or node does not exist."""


class InvalidInput(DomainError):
    """The input is malformed or out of range (an unknown item, a rating of 7 …)."""


class NotAllowed(DomainError):
    """The actor may not do this (not their ticket, not in their scope, not a coordinator …)."""


class IllegalTransition(DomainError):
    """The ticket's current status does not allow this step."""

    def __init__(self, message: str, *, current: str | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.current = current
        self.target = target


class TicketAlreadyTaken(DomainError):
    """Another member accepted the ticket first."""

    def __init__(self, message: str, *, at_update: bool = False) -> None:
        super().__init__(message)
        self.at_update = at_update  # lost at the conditional UPDATE (a true tie), not before


class ConcurrentUpdate(DomainError):
    """The ticket changed while this request was handled; reload and try again."""
