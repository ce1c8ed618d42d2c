"""The Lark grammar of story files and the parser built from it."""
