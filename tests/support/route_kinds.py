"""One reply of each kind of route, as the store keeps it, and the badge each must show:
the words module's unit tests and the chat's GUI tests read the same cases."""

from __future__ import annotations

from app.controller.route_words import Route, RouteKind
from app.core.router import TraceEntry, TraceKind

LOCAL = "local:SmolLM2-135M-Instruct"
RULE_LINE = TraceEntry("private_stays_local", True, "email address found", label="Private data stays local")
CHECKED = TraceEntry("work_stuff", False, "no keyword found", label="Work questions")
FALLBACK = TraceEntry(None, True, f"fell back to {LOCAL}", TraceKind.FALLBACK, target=LOCAL)

KINDS = {
    RouteKind.RULE: Route(LOCAL, "private_stays_local", (RULE_LINE,), "complete"),
    RouteKind.CLASSIFIER: Route(LOCAL, "writing", (
        TraceEntry("writing", True, "the classifier matched", TraceKind.CLASSIFIED, label="Writing"),
        TraceEntry(None, True, 'chose "Writing"', TraceKind.CLASSIFIER)), "complete"),
    RouteKind.STICKY: Route(LOCAL, "code", (
        TraceEntry("code", False, "no code", label="Code"),
        TraceEntry("code", True, "kept", TraceKind.STICKY, label="Code")), "complete"),
    RouteKind.LOCKED: Route(LOCAL, None, (
        TraceEntry(None, True, "this chat is locked to this computer", TraceKind.PRIVACY), CHECKED, FALLBACK),
        "complete"),
    RouteKind.FALLBACK: Route(LOCAL, None, (CHECKED, FALLBACK), "complete"),
    RouteKind.FAILED_OVER: Route(LOCAL, "work_stuff", (
        TraceEntry("work_stuff", True, "keyword “invoice” found", label="Work questions"),
        TraceEntry(None, False, "openai:gpt-4o failed: refused", TraceKind.ATTEMPT, target="openai:gpt-4o"),
        TraceEntry(None, True, f"answered by fallback {LOCAL}", TraceKind.ATTEMPT, target=LOCAL)), "complete"),
    RouteKind.FAILED: Route("openai:gpt-4o", None, (CHECKED,), "failed", "no API key for OpenAI"),
    RouteKind.STOPPED: Route(LOCAL, "private_stays_local", (RULE_LINE,), "incomplete"),
    RouteKind.AS_ASKED: Route(LOCAL, None, (), "complete"),
}
BADGES = {
    RouteKind.RULE: "SmolLM2-135M-Instruct · local · rule “Private data stays local”",
    RouteKind.CLASSIFIER: "SmolLM2-135M-Instruct · local · plain-English rule “Writing”",
    RouteKind.STICKY: "SmolLM2-135M-Instruct · local · kept the previous model (rule “Code”)",
    RouteKind.LOCKED: "SmolLM2-135M-Instruct · local · privacy lock: kept on this computer",
    RouteKind.FALLBACK: "SmolLM2-135M-Instruct · local · fallback: no rule matched",
    RouteKind.FAILED_OVER: "SmolLM2-135M-Instruct · local · fallback: gpt-4o failed",
    RouteKind.FAILED: "not answered",
    RouteKind.STOPPED: "SmolLM2-135M-Instruct · local · stopped · rule “Private data stays local”",
    RouteKind.AS_ASKED: "SmolLM2-135M-Instruct · local · the model you chose",
}
