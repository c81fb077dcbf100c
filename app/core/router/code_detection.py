"""Heuristic: does a chat message contain source code?

A fenced block always counts. Otherwise each line is checked against shapes that are
common in code and rare in prose; the message counts as code when at least
``min_lines`` lines look like code, or when one line is unmistakable on its own (a
shebang, ``#include``, a traceback header, a whole SQL statement, a ``$`` prompt before
a command with flags or paths, an assignment from a call, or a complete call statement
such as ``print("hi")``).

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
# Like the line scan below, it runs on '\n' + text so that a leading literal newline
# lets the engine jump from line to line instead of trying every position.
_FENCE = re.compile(r"\n[ \t]{0,3}(?:`{3,}|~{3,})[ \t]*+(?P<lang>[\w+#.-]*+)[^`\n]*+\n")


def _fenced_block(text: str) -> str | None:
    if "```" not in text and "~~~" not in text:
        return None
    m = _FENCE.search("\n" + text)
    if m is None:
        return None
    lang = m.group("lang").lower()
    return f"fenced code block ({lang})" if lang else "fenced code block"


# --- code-like lines ---------------------------------------------------------------

# One pattern for all line shapes, matched at each line start. Each shape ends in an
# empty named group that names it (Match.lastgroup is the group that closed last).
# Shapes are grouped by the line's first character, and each group is guarded by a
# one-character lookahead, so a line is tried only against the shapes that could
# start it. Possessive repeats (*+, ++) stop retries that cannot succeed: an
# identifier or a run of blanks is never split.
#
# Order matters where shapes overlap: unmistakable shapes come first in each group,
# and the three shapes that scan the whole line come last. 'ret' and 'semi' are only
# candidates that must also pass a check in Python.
_CODE_LINE = re.compile(
    r"""
    \n(?P<indent>[ \t]*+)
    # Every shape below starts with a lower-case letter or two capitals, or has one
    # of these characters; most prose lines have neither and are dropped here.
    (?=[a-z_$]|[A-Z][A-Z]|[^\n]*[;{}()\[\]=<>$\#@"/|&*:+])
    (?:
    # ---- statements led by an identifier
        (?=[A-Za-z_$[{])
        (?:
            # A declaration assigned from a call: 'const x = f()', 'let v = g()?;'
            (?=[eclva])(?:export[ \t]++)?(?:const|let|var|val|auto)[ \t]++(?:mut[ \t]++)?
            (?:[A-Za-z_$][\w$]*+|\{[^}\n]*+\}|\[[^\]\n]*+\])[ \t]*+=(?!=)[ \t]*+
            (?:await[ \t]++|new[ \t]++)?[A-Za-z_$][\w$.]*+(?:::[\w$]++)*+!?
            \([^\n]*\)\??[ \t]*+;?[ \t]*+$(?P<decl_call>)
          # Otherwise a target ('x', 'self.items[0]', 'std::mem') and what follows
          # it: an assignment (from a call, which is unmistakable, or from anything),
          # a call statement (graded in Python), or '++' / '--'. No keyword shape
          # below starts like this, so these lines are settled here.
          | [A-Za-z_$][\w$]*+(?:(?:\.|::|->)[A-Za-z_$][\w$]*+|\[[^\]\n]*+\])*+
            (?:
                [ \t]*+(?::=|[-+*/%|&^]?=|<-)(?!=)[ \t]*+
                (?:(?:await[ \t]++|new[ \t]++)?[A-Za-z_$][\w$.]*+(?:::[\w$]++)*+!?
                   \([^\n]*\)\??[ \t]*+;?[ \t]*+$(?P<assign_call>)
                  |(?=\S)(?P<assign>))
              | !?\((?P<args>[^\n]*)\)\??[ \t]*+;?[ \t]*+$(?P<call>)
              | (?:\+\+|--)[ \t]*+;?[ \t]*+$(?P<step>)
            )
          | (?:\{[^}\n]*+\}|\[[^\]\n]*+\])[ \t]*+=(?!=)[ \t]*+[A-Za-z_$][\w$.]*+!?
            \([^\n]*\)\??[ \t]*+;?[ \t]*+$(?P<unpack_call>)
        )
    # ---- lines led by a lower-case keyword
      | (?=[a-z])
        (?:
            select[ \t]++(?:\*|count\(|distinct[ \t])[^\n]*[ \t]from[ \t]++[\w."`\[(]
            (?P<sql_lower>)
          | (?:(?:for|while|until)[ \t][^\n]*;[ \t]*do[ \t]*$
              |if[ \t]++\[\[?[ \t][^\n]*;[ \t]*then[ \t]*$)(?P<shell_block>)
          | return(?:[ \t]*+;?[ \t]*+$|[ \t]++[^\n]*+$)(?P<ret>)
          | (?:async[ \t]++def|def)[ \t]++\w++[ \t]*+(?:\(|$)(?P<pydef>)
          | class[ \t]++[A-Z_]\w*+[ \t]*+(?:[:({<]|(?:extends|implements)\b)(?P<klass>)
          # 'import os', 'import a as b, c', 'import {x} from "y"', 'import "fmt"'; not
          # 'import tariffs rose'.
          | import[ \t]++
            (?:[\w.]++(?:[ \t]++as[ \t]++\w++)?
                 (?:[ \t]*+,[ \t]*+[\w.]++(?:[ \t]++as[ \t]++\w++)?)*+[ \t]*+;?[ \t]*+$
              |[{*"'(]
              |[\w$]++(?:[ \t]*+,[ \t]*+\{[^}\n]*+\})?[ \t]++from[ \t]++['"]
            )(?P<imp>)
          | from[ \t]++\.*+[\w.]*+[ \t]++import[ \t]++[\w*(](?P<from_imp>)
          | (?=[eaf])(?:export[ \t]++)?(?:default[ \t]++)?(?:async[ \t]++)?
            function\*?[ \t]*+[\w$]*+[ \t]*+\((?P<func>)
          | (?=[eclv])(?:export[ \t]++)?(?:const|let|var)[ \t]++(?:mut[ \t]++)?
            (?:[A-Za-z_$][\w$]*+|\{[^}\n]*+\}|\[[^\]\n]*+\])[ \t]*+(?::[^=;\n]++)?[=;](?P<decl>)
          | (?:public|private|protected|internal)[ \t]++
            (?:(?:static|final|abstract|async|override|virtual|readonly|sealed)[ \t]++)*+
            (?:(?:class|interface|enum|record|struct)[ \t]++\w
              |[\w<>\[\],.?]++[ \t]++[\w$]++[ \t]*+[({=;])(?P<access>)
          | (?:(?:if|for|while|switch|catch|elif|foreach)[ \t]*+\(
              |else[ \t]*+(?:\{|:[ \t]*+$|if[ \t]*+\()
              |(?:try|finally)[ \t]*+[:{][ \t]*+$|except\b[^\n]*:[ \t]*$|do[ \t]*+\{)(?P<ctrl>)
          # A Python block header counts only when the next line is indented deeper
          # and is not a list item: prose ends lines with ':' before bulleted lists.
          | (?:if|elif|for|while|with|match|case|async[ \t]++(?:for|with))\b[^\n]*:[ \t]*
            (?=\n(?P=indent)[ \t]++(?![-*+\u2022][ \t]|\d+[.)][ \t])\S)(?P<pyhead>)
          | (?=[paf])(?:pub(?:\([\w ]++\))?[ \t]++)?(?:async[ \t]++)?(?:fn|func)[ \t]++
            (?:\([^)\n]*+\)[ \t]*+)?[\w$]++[ \t]*+[<(](?P<sig>)
          | (?:use[ \t]++[\w:]+::|package[ \t]++[\w.]++;
              |export[ \t]++(?:default[ \t]++\w|\{|\*))(?P<module>)
          # 'color: red;', 'margin: 0 4px;'; a value of several words needs a digit,
          # '#' or '(' so 'note: bring the contract;' stays prose.
          | [a-z]++(?:-[a-z]++)*+[ \t]*+:[ \t]*+
            (?:[^\s;]++[ \t]*+|(?=[^;\n]*[\d#(])[^;\n]*+);[ \t]*+$(?P<css_rule>)
          # Everyday words ('make', 'go', 'cat') count as commands only with flags,
          # pipes, redirects or paths; tool names that are not words need a subcommand.
          | (?:(?:sudo[ \t]++)?(?:git|npm|npx|pip3?|docker|kubectl|cargo|curl|wget|apt-get
                  |brew|yarn|pnpm|chmod|chown|mkdir|python3?|node|go|make|cd|ls|rm|cp|mv
                  |cat|grep|echo)[ \t][^\n]*?
                (?:[ \t]-{1,2}\w|[ \t](?:\||&&|>>?|2>)|[ \t](?:~|\.{1,2})?/)
              |(?:sudo[ \t]++)?(?:git|npm|npx|pip3?|docker|kubectl|apt-get|pnpm)[ \t]++[a-z]
              |export[ \t]++[A-Za-z_]\w*+=)(?P<shell>)
          | (?:at[ \t]++[\w$.<>\[\]]++[ \t]++\([^\n()]*\.[A-Za-z]{1,5}:\d+(?::\d+)?\)
              |raise(?:[ \t]++[A-Z_][\w.]*+(?:\(|[ \t]++from\b|[ \t]*+$)|[ \t]*+$)
              |(?:pass|break|continue)[ \t]*+;?[ \t]*+$)(?P<runtime>)
        )
    # ---- lines led by an upper-case word
      | (?=[A-Z])
        (?:
            (?:Traceback[ ]\(most[ ]recent[ ]call[ ]last\):
              |File[ ]"[^"\n]++",[ ]line[ ]\d)(?P<trace>)
          | (?:SELECT[ \t][^\n]*[ \t]FROM
              |INSERT[ \t]++INTO|DELETE[ \t]++FROM|UPDATE[ \t]++[\w."`]++[ \t]++SET
              |(?:CREATE|ALTER|DROP)[ \t]++(?:TABLE|INDEX|VIEW|UNIQUE[ \t]++INDEX)
            )[ \t]++[\w."`\[(*](?P<sql>)
          # Upper-case SQL clauses and Dockerfile instructions; the rest of the line
          # must have something lower-case or symbolic, so shouted prose ('SET THE
          # TABLE') is out.
          | (?:SELECT|FROM|WHERE|JOIN|(?:LEFT|RIGHT|INNER|OUTER|FULL|CROSS)[ \t]++
                (?:OUTER[ \t]++)?JOIN|GROUP[ \t]++BY|ORDER[ \t]++BY|HAVING|LIMIT|VALUES|SET
              |RUN|COPY|ADD|WORKDIR|ENV|EXPOSE|CMD|ENTRYPOINT|ARG)[ \t]++[^\s:]
            (?=[^\n]*[a-z*=('"_])(?P<upper_clause>)
          | [A-Z]\w*+(?:(?<=Error)|(?<=Exception)|(?<=Warning)):[ \t](?P<error>)
        )
    # ---- lines led by punctuation
      | \#(?:!/|include[ \t]*+[<"]|define[ \t]++\w|import[ \t]*+[<"])(?P<directive>)
      | \#!?\[\w(?P<attribute>)
      # Graded in Python: a prompt with flags, pipes or paths is unmistakable.
      | \$[ ][a-z_.~/][^\n]*+(?P<prompt>)
      | (?:[}\]][}\]);,]*+[ \t]*+$|\}[ \t]*+else\b)(?P<closer>)
      # '@bob' alone on a line is a mention; a decorator has arguments, a dotted
      # name, or a definition right below it.
      | @[A-Za-z_]\w*+
        (?:(?:\.\w++)++(?:\([^\n]*\))?[ \t]*+$
          |\([^\n]*\)[ \t]*+$
          |[ \t]*+(?=\n[ \t]*+(?:@|(?:async[ \t]++)?def[ \t]|class[ \t]|public[ \t]
            |private[ \t]|protected[ \t]|export[ \t]|static[ \t]|function[ \t]|fun[ \t]
            |override[ \t])))(?P<decorator>)
      | "[^"\n]++"[ \t]*+:[ \t]*+(?:"[^"\n]*+"|-?\d[\d.eE+-]*+|true|false|null|[\[{])
        [ \t]*+,?[ \t]*+$(?P<json_pair>)
      # A tag with no attributes or with attr="value" ones: '<your name>' is a placeholder.
      | <(?:!DOCTYPE|!--|/?[A-Za-z][\w:-]*+
            (?:[ \t]++[\w:@.-]++=(?:"[^"\n]*+"|'[^'\n]*+'|[^\s>"']++))*+[ \t]*+/?>)(?P<markup>)
      | (?://|/\*|\*/)(?P<comment>)
    # ---- any line, by its last characters
      | [^\n]*\{[ \t]*+$(?P<opener>)
      | [^\n]*\)[ \t]*+(?:=>|->)(?P<arrow>)
      | [^\n]*;[ \t]*+$(?P<semi>)
    )
    """,
    re.MULTILINE | re.VERBOSE,
)
_STRONG = frozenset(
    {"directive", "trace", "sql", "sql_lower", "shell_block", "decl_call", "assign_call",
     "unpack_call"}
)

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
    for m in _CODE_LINE.finditer("\n" + text):
        kind = m.lastgroup
        if kind in ("semi", "ret") and not _candidate_is_code(kind, _line(m)):
            continue
        count += 1
        if not unmistakable:
            unmistakable = kind in _STRONG or (
                (kind == "call" and _call_is_unmistakable(m))
                or (kind == "prompt" and _SHELL_ARGS.search(_line(m)) is not None)
            )
    return count, unmistakable


def _line(m: re.Match[str]) -> str:
    """The matched line, without its indent."""
    return m.string[m.end("indent") : m.end()]


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
    callee = m.string[m.end("indent") : m.start("args")]
    if "." in callee or "::" in callee or "->" in callee or "!" in callee:
        return True
    return _CODE_ARGS.search(m.group("args")) is not None
