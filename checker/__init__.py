"""rulecheck: declarative consistency checks (勾稽关系) for published budget documents."""

__version__ = "0.1.0"
