"""The OpenAPI contract beyond what FastAPI derives: every refusal an operation can answer,
as RFC 9457 problems, and the headers and files the server really sends."""
