"""The generated answer (QA_ANSWERER=llm): the model's client, prompts, citations checked."""

from qa.generate.citations import CitationChecker
from qa.generate.client import client
from qa.generate.llm import LLMAnswerer, LLMCondenser
from qa.generate.prompts import load_prompt, prompts_dir

__all__ = ["CitationChecker", "LLMAnswerer", "LLMCondenser", "client", "load_prompt", "prompts_dir"]
