"""Code detection on real snippets and on prose that is full of keyword-like words."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.router.code_detection import CodeFinding, find_code

CODE_SAMPLES: dict[str, str] = {
    "python function": (
        "Why does this return None?\n"
        "def total(items):\n"
        "    result = 0\n"
        "    for item in items:\n"
        "        result += item.price\n"
        "    return result\n"
    ),
    "python class": (
        "class Account:\n"
        '    """A bank account."""\n'
        "\n"
        "    def __init__(self, owner: str) -> None:\n"
        "        self.owner = owner\n"
        "        self.balance = 0\n"
    ),
    "python imports": "import os\nimport numpy as np\nfrom pathlib import Path\n",
    "javascript": (
        "const fetchUser = async (id) => {\n"
        "  const res = await fetch(`/api/users/${id}`);\n"
        "  return res.json();\n"
        "};\n"
    ),
    "javascript function": (
        "function add(a, b) {\n"
        "  return a + b\n"
        "}\n"
        "console.log(add(1, 2))\n"
    ),
    "rust": (
        "use std::collections::HashMap;\n"
        "\n"
        "fn main() {\n"
        "    let mut counts = HashMap::new();\n"
        '    println!("{:?}", counts);\n'
        "}\n"
    ),
    "go": (
        "package main\n"
        "\n"
        'import "fmt"\n'
        "\n"
        "func main() {\n"
        '\tfmt.Println("hello")\n'
        "}\n"
    ),
    "sql": (
        "SELECT name, email\n"
        "FROM users\n"
        "WHERE created_at > '2024-01-01'\n"
        "ORDER BY name;\n"
    ),
    "bash session": (
        "$ python3 -m venv .venv\n"
        "$ source .venv/bin/activate\n"
        "$ pip install -r requirements.txt\n"
    ),
    "bash script": (
        "for f in *.log; do\n"
        '  gzip "$f"\n'
        "done\n"
    ),
    "c": (
        "#include <stdio.h>\n"
        "\n"
        "int main(void) {\n"
        '    printf("hi\\n");\n'
        "    return 0;\n"
        "}\n"
    ),
    "java": (
        "public class Greeter {\n"
        "    private final String name;\n"
        "    public String greet() {\n"
        '        return "Hello, " + name;\n'
        "    }\n"
        "}\n"
    ),
    "html": (
        '<div class="card">\n'
        '  <img src="cat.png" alt="A cat">\n'
        "  <p>Hello</p>\n"
        "</div>\n"
    ),
    "css": ".button {\n  color: red;\n  padding: 4px 8px;\n}\n",
    "json": '{\n  "name": "switchboard",\n  "version": 1\n}\n',
    "python traceback": (
        "I get this error:\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 12, in <module>\n'
        "    main()\n"
        "ValueError: invalid literal for int() with base 10: 'x'\n"
    ),
    "javascript stack trace": (
        "TypeError: Cannot read properties of undefined (reading 'map')\n"
        "    at render (App.js:14:22)\n"
        "    at renderWithHooks (react-dom.js:1234:18)\n"
    ),
    "python if block": (
        "if user is None:\n    raise PermissionError(user)\nelse:\n    greet(user)\n"
    ),
    "dockerfile": "FROM python:3.11-slim\nRUN pip install -r requirements.txt\nCOPY . /app\n",
    "r": "x <- c(1, 2, 3)\nmean(x)\n",
    "react": "import React from 'react';\nexport default App;\n",
    "python decorator": "@dataclass\nclass User:\n    name: str\n    age: int = 0\n",
    "python try": "try:\n    x = int(s)\nexcept ValueError:\n    x = 0\n",
    "c++": "std::vector<int> v = {1, 2, 3};\nfor (auto x : v) std::cout << x;\n",
    "go error check": "if err != nil {\n\treturn err\n}\n",
    "git commands": 'git add .\ngit commit -m "fix"\n',
    "code inside prose": (
        "Hi, I tried this but it fails:\n"
        "\n"
        "x = load_config(path)\n"
        "print(x['timeout'])\n"
        "\n"
        "Any idea what is wrong?"
    ),
}

# One line that is code beyond doubt, so it counts even though min_lines is 2.
UNMISTAKABLE_ONE_LINERS: list[str] = [
    'print("hi")',
    "console.log(user.name);",
    "df = pd.read_csv(path)",
    "SELECT * FROM users WHERE id = 1;",
    "$ git rebase -i HEAD~3",
    "#!/usr/bin/env bash",
    "#include <stdlib.h>",
    "os.path.join(base, name)",
    'println!("{}", x);',
    "const [count, setCount] = useState(0);",
    "let config = load_config(path)?;",
]

PROSE_SAMPLES: dict[str, str] = {
    "email about a contract": "Hi Bob; the meeting is at 3pm: bring the contract.",
    "long email": (
        "Dear team,\n"
        "\n"
        "Please find attached the draft (version 2) of the contract.\n"
        "Let me know if anything is missing; we sign on Friday.\n"
        "\n"
        "Best,\n"
        "Alice"
    ),
    "recipe with numbered list": (
        "Pancakes (serves 4)\n"
        "Ingredients:\n"
        "  - 2 eggs\n"
        "  - 250 ml milk\n"
        "1. Mix the flour and the eggs.\n"
        "2. Add the milk; whisk until smooth.\n"
        "3. Cook for 2 minutes per side.\n"
    ),
    "poem with semicolons": (
        "Whose woods these are I think I know;\n"
        "His house is in the village though;\n"
        "He will not see me stopping here\n"
        "To watch his woods fill up with snow.\n"
    ),
    "to-do list with colons": (
        "Monday: gym\n"
        "Tuesday: call the bank\n"
        "To do:\n"
        "    buy milk\n"
        "    return library books\n"
    ),
    "function of the heart": "The function of the heart is to pump blood (5 litres a minute).",
    "import tariffs": "import tariffs rose sharply last year;\nexports fell.",
    "class of 2024": "The class of 2024 graduates on Friday.\nclass of 2024: please arrive early.",
    "markdown list": "- apples\n- pears\n* plums\n+ grapes\n",
    "colon before bullets": (
        "Here is what we need for the trip:\n"
        "  - tent\n"
        "  - sleeping bags\n"
        "  * a stove (gas)\n"
    ),
    "inline command in backticks": "use `git rebase -i` to squash the commits",
    "select in prose": "Select a photo from your library, then tap Share.",
    "if and for in prose": (
        "if you can: bring snacks\n"
        "for example: chips and dip\n"
        "For the party:\n"
        "    we need chairs\n"
    ),
    "parentheses in prose": "I went to the store (again) and bought apples (red).",
    "emoticons": "See you tomorrow :)\nThanks a lot ;)\n",
    "meeting notes with arrows": "Plan -> ship on Monday\nBudget -> ask finance",
    "placeholders": "Sign it as:\n<your name>\n<your address>\n",
    "email signature": "Thanks!\n-- \nJohn Smith\nSales",
    "private and public in prose": "private meeting with the board\npublic holiday on Monday",
    "let and return in prose": "let me know when you are back\nreturn the keys to reception",
    "dollar amounts": "$ amounts are in USD\n$ 5 per item",
    "shouted prose": "SET THE TABLE\nSELECT A WINNER\nFROM: THE BOARD",
    "class notes": "class notes: bring pens\nclass schedule: 9am",
    "mentions": "cc\n@bob\n@alice",
    "done list": "laundry\ndone\ndishes\ndone;",
    "raise as a verb": "raise the prices next quarter\nraise invoice for Bob",
    "labels with equals": "Note: price = 5 dollars\nUpdate: everything = fine",
    "abbreviations": "e.g. apples, i.e. fruit;\nthe U.S. economy is big;",
    "at with a time": "at home (meet at 4:30)\nat work (room 12:3)",
    "letter": (
        "Dear Sir/Madam,\n"
        "I am writing to complain about my order (#12345).\n"
        "The package arrived damaged; the box was crushed.\n"
        "Regards,\nJane"
    ),
    "forwarded headers": "From: Alice\nTo: Bob\nSubject: lunch\n\nSee you at noon.",
    "love": "I love you <3\nMe too <3",
}


@pytest.mark.parametrize("text", CODE_SAMPLES.values(), ids=CODE_SAMPLES.keys())
def test_code_snippets_are_found(text: str) -> None:
    assert find_code(text) is not None


@pytest.mark.parametrize("text", PROSE_SAMPLES.values(), ids=PROSE_SAMPLES.keys())
def test_prose_is_not_code(text: str) -> None:
    assert find_code(text) is None


@pytest.mark.parametrize("text", UNMISTAKABLE_ONE_LINERS)
def test_one_unmistakable_line_is_enough(text: str) -> None:
    assert find_code(text) == CodeFinding("1 code-like line, one unmistakable")


@pytest.mark.parametrize(
    "text",
    [
        "print(x)",  # a bare call with a bare argument reads like 'Note(s)'
        "Note(s)",
        "x = 5",
        "return x",
        "const total = 0;",
    ],
)
def test_one_ordinary_code_line_is_not_enough(text: str) -> None:
    assert find_code(text) is None
    assert find_code(text, min_lines=1) == CodeFinding("1 code-like line")


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Look:\n```python\nx = 1\n```\n", "fenced code block (python)"),
        ("```\nplain block\n```", "fenced code block"),
        ("~~~\nwhatever\n~~~", "fenced code block"),
        ("```TypeScript\nlet a = 1\n```", "fenced code block (typescript)"),
        ("   ```c++\nint x;\n", "fenced code block (c++)"),  # unclosed still counts
        ("```\njust words in a fence\n```", "fenced code block"),
    ],
)
def test_fenced_block_always_counts(text: str, detail: str) -> None:
    assert find_code(text, min_lines=50) == CodeFinding(detail)


@pytest.mark.parametrize(
    "text",
    [
        "wrap it in ```triple backticks``` please",
        "type ``` then a newline",
        "    ```\nindented four spaces is not a fence in markdown\n",
        "```js``` on its own line is inline code\n",
    ],
)
def test_fence_markers_inside_prose_do_not_count(text: str) -> None:
    assert find_code(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Two bare assignments are code in most languages; equations written one per
        # line are the price of catching short snippets.
        ("x = 5\ny = 3", CodeFinding("2 code-like lines")),
        # A bare command without a '$ ' prompt is one ordinary line, so a question
        # quoting a single command is not a code message...
        ("curl -X POST https://example.com -H 'Accept: text/plain'", None),
        # ...but two commands are.
        ("git add .\ngit push origin main", CodeFinding("2 code-like lines")),
        # Inline code in a sentence is a mention, not a snippet.
        ("use `git rebase -i` to squash the commits", None),
    ],
)
def test_decided_ambiguities(text: str, expected: CodeFinding | None) -> None:
    assert find_code(text) == expected


def test_detail_counts_every_code_line() -> None:
    text = "int main(void) {\n    int x = 1;\n    return x;\n}\n"
    assert find_code(text) == CodeFinding("4 code-like lines")


def test_min_lines_raises_the_bar() -> None:
    text = "def f(x):\n    return x * 2\n"
    assert find_code(text, min_lines=2) == CodeFinding("2 code-like lines")
    assert find_code(text, min_lines=3) is None


def test_min_lines_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="min_lines"):
        find_code("x = 1", min_lines=0)


def test_python_header_needs_an_indented_body() -> None:
    # The header counts with its body; the same line followed by a bullet does not.
    assert find_code("if ready:\n    go_ahead()\n", min_lines=2) is not None
    assert find_code("if ready:\n    - go ahead\n", min_lines=1) is None


def test_empty_text() -> None:
    assert find_code("") is None


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        ";" * 10_000,
        "x(" * 5_000,
        "'" * 10_000,
        "(" + "'," * 4_999 + "x",
        "x = y(" + " " * 9_990,
        "import a" + ", a" * 3_300 + " b",
        "if x" + " " * 9_990 + ":\n" * 3,
        "SELECT " + "a " * 4_990 + "FRO",
        "<a" + ' b="c"' * 1_660 + " d",
        "git " + "-" * 9_990,
        ("x = 1;\n" * 1_430)[:10_000],
        ("    " * 2_500),
        ("\n" * 10_000),
    ],
)
def test_pathological_input_stays_fast(text: str) -> None:
    # A generous bound: a linear scan takes well under a millisecond here, while
    # catastrophic backtracking would take seconds or hang.
    start = time.perf_counter()
    find_code(text)
    assert time.perf_counter() - start < 0.05


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=400), st.integers(min_value=1, max_value=5))
def test_arbitrary_text_never_raises(text: str, min_lines: int) -> None:
    found = find_code(text, min_lines)
    assert found is None or (isinstance(found, CodeFinding) and found.detail)


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(
            ["def f(x):", "    return x", "}", "x = 1;", "words here", "", "- item", "```"]
        ),
        max_size=30,
    ).map("\n".join)
)
def test_code_like_fragments_never_raise(text: str) -> None:
    found = find_code(text)
    assert found is None or found.detail
