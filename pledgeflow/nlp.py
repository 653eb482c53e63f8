"""The one place that builds the spaCy pipeline every extractor shares.

Model packages cannot be assumed (they are downloads), so the rules run on
``spacy.blank("en")``: the English tokenizer plus a rule-based sentencizer.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language


@lru_cache(maxsize=1)
def build_nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp
