"""perfbudget: comprehensive budget performance management (全面实施预算绩效管理)."""

__version__ = "0.1.0"
