"""The language model client: langchain-openai's ``ChatOpenAI`` for any OpenAI-compatible
server (``QA_LLM_BASE_URL``), and what its failures mean to a user. The only module that
uses langchain-openai and openai.
"""

from __future__ import annotations

import httpx
import openai
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from qa.errors import ModelFailed, ModelTimeout, ModelUnavailable
from qa.settings import Settings


def client(settings: Settings, max_tokens: int | None = None) -> ChatOpenAI:
    """A client for the server at ``QA_LLM_BASE_URL`` (any OpenAI-compatible one) that
    generates at most ``max_tokens`` (default ``QA_LLM_MAX_TOKENS``)."""
    key = settings.llm_api_key or SecretStr("not-needed")  # local servers want none
    limit = max_tokens or settings.llm_max_tokens
    field = settings.llm_max_tokens_field
    legacy = {"max_tokens": limit} if field in ("both", "max_tokens") else None
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        max_completion_tokens=None if field == "max_tokens" else limit,
        extra_body=legacy,  # llama-cpp-python reads only the older field
        temperature=settings.llm_temperature,
    )


def model_error(exc: BaseException, where: str) -> ModelUnavailable:
    """A clear error for whatever the client raised."""
    if isinstance(exc, ModelUnavailable):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return ModelTimeout(
            f"The language model at {where} did not answer in time (QA_LLM_TIMEOUT)."
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return ModelUnavailable(
            f"The language model at {where} cannot be reached: is the server running? "
            f"(QA_LLM_BASE_URL) ({exc})"
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelFailed(
            f"The language model at {where} answered with an error {exc.status_code}: {exc.message}"
        )
    return ModelFailed(f"The language model at {where} failed: {type(exc).__name__}: {exc}")
