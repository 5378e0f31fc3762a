"""Judging generative models on feature sets: FID (Fréchet distance), FID∞, KID,
precision/recall and density/coverage, each with its bias and an interval, and streaming
states for feature sets that do not fit in memory.

Features come from the user's own extractor; divlab never downloads a network.
"""

from ._stream import FrechetStats, KIDState
from .frechet import fid, fid_infinity, frechet_distance
from .kid import kid
from .manifold import prdc

__all__ = [
    "FrechetStats",
    "KIDState",
    "fid",
    "fid_infinity",
    "frechet_distance",
    "kid",
    "prdc",
]
