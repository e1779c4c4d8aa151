"""The PNG beside docs/evaluation.md: NDCG@10 (with the ranker's interval) and ILD@10 per row and data set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shopmesh.recsys.ranking.evaluation import Report


def plot_reports(reports: Sequence[Report], path: Path) -> None:
    """Horizontal bars of NDCG@10 and ILD@10, one panel pair per data set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(reports), 2, figsize=(12, 4 * len(reports)), squeeze=False)
    for (left, right), report in zip(axes, reports, strict=True):
        rows = [r for r in report.rows if "seed" not in r.name or "mean" in r.name]
        names = [r.name for r in rows]
        ys = range(len(rows))
        errors = [[r.ndcg10 - r.ci[0] if r.ci else 0 for r in rows], [r.ci[1] - r.ndcg10 if r.ci else 0 for r in rows]]
        colours = ["tab:orange" if r.kind == "ranker" else "tab:grey" if r.kind == "baseline" else "tab:blue"
                   for r in rows]
        left.barh(ys, [r.ndcg10 for r in rows], xerr=errors, color=colours)
        left.set_yticks(list(ys), names, fontsize=8)
        left.invert_yaxis()
        left.set_title(f"{report.dataset}: NDCG@10 (95% CI for the ranker)")
        right.barh(ys, [r.ild10 for r in rows], color=colours)
        right.set_yticks(list(ys), [""] * len(rows))
        right.invert_yaxis()
        right.set_title("ILD@10")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
