"""The experiment report as a text table."""

from __future__ import annotations

from shopmesh.experiments.report import Difference, ExperimentReport, Rate


def _pct(rate: Rate) -> str:
    return f"{rate.rate * 100:6.2f}% [{rate.ci_low * 100:.2f}, {rate.ci_high * 100:.2f}]"


def _diff(d: Difference | None) -> str:
    if d is None:
        return "(control)"
    return f"{d.diff * 100:+.2f} pp [{d.ci_low * 100:+.2f}, {d.ci_high * 100:+.2f}] p={d.p_value:.3g}"


def render_text(report: ExperimentReport) -> str:
    """A table per experiment: counts, rates with 95% intervals, differences to control, the SRM verdict."""
    lines = [f"experiment {report.experiment_id} (control: {report.control or '-'})"]
    header = f"  {'variant':<14}{'weight':>7}{'users':>9}{'impr.':>10}{'clicks':>8}{'purch.':>8}"
    lines.append(header + "  CTR [95% CI]              conversion [95% CI]")
    for v in report.variants:
        weight = "-" if v.weight is None else f"{v.weight:g}"
        lines.append(f"  {v.variant:<14}{weight:>7}{v.users:>9,}{v.impressions:>10,}{v.clicks:>8,}"
                     f"{v.purchases:>8,}  {_pct(v.ctr):<26} {_pct(v.conversion)}")
    lines.append("  difference vs control (95% Newcombe interval, two-proportion z-test):")
    for v in report.variants:
        if v.variant == report.control:
            continue
        lines.append(f"  {v.variant:<14} CTR {_diff(v.ctr_vs_control)}")
        lines.append(f"  {'':<14} conversion {_diff(v.conversion_vs_control)}"
                     f"  user conversion {_diff(v.user_conversion_vs_control)}")
    srm = report.srm
    if srm is None:
        lines.append("  sample ratio: not tested")
    else:
        verdict = "MISMATCH (do not trust the differences)" if srm.mismatch else "ok"
        expected = ", ".join(f"{k} {e:,.0f}" for k, e in srm.expected_users.items())
        lines.append(f"  sample ratio: {verdict}  chi2={srm.statistic:.2f} df={srm.df} p={srm.p_value:.3g}"
                     f"  (expected users: {expected})")
    lines.extend(f"  note: {n}" for n in report.notes)
    return "\n".join(lines)
