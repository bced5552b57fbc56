"""The options structs, bound from C++, and how the keyword APIs map onto them.

Every option is declared once, in a C++ struct with its default and its ``Validate()``;
the classes here are those structs (``invitegraph._core``), so Python never restates a
default. A keyword argument of :class:`Recommender`, :func:`training_set`,
:class:`Policy` or :func:`detect_abuse` that names an option defaults to ``None``,
which means "the struct's default" (or, with ``scoring=``/``options=``, the value that
object holds).

Serving and training share :class:`ScoringOptions` (candidates, feedback priors,
attribute features) by construction::

    s = ig.ScoringOptions(candidates={"max_two_hop": 50},
                          attribute_features={"category_tags": {3: ["skincare"]}})
    rec = ig.Recommender(g, scoring=s)
    rows = ig.training_set(g, history, scoring=s)   # the rows rec scores

The flat keywords of earlier releases (``max_two_hop=``, ``accept_prior_mean=``,
``attribute_features={...}``, ...) still work: each names a field of one of
ScoringOptions' members (or a member itself, given as an instance or a dict of its
keywords), and is applied on top of ``scoring``.
"""
from __future__ import annotations

from typing import Any, Optional

from . import _core
from ._errors import ArgumentTypeError

AttributeFeatureOptions = _core.AttributeFeatureOptions
CandidateOptions = _core.CandidateOptions
FeedbackConfig = _core.FeedbackConfig
RecommenderConfig = _core.RecommenderConfig
ScoringOptions = _core.ScoringOptions
TrainingOptions = _core.TrainingOptions


def replace(options: Any, **changes: Any) -> Any:
    """A copy of a bound options object with ``changes`` applied and validated; a change
    of ``None`` keeps the current value. A nested member may be changed with an instance
    or a dict of its keywords (applied on top of its current value)."""
    values = {f: getattr(options, f) for f in type(options)._fields}
    for name, value in changes.items():
        if value is None:
            continue
        current = values.get(name)
        if isinstance(value, dict) and hasattr(type(current), "_fields"):
            value = replace(current, **value)
        values[name] = value
    return type(options)(**values)


def _members(cls: type) -> dict:
    """``{leaf field: member}`` for the option-struct members of ``cls``, read from the
    bound classes (so a field added in C++ is a keyword here without a change)."""
    out: dict = {}
    default = cls()
    for member in cls._fields:
        sub = type(getattr(default, member))
        for leaf in getattr(sub, "_fields", ()):
            out.setdefault(leaf, member)
    return out


_SCORING_LEAVES = _members(ScoringOptions)


def scoring_options(scoring: Optional[ScoringOptions] = None, **flat: Any) -> ScoringOptions:
    """``scoring`` (default ``ScoringOptions()``) with the flat keywords applied.

    Each keyword names a member of ScoringOptions (``candidates``, ``feedback``,
    ``attribute_features``: an instance, or a dict of its keywords applied on top) or a
    field of one (``max_two_hop``, ``accept_prior_mean``, ...); ``None`` changes
    nothing. Unknown keywords raise :class:`ArgumentTypeError`.
    """
    if scoring is None:
        scoring = ScoringOptions()
    elif not isinstance(scoring, ScoringOptions):
        raise ArgumentTypeError(f"scoring: expected an invitegraph.ScoringOptions, got "
                                f"{type(scoring).__name__}")
    members: dict = {}
    for name, value in flat.items():
        if value is None:
            continue
        if name in ScoringOptions._fields:
            if not isinstance(value, (dict, type(getattr(scoring, name)))):
                raise ArgumentTypeError(
                    f"{name}: expected a dict or an invitegraph."
                    f"{type(getattr(scoring, name)).__name__}, got {type(value).__name__}")
            members.setdefault(name, {})
            if isinstance(value, dict):
                members[name].update(value)
            else:
                members[name].update({f: getattr(value, f) for f in type(value)._fields})
        elif name in _SCORING_LEAVES:
            members.setdefault(_SCORING_LEAVES[name], {})[name] = value
        else:
            raise ArgumentTypeError(
                f"unknown scoring option {name!r}; known: "
                f"{', '.join(sorted([*ScoringOptions._fields, *_SCORING_LEAVES]))}")
    return replace(scoring, **members) if members else scoring
