"""The few domain errors. They become HTTP errors or CLI messages only at the edge."""


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


class StoreUnavailable(QAError):
    """The vector store cannot be reached."""


class ModelUnavailable(QAError):
    """The language model server cannot be reached (refused, reset, down)."""


class ModelTimeout(ModelUnavailable):
    """The language model server did not answer in time (QA_LLM_TIMEOUT)."""


class ModelFailed(ModelUnavailable):
    """The language model server answered with an error, or with nothing usable."""
