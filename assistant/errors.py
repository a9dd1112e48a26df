"""The errors a user can cause, one family: the CLI prints any ``AssistantError`` as one line, the UI
turns it into a friendly message. Anything else that escapes is a bug and keeps its traceback.

Each class also derives from the built-in it used to be (ValueError, RuntimeError), so code
that caught those keeps working.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error whose message is meant for the user and says what to do."""


class ConfigError(AssistantError, ValueError):
    """An ASSISTANT_* variable or option has a value of the wrong kind."""


class SourceError(AssistantError, ValueError):
    """A source file cannot be read; the message names the file."""


class QueryError(AssistantError, ValueError):
    """The question cannot be searched; ``reason`` says why in one word, for interfaces that translate.

    Reasons: "empty", "too_long", "unencodable", "invalid" (a bad option such as k or a filter).
    """

    def __init__(self, message: str, reason: str = "invalid", *, length: int = 0, limit: int = 0):
        super().__init__(message)
        self.reason, self.length, self.limit = reason, length, limit


class ModelError(AssistantError, RuntimeError):
    """The model could not be found, fetched, verified or loaded; the message says what to do."""


class GraphError(AssistantError, RuntimeError):
    """The compiled query graph cannot be built or used here; the eager path stays in use."""


class IndexStateError(AssistantError, RuntimeError):
    """The index is missing, stale, mismatched or corrupt; the message says how to rebuild it."""


class IndexBusyError(AssistantError, RuntimeError):
    """Another writer holds the index; the message says who and what to do."""


class CorpusError(AssistantError, ValueError):
    """A corpus change cannot be made as asked (unknown id, nothing left, uploads off); nothing changed."""


class AccessError(AssistantError, PermissionError):
    """The user may not do this (a reader's write, another user's document); nothing changed."""


class NotReadyError(AssistantError, RuntimeError):
    """The server is still loading the model; the request can be repeated in a few seconds."""


class UnknownDocumentError(CorpusError):
    """No document has the id asked for."""
