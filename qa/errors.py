"""The few domain errors. They become HTTP errors or CLI messages only at the edge."""

from __future__ import annotations


class QAError(Exception):
    """Base class of every expected failure; its message is safe to show a user."""


class InvalidInput(QAError):
    """The input cannot be used: empty, too large, wrong type, undecodable."""


class UnsupportedType(InvalidInput):
    """A file whose kind we do not read."""


class TooLarge(InvalidInput):
    """A file or text over the configured limit."""


class NotFound(QAError):
    """No document with that id."""


class EmptyStore(QAError):
    """Nothing has been ingested yet."""

    def __init__(self) -> None:
        super().__init__(
            "No articles have been ingested yet: add some with `qa ingest` "
            "(or POST /documents), then ask again."
        )


class StoreUnavailable(QAError):
    """The vector store cannot be reached."""

    @classmethod
    def because(cls, exc: BaseException, where: str | None = None) -> StoreUnavailable:
        """The one wording of this failure, naming the store and what the client raised."""
        detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        at = f" at {where}" if where else ""
        return cls(
            f"The vector store{at} is unavailable ({type(exc).__name__}: {detail}); "
            "try again when it is back."
        )


class ModelUnavailable(QAError):
    """The language model server cannot be reached (refused, reset, down)."""


class ModelTimeout(ModelUnavailable):
    """The language model server did not answer in time (QA_LLM_TIMEOUT)."""


class ModelFailed(ModelUnavailable):
    """The language model server answered with an error, or with nothing usable."""
