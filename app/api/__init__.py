"""The local API server, a third face beside the window and the CLI: OpenAI- and
Anthropic-compatible routes on the app's own loop, through the chat's own path.

    server.py            ApiServer: Starlette + uvicorn on the running loop
    guard.py             Host, origin, token, size and concurrency checks; the local queue
    answering.py         model names → router/target; the first event settles the status
    openai_routes.py     /v1/models, /v1/chat/completions, /v1/embeddings
    anthropic_routes.py  /v1/messages
    errors.py            errors in each API's shape
    token.py             the bearer token, in the keyring only
"""
