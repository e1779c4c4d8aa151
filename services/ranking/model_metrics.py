"""Which ranker each catalogue serves, as Prometheus gauges read from the model registry at scrape time.

`shopmesh_model_info{family, version}` is 1 for every served version (one per configured catalogue, the
family being the artifact name `ranker-<catalog>`), and `shopmesh_model_created_timestamp_seconds{family}`
is the served artifact's manifest `create_time` (when it was trained and written) as unix seconds, so an
alert can flag a model retraining stopped replacing. Read at scrape time, a swap never leaves a stale series.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.ranking.models import ModelRegistry
from shopmesh.recsys.ranking.artifact import artifact_name


class ServedModelCollector(Collector):
    """The two model gauges of the ranking service."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily("shopmesh_model_info", "The model version each family serves (value 1).",
                                 labels=["family", "version"])
        created = GaugeMetricFamily("shopmesh_model_created_timestamp_seconds",
                                    "Creation time of the served model's artifact (manifest create_time), "
                                    "unix seconds.", labels=["family"])
        for catalog in self._registry.catalogs:
            models = self._registry.catalog(catalog)
            if models is None or models.promoted is None:
                continue
            manifest = models.promoted.manifest
            family = artifact_name(catalog)
            info.add_metric([family, manifest.version], 1.0)
            stamp = created_seconds(manifest.create_time)
            if stamp is not None:
                created.add_metric([family], stamp)
        yield info
        yield created


def created_seconds(create_time: str) -> float | None:
    """An ISO-8601 manifest time as unix seconds (None when the manifest has none or it does not parse)."""
    try:
        return datetime.fromisoformat(create_time).timestamp() if create_time else None
    except ValueError:
        return None


def register_model_metrics(metrics_registry: CollectorRegistry, registry: ModelRegistry) -> None:
    """Exports the served-model gauges on the service's /metrics registry."""
    metrics_registry.register(ServedModelCollector(registry))
