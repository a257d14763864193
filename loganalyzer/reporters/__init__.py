"""Reporters: turn readings and diagnoses into text, JSON, Markdown or HTML. No analysis here."""
