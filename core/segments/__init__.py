"""Customer segments: features, the number of segments, clustering, stability, names, incremental updates.

One concern per file: ``features.py`` (the customers table -> features -> the transformed
matrix), ``selection.py`` (how many segments, how stable), ``naming.py`` (profiles and
plain-English names), ``model.py`` (:class:`SegmentModel`), ``report.py`` (assignments,
audiences, the ``python -m core segment`` payload), ``store.py`` (saving through
core.registry, incremental refreshes), ``data.py`` (generated and public customer bases).
"""

from core.segments.data import customers_from_cdnow, customers_from_personality, read_cdnow, synthetic_customers
from core.segments.features import (ENGAGEMENT, NUMERIC_FEATURES, FeatureTransform, customer_features,
                                    usable_features)
from core.segments.model import DEFAULT_METHOD, METHODS, MIN_CUSTOMERS, SegmentModel
from core.segments.naming import NOISE, name_segments, profile_segments, segment_table
from core.segments.report import assignments_frame, audience, result_payload, run_segment
from core.segments.selection import bic_curve, bootstrap_stability, silhouette_curve, stability_label
from core.segments.store import (SegmentRun, current_view, load_model, refresh_segments, save_model,
                                 size_history)

__all__ = ["DEFAULT_METHOD", "ENGAGEMENT", "METHODS", "MIN_CUSTOMERS", "NOISE", "NUMERIC_FEATURES",
           "FeatureTransform", "SegmentModel", "SegmentRun", "assignments_frame", "audience", "bic_curve",
           "bootstrap_stability", "current_view", "customer_features", "customers_from_cdnow",
           "customers_from_personality", "load_model", "name_segments", "profile_segments", "read_cdnow",
           "refresh_segments", "result_payload", "run_segment", "save_model", "segment_table",
           "silhouette_curve", "size_history", "stability_label", "synthetic_customers", "usable_features"]
