"""The app's URLs plus one that fails, so the 500 page can be seen in a real browser."""

from django.urls import include, path


def broken_view(request):
    raise RuntimeError("A deliberate failure to show the error page (tests only).")


urlpatterns = [
    path("test-only/broken/", broken_view),
    path("", include("companion.urls")),
]
