"""Everything that can answer a chat message, behind one streaming interface (base.py)."""
