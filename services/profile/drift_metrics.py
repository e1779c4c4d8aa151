"""`shopmesh_drift_psi{feature}` and `shopmesh_drift_threshold` on the profile service's /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.profile.drift import DriftMonitor


class _DriftCollector(Collector):
    """Reads the monitor's latest PSI at scrape time (the ingest path only replaces that dict)."""

    def __init__(self, monitor: DriftMonitor, threshold: float):
        self._monitor = monitor
        self._threshold = threshold

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "shopmesh_drift_psi", "Population stability index of the last events vs the reference window "
            "(NaN until both hold the configured number of events).", labels=["feature"])
        for feature, value in self._monitor.latest.items():
            family.add_metric([feature], value)
        yield family
        yield GaugeMetricFamily("shopmesh_drift_threshold", "PSI above which drift alerts fire.",
                                value=self._threshold)


def register_drift(registry: CollectorRegistry, monitor: DriftMonitor, threshold: float) -> None:
    """Exports the monitor's PSI per feature and the alert threshold on `registry`."""
    registry.register(_DriftCollector(monitor, threshold))
