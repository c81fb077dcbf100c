"""Heuristic: does a chat message contain source code?

A fenced block always counts. Otherwise each line is checked against shapes that are
common in code and rare in prose; the message counts as code when at least
``min_lines`` lines look like code, or when one line is unmistakable on its own (a
shebang, ``#include``, a traceback header, a whole SQL statement, a shell prompt, or a
complete call statement such as ``print("hi")``).

Prose is the common case, and it is full of words that are also keywords ("import
tariffs", "the function of", "class of 2024"), colons and semicolons. So every keyword
shape also demands the punctuation that follows the keyword in code, and lines ending
in ';' or starting with 'return' must carry a code symbol too.

All line shapes live in one precompiled pattern so a message is scanned in one pass
(it runs on every message); each unbounded repeat is anchored to a line and delimited,
so the scan stays linear on long input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeFinding:
    detail: str


def find_code(text: str, min_lines: int = 2) -> CodeFinding | None:
    """A finding when text holds a fenced block or enough code-like lines, else None."""
    if min_lines < 1:
        raise ValueError(f"min_lines must be at least 1, not {min_lines}")
    fenced = _fenced_block(text)
    if fenced is not None:
        return CodeFinding(fenced)
    count, unmistakable = _count_code_lines(text)
    if count >= min_lines:
        return CodeFinding(_lines_text(count))
    if unmistakable:
        return CodeFinding(f"{_lines_text(count)}, one unmistakable")
    return None


def _lines_text(count: int) -> str:
    return f"{count} code-like line{'' if count == 1 else 's'}"


# --- fenced blocks -----------------------------------------------------------------

# An opening fence must be a line of its own (up to three spaces of indent, as in
# CommonMark) followed by a line break; '```x```' on one line is inline code in prose.
_FENCE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,})[ \t]*(?P<lang>[\w+#.-]*)[^`\n]*\n", re.M)


def _fenced_block(text: str) -> str | None:
    if "```" not in text and "~~~" not in text:
        return None
    m = _FENCE.search(text)
    if m is None:
        return None
    lang = m.group("lang").lower()
    return f"fenced code block ({lang})" if lang else "fenced code block"


# --- code-like lines ---------------------------------------------------------------

# Groups before 'semi' are decisive as soon as they match; 'call' and 'assign_call'
# are then graded strong or weak; 'semi' and 'ret' are only candidates that must also
# pass a check in Python. Alternatives are tried in order, so decisive shapes go first.
_CODE_LINE = re.compile(
    r"""
    ^(?P<indent>[ \t]*+)  # possessive: retrying shorter indents is quadratic
    (?:
    # ---- unmistakable on a line of its own
        (?P<directive>\#!/|\#include[ \t]*[<"]|\#define[ \t]+\w|\#import[ \t]*[<"])
      | (?P<trace>Traceback[ ]\(most[ ]recent[ ]call[ ]last\):|File[ ]"[^"\n]+",[ ]line[ ]\d+)
      | (?P<sql>
            (?:SELECT[ \t][^\n]*[ \t]FROM
              |select[ \t]+(?:\*|count\(|distinct[ \t])[^\n]*[ \t]from
              |INSERT[ \t]+INTO|DELETE[ \t]+FROM|UPDATE[ \t]+[\w."`]+[ \t]+SET
              |(?:CREATE|ALTER|DROP)[ \t]+(?:TABLE|INDEX|VIEW|UNIQUE[ \t]+INDEX)
            )[ \t]+[\w."`\[(*]
        )
      | (?P<prompt>\$[ ][a-z_.~/][^\n]*)
      | (?P<shell_block>(?:for|while|until)[ \t][^\n]*;[ \t]*do[ \t]*$
          |if[ \t]+\[\[?[ \t][^\n]*;[ \t]*then[ \t]*$)
      | (?P<assign_call>
            (?:(?:export[ \t]+)?(?:const|let|var|val|auto)[ \t]+(?:mut[ \t]+)?)?
            (?:[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_$][\w$]*|\[[^\]\n]*\])*
              |\{[^}\n]*\}|\[[^\]\n]*\])
            [ \t]*(?::=|[-+*/%|&^]?=|<-)(?!=)[ \t]*(?:await[ \t]+|new[ \t]+)?
            [A-Za-z_$][\w$.]*(?:::[\w$]+)*!?\([^\n]*\)[ \t]*;?[ \t]*$
        )
      | (?P<call>
            [A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*!?
            \((?P<args>[^\n]*)\)[ \t]*;?[ \t]*$
        )
    # ---- one code-like line each
      | (?P<opener>[^\n]*\{[ \t]*$)
      | (?P<closer>[}\]][}\]);,]*[ \t]*$)
      | (?P<pydef>(?:async[ \t]+)?def[ \t]+\w+[ \t]*(?:\(|$))
      | (?P<klass>class[ \t]+[A-Z_]\w*[ \t]*(?:[:({<]|\b(?:extends|implements)\b))
      | (?P<imp>import[ \t]+
            (?:[\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*
               [ \t]*;?[ \t]*$
              |[{*"'(]
              |[\w$]+(?:[ \t]*,[ \t]*\{[^}\n]*\})?[ \t]+from[ \t]+['"]
            )
        )
      | (?P<from_imp>from[ \t]+\.*[\w.]*[ \t]+import[ \t]+[\w*(])
      | (?P<func>(?:export[ \t]+)?(?:default[ \t]+)?(?:async[ \t]+)?function\*?[ \t]*[\w$]*[ \t]*\()
      | (?P<decl>(?:export[ \t]+)?(?:const|let|var)[ \t]+(?:mut[ \t]+)?
            (?:[A-Za-z_$][\w$]*|\{[^}\n]*\}|\[[^\]\n]*\])[ \t]*(?::[^=;\n]+)?[=;])
      | (?P<access>(?:public|private|protected|internal)[ \t]+
            (?:(?:static|final|abstract|async|override|virtual|readonly|sealed)[ \t]+)*
            (?:(?:class|interface|enum|record|struct)[ \t]+\w
              |[\w<>\[\],.?]+[ \t]+[\w$]+[ \t]*[({=;]))
      | (?P<ctrl>(?:if|for|while|switch|catch|elif|foreach)[ \t]*\(
            |\}[ \t]*else\b|else[ \t]*(?:\{|:[ \t]*$|if[ \t]*\()
            |(?:try|finally)[ \t]*[:{][ \t]*$|except\b[^\n]*:[ \t]*$|do[ \t]*\{)
      # A Python block header counts only when the next line is indented deeper and
      # is not a list item: prose ends lines with ':' before bulleted lists.
      | (?P<pyhead>(?:if|elif|for|while|with|match|case|async[ \t]+(?:for|with))\b[^\n]*:[ \t]*
            (?=\n(?P=indent)[ \t]+(?![-*+\u2022][ \t]|\d+[.)][ \t])\S))
      | (?P<sig>(?:pub(?:\([\w ]+\))?[ \t]+)?(?:async[ \t]+)?(?:fn|func)[ \t]+
            (?:\([^)\n]*\)[ \t]*)?[\w$]+[ \t]*[<(])
      | (?P<module>use[ \t]+[\w:]+::|\#!?\[\w+|package[ \t]+[\w.]+;
          |export[ \t]+(?:default[ \t]+\w|\{|\*))
      | (?P<arrow>[^\n]*\)[ \t]*(?:=>|->))
      | (?P<assign>[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_$][\w$]*|\[[^\]\n]*\])*[ \t]*
            (?::=|[-+*/%|&^]?=|<-)(?!=)[ \t]*\S
          |[A-Za-z_$][\w$.]*(?:\+\+|--)[ \t]*;?[ \t]*$)
      # '@bob' alone on a line is a mention; a decorator has arguments, a dotted
      # name, or a definition right below it.
      | (?P<decorator>@[A-Za-z_]\w*(?:\.\w+)+(?:\([^\n]*\))?[ \t]*$|@[A-Za-z_]\w*\([^\n]*\)[ \t]*$
          |@[A-Za-z_]\w*[ \t]*(?=\n[ \t]*(?:@|(?:async[ \t]+)?def[ \t]|class[ \t]|public[ \t]
            |private[ \t]|protected[ \t]|export[ \t]|static[ \t]|function[ \t]|fun[ \t]
            |override[ \t])))
      | (?P<json_pair>"[^"\n]+"[ \t]*:[ \t]*(?:"[^"\n]*"|-?\d[\d.eE+-]*|true|false|null|[\[{])
            [ \t]*,?[ \t]*$)
      | (?P<css_rule>[a-z]+(?:-[a-z]+)*[ \t]*:[ \t]*(?:[^\s;]+|[^;\n]*[\d#(][^;\n]*)
            [ \t]*;[ \t]*$)
      # Upper-case SQL clauses and Dockerfile instructions; the rest of the line must
      # have something lower-case or symbolic, so shouted prose ('SET THE TABLE') is out.
      | (?P<upper_clause>(?:SELECT|FROM|WHERE|JOIN|(?:LEFT|RIGHT|INNER|OUTER|FULL|CROSS)[ \t]+
            (?:OUTER[ \t]+)?JOIN|GROUP[ \t]+BY|ORDER[ \t]+BY|HAVING|LIMIT|VALUES|SET
            |RUN|COPY|ADD|WORKDIR|ENV|EXPOSE|CMD|ENTRYPOINT|ARG)[ \t]+[^\s:]
            (?=[^\n]*[a-z*=('"_]))
      | (?P<shell>(?:sudo[ \t]+)?(?:git|npm|npx|pip3?|docker|kubectl|cargo|curl|wget|apt-get
                  |brew|yarn|pnpm|chmod|chown|mkdir|python3?|node|go|make|cd|ls|rm|cp|mv|cat
                  |grep|echo)[ \t][^\n]*?(?:[ \t]-{1,2}\w|[ \t](?:\||&&|>>?|2>)|[ \t](?:~|\.{1,2})?/)
          |(?:sudo[ \t]+)?(?:git|npm|npx|pip3?|docker|kubectl|apt-get|pnpm)[ \t]+[a-z][\w-]*
          |export[ \t]+[A-Za-z_]\w*=)
      | (?P<markup><!DOCTYPE|<!--|</?[A-Za-z][\w:-]*
            (?:[ \t]+[\w:@.-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s>"']+))*[ \t]*/?>)
      | (?P<comment>//|/\*|\*/)
      | (?P<runtime>at[ \t]+[\w$.<>\[\]]+[ \t]+\([^\n()]*\.[A-Za-z]{1,5}:\d+(?::\d+)?\)
            |\w+(?:Error|Exception|Warning):[ \t]
            |raise(?:[ \t]+[A-Z_][\w.]*(?:\(|[ \t]+from\b|[ \t]*$)|[ \t]*$)
            |(?:pass|break|continue)[ \t]*;?[ \t]*$)
    # ---- candidates that must pass a check below
      | (?P<semi>[^\n]*;[ \t]*$)
      | (?P<ret>return(?:[ \t]*;?[ \t]*$|[ \t]+[^\n]*$))
    )
    """,
    re.M | re.X,
)
_STRONG = frozenset({"directive", "trace", "sql", "shell_block", "assign_call"})
_CANDIDATES = frozenset({"semi", "ret"})

# Punctuation that prose rarely has but code lines almost always do.
# 'e.g.' and 'U.S.' are not member access; a spaced '-' is a dash in prose.
_CODE_SYMBOL = re.compile(r"[(){}\[\]=<>]|[A-Za-z_]\w*\.[A-Za-z_]\w+|::|->|\+\+|[ \t][+*/%][ \t]")
# 'break;', 'int n;', 'return x;' are code without any symbol; 'done;' is not.
_SHORT_STATEMENT = re.compile(
    r"(?:break|continue|return|fallthrough|pass)[ \t]*;[ \t]*"
    r"|(?:return|throw|int|char|long|short|float|double|bool|void|auto|unsigned|size_t"
    r"|string|goto|delete|echo|exit|yield|await|using|extern|static|typedef|defer)"
    r"[ \t]+[\w$*&\"'.-]+[ \t]*;[ \t]*"
)
# After a '$ ' prompt: flags, pipes, redirects or paths make it a command beyond doubt;
# '$ amounts are in USD' has none of them.
_SHELL_ARGS = re.compile(r"[ \t]-{1,2}\w|[ \t](?:\||&&|>>?|2>)|[/~]")
# A call's arguments that no prose parenthetical has: 'Note(s)' is prose, 'f("x")' is not.
_CODE_ARGS = re.compile(r"""^[ \t]*$|["'`,=(]""")


def _count_code_lines(text: str) -> tuple[int, bool]:
    """How many lines look like code, and whether one is unmistakable on its own."""
    count = 0
    unmistakable = False
    for m in _CODE_LINE.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # each alternative is a named group closing last
        line = m.group(kind)
        if kind in _CANDIDATES and not _candidate_is_code(kind, line):
            continue
        count += 1
        unmistakable = unmistakable or kind in _STRONG or (
            (kind == "call" and _call_is_unmistakable(m))
            or (kind == "prompt" and _SHELL_ARGS.search(line) is not None)
        )
    return count, unmistakable


def _candidate_is_code(kind: str, line: str) -> bool:
    if _CODE_SYMBOL.search(line):
        return True
    if kind == "ret":
        # 'return', 'return x', 'return;' are code; 'return library books' is a to-do.
        return len(line.split()) <= 2
    return _SHORT_STATEMENT.fullmatch(line) is not None


def _call_is_unmistakable(m: re.Match[str]) -> bool:
    # A dotted or namespaced callee ('os.path.join(...)', 'fmt.Println(...)') or
    # macro ('println!(...)') is code; a bare word needs code-looking arguments.
    callee = m.group("call")[: m.start("args") - m.start("call")]
    if "." in callee or "::" in callee or "->" in callee or "!" in callee:
        return True
    return _CODE_ARGS.search(m.group("args")) is not None
