"""The Markdown of the quality benchmark: a system x metric table per dataset, the
ratios of ours to each baseline, how the figures were made, and a few examples."""

from __future__ import annotations

from typing import Any

from bench.report import cell, table

SYSTEMS = {
    "ours": "ours (hybrid + extractive)",
    "bm25": "BM25 only + same answerer",
    "langchain": "naive LangChain (dense top-4, 1st sentence)",
}
COLUMNS = {
    "squad": {
        "recall_at_1": "recall@1",
        "recall_at_5": "recall@5",
        "recall_at_10": "recall@10",
        "mrr_at_10": "MRR@10",
        "accuracy": "accuracy",
        "accuracy_ci95": "accuracy 95% CI",
        "exact_match": "EM",
        "f1": "F1",
        "abstention": "abstention",
        "tiers": "span / sentence / none",
        "answer_words_mean": "words/answer",
        "latency_p50_ms": "p50 ms",
        "latency_p95_ms": "p95 ms",
    },
    "realtimeqa": {
        "hit_at_1": "hit@1",
        "hit_at_5": "hit@5",
        "mrr_at_10": "MRR@10",
        "accuracy": "accuracy",
        "accuracy_ci95": "accuracy 95% CI",
        "accuracy_unambiguous": "accuracy, no wrong choice",
        "abstention": "abstention",
        "tiers": "span / sentence / none",
        "answer_words_mean": "words/answer",
        "latency_p50_ms": "p50 ms",
        "latency_p95_ms": "p95 ms",
    },
}
# The answerer the reader replaced, measured by this benchmark at its last commit.
BASELINE = """The sentence scorer the reader replaced (logistic regression over embedding and
word-overlap features, commit b476097, `bench/results/quality.md` of that commit; 150 SQuAD
questions, seed 0): SQuAD accuracy 0.827, EM 0, F1 0.181, abstention 0.033; RealTime QA
accuracy 0.391, no wrong choice 0.354, abstention 0.15; seeds gold (`make eval`) accuracy
0.679, abstention 0.688.
"""
TITLES = {"squad": "SQuAD v1.1 dev", "realtimeqa": "RealTime QA (2022-06-17 to 2022-11-11)"}
DEFINITIONS = """## How the figures are made

- **Retrieval** looks at the top 10 passages of each system (ours: `Service.search`, k=10,
  the ranking `/chat` answers from; BM25: bm25s over our chunks; LangChain: its dense
  ranking to depth 10, of which its pipeline uses the top 4). recall@k / hit@k: a passage
  of a gold article (SQuAD: the question's paragraph; RealTime QA: any gold article, by
  url) is among the top k. MRR@10: mean of 1/rank of the first such passage (0 if none).
- **Accuracy**: a normalised gold answer (SQuAD: any gold span; RealTime QA: the correct
  choice's text, which the systems never see) occurs as whole words in the normalised
  answer, citation markers removed; an answer over 3 sentences or 500 characters, and
  an abstention, count wrong. Normalisation is SQuAD's official one
  (`qa.evaluation.grading.normalize`); for RealTime QA Unicode punctuation (curly quotes,
  dashes) is removed as well.
  "no wrong choice": correct, and none of the three wrong choices occurs in it.
- **EM / F1**: SQuAD's official exact match and token F1 against the best gold span. Our
  answers quote whole sentences, so EM is near 0 and F1 low by construction: F1 here says
  how much of the answer is the answer, not whether the answer is right.
- **Latency**: wall time of one question (ours: `chain.invoke`, as `POST /chat` runs it;
  BM25: search + answer; LangChain: `similarity_search(k=4)` + first sentence), in-process,
  after one untimed warm-up. Each system has its own freshly loaded embedder (no shared
  embedding cache), and the systems take each question in turn.
- Ratio = ours / baseline on the same questions in the same run. "only ours / only X":
  the questions on which exactly one of the two succeeds, with the exact McNemar p-value
  (small p: the difference is unlikely to be chance on this sample).
"""


def _system_table(dataset: str, summary: dict[str, Any]) -> list[str]:
    columns = COLUMNS[dataset]
    header = ["system", *columns.values()]
    rows = [[SYSTEMS[name], *(_value(s.get(c)) for c in columns)] for name, s in summary.items()]
    return table(header, rows)


def _value(value: Any) -> Any:
    """A tier split as "span / sentence / none" shares; anything else as it is."""
    if isinstance(value, dict):
        return " / ".join(f"{v:.2f}" for v in value.values())
    return value


def _paired(result: dict[str, Any] | None) -> str:
    if not result:
        return "–"
    p = result["mcnemar_p"]
    shown = "p<0.0001" if p < 0.0001 else f"p={p:.2g}"
    return f"{result['only_ours']} / {result['only_baseline']} ({shown})"


def _pairs(r: dict[str, Any]) -> list[dict[str, Any] | None]:
    return [r.get("vs_bm25_paired"), r.get("vs_langchain_paired")]


def _ratio_table(ratios: dict[str, Any]) -> list[str]:
    header = ["metric", "ours / BM25 only", "ours / naive LangChain"]
    header += ["only ours / only BM25 (McNemar p)", "only ours / only LangChain (McNemar p)"]
    rows = [
        [m, r.get("vs_bm25"), r.get("vs_langchain"), *map(_paired, _pairs(r))]
        for m, r in ratios.items()
    ]
    return table(header, rows)


