"""Per-catalogue policy: which sources run with what quota and fusion weight, and the purchased-items rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopmesh.recsys.merge import FusionWeight, Normalisation

FEED_SOURCES = ("USER_VECTOR_ANN", "CO_VISITATION", "TEXT_NEIGHBOURS", "RECENT_TEXT_VECTORS", "REPURCHASE",
                "TRENDING", "CATEGORY_AFFINITY", "COLD_START")
SEARCH_SOURCES = ("LEXICAL_MATCH", "DENSE_MATCH")


@dataclass(frozen=True)
class CataloguePolicy:
    """How one catalogue is served.

    Attributes:
        exclude_purchased: Drop items the user bought (movies, fashion) or keep them (groceries).
        quotas: Default candidates per source; a source missing here is disabled.
        weights: Fusion weight per source (see shopmesh.recsys.merge).
        similar_quotas: Default quotas of SimilarItems.
    """

    exclude_purchased: bool = True
    quotas: dict[str, int] = field(default_factory=dict)
    weights: dict[str, FusionWeight] = field(default_factory=dict)
    similar_quotas: dict[str, int] = field(default_factory=lambda: {"CO_VISITATION": 200, "TEXT_NEIGHBOURS": 200})


# Weights follow docs/evaluation.md (chosen on the MovieLens validation split): the learned-space ANN and
# co-visitation carry the merge, the rest fill.
_COMMON_WEIGHTS = {
    "USER_VECTOR_ANN": FusionWeight(1.0, Normalisation.SOFTMAX, 2.0),
    "CO_VISITATION": FusionWeight(0.5, Normalisation.SHARE),
    "TEXT_NEIGHBOURS": FusionWeight(0.2, Normalisation.SOFTMAX, 0.05),
    "RECENT_TEXT_VECTORS": FusionWeight(0.2, Normalisation.SOFTMAX, 0.05),
    "TRENDING": FusionWeight(0.3, Normalisation.SHARE),
    "CATEGORY_AFFINITY": FusionWeight(0.05, Normalisation.SHARE),
    "COLD_START": FusionWeight(0.5, Normalisation.SHARE),
    "REPURCHASE": FusionWeight(20.0, Normalisation.SHARE),
}
_FEED_QUOTAS = {"USER_VECTOR_ANN": 500, "CO_VISITATION": 500, "TEXT_NEIGHBOURS": 200, "RECENT_TEXT_VECTORS": 200,
                "TRENDING": 200, "CATEGORY_AFFINITY": 100, "COLD_START": 200}

POLICIES = {
    "movies": CataloguePolicy(True, dict(_FEED_QUOTAS), dict(_COMMON_WEIGHTS)),
    "fashion": CataloguePolicy(True, dict(_FEED_QUOTAS), dict(_COMMON_WEIGHTS)),
    # In the Instacart sample 69% of a next basket was bought before: repurchase on, purchased items kept.
    "groceries": CataloguePolicy(False, {**_FEED_QUOTAS, "REPURCHASE": 300}, {
        **_COMMON_WEIGHTS, "USER_VECTOR_ANN": FusionWeight(1.0, Normalisation.SOFTMAX, 1.0),
        "CO_VISITATION": FusionWeight(1.0, Normalisation.SHARE), "TRENDING": FusionWeight(0.1, Normalisation.SHARE)}),
}
DEFAULT_KINDS = {"movielens": "movies", "clothing": "fashion", "instacart": "groceries"}


def policy_for(catalog_id: str, kinds: dict[str, str] | None = None) -> CataloguePolicy:
    """The policy of a catalogue (by its configured kind; unknown kinds get the movies policy)."""
    kind = (kinds or DEFAULT_KINDS).get(catalog_id, "movies")
    return POLICIES.get(kind, POLICIES["movies"])
