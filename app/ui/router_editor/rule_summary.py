"""One line of plain words per rule, for the rule list:
``if message contains any of "invoice", "contract" → anthropic:claude-sonnet-4-5``.

Reads the rule's JSON (what the editor holds while editing), so a rule that does not
validate yet still gets a summary of what is there.
"""

from __future__ import annotations

from typing import Any

# The size condition's own words (conditions/measure_editor.py), in lower case.
_QUANTITY = {
    "message_tokens": "tokens in the message",
    "conversation_tokens": "tokens in the whole chat",
    "message_count": "messages in the chat",
    "message_chars": "characters in the message",
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WORDS_SHOWN = 3


def rule_summary(rule: dict[str, Any]) -> str:
    target = rule.get("route_to") or "?"
    if rule.get("type") == "classified":
        description = str(rule.get("description") or "").strip() or "…"
        return f"if the classifier says: “{description}” → {target}"
    when = rule.get("when")
    return f"if {condition_summary(when) if isinstance(when, dict) else '…'} → {target}"


def condition_summary(cond: dict[str, Any], nested: bool = False) -> str:
    for group, joiner in (("all", " and "), ("any", " or ")):
        if group in cond:
            children = [c for c in cond[group] if isinstance(c, dict)] if isinstance(cond[group], list) else []
            if not children:
                return "…"
            text = joiner.join(condition_summary(c, nested=True) for c in children)
            return f"({text})" if nested and len(children) > 1 else text
    if "not" in cond:
        child = cond["not"]
        return f"not ({condition_summary(child)})" if isinstance(child, dict) else "not …"
    return _simple(cond)


def _simple(cond: dict[str, Any]) -> str:
    kind = cond.get("type")
    if kind == "keywords":
        words = [str(w) for w in cond.get("words") or []]
        shown = ", ".join(f"“{w}”" for w in words[:_WORDS_SHOWN]) or "…"
        if len(words) > _WORDS_SHOWN:
            shown += f" (+{len(words) - _WORDS_SHOWN})"
        return f"message contains {cond.get('match', 'any')} of {shown}"
    if kind == "regex":
        return f"message matches /{cond.get('pattern', '')}/"
    if kind in _QUANTITY:
        value = cond.get("value")
        if cond.get("op") == "between" and isinstance(value, list) and len(value) == 2:
            return f"{_QUANTITY[kind]} between {_num(value[0])} and {_num(value[1])}"
        return f"{_QUANTITY[kind]} {cond.get('op', '?')} {_num(value)}"
    if kind == "time":
        return _time(cond)
    if kind == "pii":
        kinds = cond.get("kinds")
        return "message has private data" + (f" ({', '.join(map(str, kinds))})" if kinds else "")
    if kind == "image":
        return "an image is attached"
    if kind == "code":
        return "message contains code"
    if kind == "available":
        return f"{cond.get('target', '?')} is available"
    return "…"


def _time(cond: dict[str, Any]) -> str:
    text = f"time is {cond.get('from', '?')}–{cond.get('to', '?')}"
    days = [d for d in _DAYS if d in (cond.get("weekdays") or _DAYS)]
    if days != list(_DAYS):
        text += " on " + _day_span(days)
    if cond.get("timezone"):
        text += f" ({cond['timezone']})"
    return text


def _day_span(days: list[str]) -> str:
    """Mon–Fri for a run of three or more days in a row, else a list."""
    indices = [_DAYS.index(d) for d in days]
    if len(indices) >= 3 and indices == list(range(indices[0], indices[-1] + 1)):
        return f"{days[0].title()}–{days[-1].title()}"
    return ", ".join(d.title() for d in days) or "no day"


def _num(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return "?"
