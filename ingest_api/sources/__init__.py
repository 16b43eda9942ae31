"""Parsers from agents' own logs (Claude Code, Codex, Gemini CLI) to contract events.

Each module is pure: records in, event dicts out. The CLI importer and the HTTP
receivers both call them, so a session captured live and imported later maps to
the same events with the same ids.
"""
