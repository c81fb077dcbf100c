"""How the CLI fails: one plain line on stderr and exit status 2, never a traceback."""


class UsageError(Exception):
    """Bad input from the command line or a file it named; the message is for the user."""


EXIT_BAD_INPUT = 2
