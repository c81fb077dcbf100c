"""Editors for a rule's condition tree, one widget per condition kind.

Every editor loads the JSON that ``app.core.router.conditions.parse_condition`` reads and
writes it back the way the core's ``to_dict`` does; validity comes from the core itself.
"""
