"""The naive LangChain baseline's store, beside ours (``corpora.stores``) in the same cached
folder: rebuilt unless it holds exactly the expected chunks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chromadb
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings

from corpora import LC_CHUNK, LC_OVERLAP, Built, Dataset
from qa.encoders import Embedder
from qa.models import content_id

if TYPE_CHECKING:
    from langchain_chroma import Chroma

LC_COLLECTION = "langchain-naive"
LC_BATCH = 256


def langchain_documents(dataset: Dataset) -> list[LCDocument]:
    """The tutorial's split: RecursiveCharacterTextSplitter(1000, 200), article id kept."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # the bench extra

    splitter = RecursiveCharacterTextSplitter(chunk_size=LC_CHUNK, chunk_overlap=LC_OVERLAP)
    texts = [a.text for a in dataset.articles]
    return splitter.create_documents(texts, metadatas=[{"article": a.id} for a in dataset.articles])


class LangChainEmbeddings(Embeddings):
    """Our embedder as LangChain's ``Embeddings``, for the naive pipeline's Chroma."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode_query(text).tolist()


def langchain_store(directory: Path, embedder: Embedder) -> Chroma:
    """The naive pipeline's Chroma collection (in its own folder), queried with ``embedder``."""
    from langchain_chroma import Chroma  # the bench extra

    client = chromadb.PersistentClient(path=str(directory / "langchain"))
    functions = LangChainEmbeddings(embedder)
    return Chroma(collection_name=LC_COLLECTION, embedding_function=functions, client=client)


def build_langchain(dataset: Dataset, directory: Path, embedder: Embedder) -> Built:
    """Split, embed and add every article, unless the collection already holds them all."""
    docs = langchain_documents(dataset)
    ids = [content_id(d.metadata["article"], str(i)) for i, d in enumerate(docs)]
    client = chromadb.PersistentClient(path=str(directory / "langchain"))
    started = time.perf_counter()
    written = 0
    if client.get_or_create_collection(LC_COLLECTION).count() != len(docs):
        client.delete_collection(LC_COLLECTION)
        store = langchain_store(directory, embedder)
        for at in range(0, len(docs), LC_BATCH):
            store.add_documents(docs[at : at + LC_BATCH], ids=ids[at : at + LC_BATCH])
        written = len(docs)
    seconds = round(time.perf_counter() - started, 1)
    return Built(len(dataset.articles), len(docs), seconds, written)


def describe(built: Built) -> dict[str, Any]:
    return {
        "documents": built.documents,
        "chunks": built.chunks,
        "build_seconds": built.seconds,
        "written_this_run": built.built_now,
    }
