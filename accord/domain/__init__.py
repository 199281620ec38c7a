"""Accord's domain rules as pure Python: no Django, no database, no system clock.

Rules that decide promises to customers (how business time is counted, when an SLA target falls
due) live here so that they can be tested exhaustively in isolation and reused by the web
application, the API, background jobs and reports alike, with every moment passed in explicitly.
"""