def _scope(dataset: str, result: dict[str, Any]) -> str:
    stores, notes = result["stores"], result["notes"]
    n = result["summary"]["ours"]["questions"]
    corpus = (
        f"{stores['ours']['documents']:,} documents: ours {stores['ours']['chunks']:,} "
        f"chunks, LangChain {stores['langchain']['chunks']:,} chunks."
    )
    if dataset == "squad":
        asked = (
            f"{n} questions sampled (seed {notes['seed']}) from the {notes['question_pool']:,} "
            f"of {notes['questions_from']}; every paragraph is a document."
        )
    else:
        asked = (
            f"{n} questions with a gold article. Of the {notes['gold_urls']} distinct gold urls "
            f"{notes['gold_urls_with_text']} have text ({notes['distinct_texts']} distinct "
            f"texts, all ingested); {notes['gold_urls_not_articles']} of them hold the same "
            "scraped ad-feedback form instead of the article and do not count as gold, so "
            f"{notes['questions_with_gold_in_corpus']} questions have a gold article in the "
            "corpus (the others count as retrieval misses). Only `question_sentence` is asked."
        )
    return f"{asked} {corpus}"


def _subset(dataset: str, summary: dict[str, Any] | None) -> list[str]:
    """The same table restricted to the questions whose gold article is in the corpus."""
    if not summary:
        return []
    n = summary["ours"]["questions"]
    intro = f"Only the {n} questions whose gold article is in the corpus:"
    return ["", intro, "", *_system_table(dataset, summary)]


def _weeks(dataset: str, parts: dict[str, Any] | None) -> list[str]:
    """The questions with a gold article in the corpus, by weeks: those the choices were made
    on (to 2022-08-26) and the held-out ones (from 2022-09-02), apart."""
    if not parts:
        return []
    lines = []
    for part, title in (
        ("held_out", "held-out weeks 2022-09-02 to 2022-11-11 (never used for a choice)"),
        ("choice", "weeks 2022-06-17 to 2022-08-26 (the answerer's choices were made on them)"),
    ):
        n = parts[part]["ours"]["questions"]
        lines += ["", f"The {n} questions of the {title} with a gold article in the corpus:", ""]
        lines += _system_table(dataset, parts[part])
    return lines


def _given_paragraph(given: dict[str, Any] | None, full: dict[str, Any] | None) -> list[str]:
    """The reader alone on the sampled questions, each given its paragraph."""
    if not given:
        return []
    lines = [
        "",
        "The reader alone, each question given its own paragraph (EM / F1, 0-100):",
        "",
        "| reader | questions | EM | F1 |",
        "| --- | --- | --- | --- |",
        f"| ours, this sample | {given['questions']} | {100 * given['exact_match']:.1f} "
        f"| {100 * given['f1']:.1f} |",
    ]
    if full:
        lines.append(
            f"| ours, all of articles 36-47 (`qa/answer/reader/reader.json`) | {full['questions']} "
            f"| {full['em']} | {full['f1']} |"
        )
    lines.append("| SQuAD's logistic-regression baseline (published) | 10,570 | 40.1 | 51.0 |")
    return lines


def _examples(result: dict[str, Any], n: int = 3) -> list[str]:
    lines = []
    for q in result["questions"][:n]:
        lines.append(f"- **{q['question']}** (gold: {'; '.join(q['expected'])})")
        for name in SYSTEMS:
            answer = q[name]["answer"]
            answer = answer if len(answer) <= 240 else answer[:237] + "..."
            verdict = "right" if q[name]["correct"] else "wrong"
            lines.append(f"  - {name} ({verdict}): {answer}")
    return lines


def markdown(data: dict[str, Any]) -> str:
    env, reader = data["environment"], data["reader"]
    lines = [
        "# Quality benchmark",
        "",
        f"`make bench` on {env['date']}: {env['cpus']} CPUs, torch {env['torch_threads']} "
        f"threads, load average {cell(env['load_average_at_start'])} at start and "
        f"{cell(env['load_average_at_end'])} at end; {env['run_seconds']:.0f} s wall, "
        f"{env['cpu_seconds']:.0f} s CPU. "
        f"Settings: {cell(data['settings'])}. Reader `qa/answer/reader/model.onnx` "
        f"{reader['sha256']} (answer threshold {reader['answer_threshold']}, "
        f"span threshold {reader['span_threshold']}).",
        "",
        BASELINE.rstrip(),
    ]
    for name, result in data["datasets"].items():
        lines += ["", f"## {TITLES[name]}", "", _scope(name, result), ""]
        lines += _system_table(name, result["summary"])
        lines += _given_paragraph(result.get("given_paragraph"), data["reader"]["held_out"])
        lines += ["", "Ours relative to each baseline:", "", *_ratio_table(result["ratios"])]
        lines += _subset(name, result.get("summary_gold_in_corpus"))
        lines += _weeks(name, result.get("summary_by_weeks"))
    lines += ["", DEFINITIONS.rstrip(), "", "## First questions of each run", ""]
    lines += ["Every answer is in `quality-questions.jsonl`.", ""]
    for name, result in data["datasets"].items():
        lines += [f"{TITLES[name]}:", "", *_examples(result), ""]
    return "\n".join(lines)
