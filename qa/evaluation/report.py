"""The eval's figures and its report: metrics over the per-question rows, and the
report written as JSON, Markdown and a PNG chart. Definitions: ``eval/README.md``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

Row = dict[str, Any]
WORST = 15  # failures listed in the Markdown report


def _mean(values: Iterable[float | bool | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def _share(rows: list[Row], key: str) -> float | None:
    total = sum(len(r["citations"]) for r in rows)
    return round(sum(r[key] for r in rows) / total, 4) if total else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between ranks (numpy's default)."""
    return round(float(np.percentile(values, q)), 1) if values else None


def metrics(rows: list[Row]) -> dict[str, float | None]:
    answerable = [r for r in rows if r["expected"]]
    scored = [r for r in answerable if r["answered"]]
    latencies = [r["latency_ms"] for r in rows]
    conflicts = [r for r in rows if r.get("type") == "conflict"]
    agreeing = [r for r in answerable if r.get("type") != "conflict"]
    return {
        "questions": len(rows),
        "answer_accuracy": _mean(r["correct"] for r in answerable),
        "answer_f1": _mean(r["f1"] for r in answerable),
        "abstention": _mean(not r["answered"] for r in rows if not r["expected"]),
        "false_abstention": _mean(not r["answered"] for r in answerable),
        # conflict questions: both versions named, and "the articles differ" said; on the
        # other answerable questions, "the articles differ" said wrongly
        "conflicts_both_named": _mean(r.get("versions", 0) >= 2 for r in conflicts),
        "conflicts_flagged": _mean(r.get("sources_differ", False) for r in conflicts),
        "false_differ": _mean(r.get("sources_differ", False) for r in agreeing),
        # of the answerable questions declined, the share whose related passages quote it
        "related_shows_answer": _mean(r.get("related_shows_answer") for r in answerable),
        "citation_validity": _share(rows, "citations_valid"),
        "citation_precision": _share(scored, "citations_precise"),
        "citation_recall": _mean(r["citation_recall"] for r in scored),
        "recall_at_5": _mean(r["recall_at_5"] for r in answerable),
        "recall_at_10": _mean(r["recall_at_10"] for r in answerable),
        "mrr_at_10": _mean(r["rr_at_10"] for r in answerable),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}".rstrip("0")
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], lines: Iterable[list[Any]]) -> list[str]:
    rows = [header, ["---"] * len(header), *lines]
    return ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def markdown(report: dict[str, Any]) -> str:
    overall, by_type = report["overall"], report["by_type"]
    types = [[kind, *m.values()] for kind, m in by_type.items()]
    failures = sorted(
        (r for r in report["questions"] if not r["correct"]),
        key=lambda r: (not r["answered"], r["f1"] or 0),
    )
    worst = [
        [r["id"], r["type"], r["question"], r["expected"] or "(abstain)", r["answer"]]
        for r in failures[:WORST]
    ]
    return "\n".join(
        [
            f"# qa eval\n\nGold: `{report['gold']}`, k: {report['k'] or 'default'}. "
            "Definitions: `eval/README.md`.\n\n## By question type\n",
            *_table(["type", *overall], types),
            "\n## Overall\n",
            *_table(["metric", "value"], ([key, v] for key, v in overall.items())),
            f"\n## Worst failures ({len(failures)} in all)\n",
            *_table(["id", "type", "question", "expected", "answer"], worst),
            *_conversation(report.get("conversation")),
            "",
        ]
    )


def summary(report: dict[str, Any]) -> list[str]:
    """The report's figures, a line each, for the terminal."""
    lines = [f"{name:>18}: {cell(value)}" for name, value in report["overall"].items()]
    for name, value in report.get("conversation", {}).items():
        said = [f"{r['question']} -> {r['as']}" for r in value] if name == "rewritten" else value
        lines.append(f"  conversation {name}: {cell(said)}")
    return lines


def _conversation(talk: dict[str, Any] | None) -> list[str]:
    if not talk:
        return []
    pairs = [("all", "accuracy"), ("standing on their own", "standalone_accuracy")]
    pairs.append(("follow-ups", "follow_up_accuracy"))
    rewritten = [[r["id"], r["question"], r["as"]] for r in talk["rewritten"]]
    return [
        "\n## Asked as one conversation\n",
        *_table(
            ["questions", "in one conversation", "each alone"],
            ([name, talk[key], talk[f"{key}_alone"]] for name, key in pairs),
        ),
        f"\n{len(rewritten)} of the {talk['standalone_questions']} questions that stand on "
        "their own were rewritten:\n",
        *(_table(["id", "question", "searched for"], rewritten) if rewritten else []),
    ]


def chart(report: dict[str, Any], path: Path) -> None:
    """Share correct by question type (bars) and the latency histogram, side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = report["questions"]
    kinds = list(report["by_type"])
    shares = [_mean(r["correct"] for r in rows if r["type"] == kind) or 0.0 for kind in kinds]
    figure = Figure(figsize=(12, 4.5))
    FigureCanvasAgg(figure)
    bars, histogram = figure.subplots(1, 2)
    bars.bar_label(bars.bar(kinds, shares, color="tab:blue"), fmt="%.2f")
    bars.set(
        ylim=(0, 1), ylabel="share correct", title="Accuracy by type (unanswerable: abstained)"
    )
    bars.tick_params(axis="x", labelrotation=20)
    histogram.hist([r["latency_ms"] for r in rows], bins=20, color="tab:orange")
    histogram.set(xlabel="ms per question", ylabel="questions", title="Latency of the answer call")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def talked(alone: list[Row], talk: list[Row]) -> dict[str, Any]:
    """The questions asked as one conversation beside the same asked alone: accuracy of
    the questions that stand on their own and of the follow-ups, and each question that
    stands on its own but was rewritten."""
    own = [i for i, r in enumerate(alone) if r["type"] != "follow-up"]
    follow = [i for i, r in enumerate(alone) if r["type"] == "follow-up"]

    def right(rows: list[Row], which: list[int]) -> float | None:
        return _mean(rows[i]["correct"] for i in which)

    return {
        "accuracy": right(talk, own + follow),
        "accuracy_alone": right(alone, own + follow),
        "standalone_accuracy": right(talk, own),
        "standalone_accuracy_alone": right(alone, own),
        "follow_up_accuracy": right(talk, follow),
        "follow_up_accuracy_alone": right(alone, follow),
        "standalone_questions": len(own),
        "rewritten": [
            {"id": talk[i]["id"], "question": talk[i]["question"], "as": talk[i]["standalone"]}
            for i in own
            if talk[i]["standalone"] != talk[i]["question"]
        ],
    }


def write_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(markdown(report))
    chart(report, out / "report.png")


def below(overall: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """The metrics under their threshold, as ``name value < minimum``."""
    return [
        f"{name} {overall.get(name)} < {minimum}"
        for name, minimum in thresholds.items()
        if overall.get(name) is None or overall[name] < minimum
    ]
