"""Error pages: HTML for people, JSON for API clients."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {
                "message": "You do not have permission to do this.",
                "code": "permission_denied",
                "errors": {},
            },
            status=403,
        )
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"message": "Not found.", "code": "not_found", "errors": {}}, status=404
        )
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {
                "message": "Internal error; it has been logged.",
                "code": "server_error",
                "errors": {},
            },
            status=500,
        )
    return render(request, "500.html", status=500)
