"""Story AST, checks, prompt templates and payloads: text in, request body out."""
