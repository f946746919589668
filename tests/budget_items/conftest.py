from tests.workflow import ITEMS, Workflow, money, valid_lines

__all__ = ["ITEMS", "Workflow", "money", "valid_lines"]
