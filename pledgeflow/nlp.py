"""The one place that builds the spaCy pipeline every extractor shares.

Model packages cannot be assumed (they are downloads), so the rules run on
``spacy.blank("en")``: the English tokenizer plus a rule-based sentencizer.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.util import compile_suffix_regex

# "£2.5bn", "£1million", "$1.1billion", "5k": the stock tokenizer splits "£100m" but keeps
# these whole, so the amount is no number and the target is lost. A multiplier glued to
# digits becomes its own token.
GLUED_MULTIPLIER = r"(?<=[0-9])(?:million|billion|trillion|thousand|bn|mn|tn|k)$"

# "$2.5m/year": the slash makes "2.5m" an infix piece, which the suffix rules never see, so
# the per-period part is split off first and the amount keeps its million.
PER_PERIOD = r"(?<=[0-9a-z])/(?:year|yr|annum|month|week|day)$"

MULTIPLIER_ABBREVIATIONS = {"m.", "k.", "b.", "bn.", "mn."}
# "A&E.", "R&D.": the stock tokenizer keeps the full stop on a name with an ampersand, as
# on an abbreviation, so the sentence never ends there and the next one joins it.
AMPERSAND_NAME_STOP = r"(?<=&[A-Za-z])\.$"
# Abbreviated provinces and states the stock exceptions lack: "the Sask. Party" is one
# sentence, not "While the Sask." and "Party also plans ..."
PLACE_ABBREVIATIONS = ("Sask.", "Alta.", "Ont.", "Que.", "Nfld.", "Qld.")


@lru_cache(maxsize=1)
def build_nlp() -> Language:
    nlp = spacy.blank("en")
    suffixes = [*nlp.Defaults.suffixes, GLUED_MULTIPLIER, AMPERSAND_NAME_STOP, PER_PERIOD]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    # "m." and "bn." are abbreviations to the stock tokenizer, so a sentence ending in
    # "£49m." keeps "m." whole and the amount loses its million
    nlp.tokenizer.rules = {text: tokens for text, tokens in nlp.tokenizer.rules.items()
                           if text not in MULTIPLIER_ABBREVIATIONS}
    for abbreviation in PLACE_ABBREVIATIONS:
        for form in (abbreviation, abbreviation.lower()):  # lexicon phrases are lower case
            nlp.tokenizer.add_special_case(form, [{ORTH: form}])
    nlp.add_pipe("sentencizer")
    return nlp
