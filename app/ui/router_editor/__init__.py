"""The router editor: rules, their conditions and targets, and a test panel."""
