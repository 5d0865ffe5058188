"""``rulecheck analyze``: what a ruleset says about itself, before any document is read.

* :mod:`checker.analysis.model` reads each rule as linear constraints over the figures
  a document publishes (the rounding interval of each figure included);
* :mod:`checker.analysis.solver` asks HiGHS (through ``scipy.optimize.linprog``)
  whether a set of constraints can hold, and how far an expression can go under them;
* :mod:`checker.analysis.findings` finds contradictory rule sets, redundant rules,
  ``when`` conditions that can never hold and rules no rule test exercises;
* :mod:`checker.analysis.render` writes the text (zh / en) and JSON reports.

The model, its assumptions and what is not analysed are described in docs/analyze.md.
"""

from checker.analysis.findings import Analysis, analyze

__all__ = ["Analysis", "analyze"]
