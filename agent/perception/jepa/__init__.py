"""ACT-JEPA: a joint-embedding predictive policy encoder (Vujinovic & Kovacevic 2025, reference §2).

``config_jepa`` (typed sizes and training constants), ``encoder`` (image tokens and the context encoder),
``predictor`` (the narrow latent predictor), ``act_jepa`` (the whole model: context encoder, action decoder,
predictor and EMA target encoder, with its losses).
"""
