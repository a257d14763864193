"""Ruleset: the YAML rules, their model and loader, the condition engine and the predicates.

Holds ``rules`` (model, loader, text matching), ``_rule_engine`` (rule-engine with cached parser
tables), ``predicates`` and ``selection`` (``--select``/``--ignore``). It comes after
``analysis`` because the rules are typed against the fact classes of ``analysis.facts``; it may
import the base modules and every stage before it.
"""
