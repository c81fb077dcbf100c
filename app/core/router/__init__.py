"""The router: rules that pick, per message, which model answers, with a trace of why."""

from app.core.router.context import (
    Availability,
    AvailabilityCheck,
    AvailabilityCode,
    RouteContext,
)
from app.core.router.conversation import Conversation, Turn
from app.core.router.engine import Decision, StickyState, decide, next_sticky
from app.core.router.fields import RouterFormatError
from app.core.router.schema import (
    Privacy,
    Router,
    Rule,
    Sticky,
    dump_router,
    load_router,
    parse_router,
    save_router,
)
from app.core.router.trace import TraceEntry, TraceKind

__all__ = [
    "Availability", "AvailabilityCheck", "AvailabilityCode", "Conversation", "Decision", "Privacy",
    "RouteContext", "Router",
    "RouterFormatError", "Rule", "Sticky", "StickyState", "TraceEntry", "TraceKind", "Turn", "decide",
    "dump_router", "load_router", "next_sticky", "parse_router", "save_router",
]
