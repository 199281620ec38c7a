"""Cursor pagination: stable pages and no COUNT(*) over large tables."""

from rest_framework.pagination import CursorPagination


class AccordCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
