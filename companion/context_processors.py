from .models import CareRole


def navigation(request):
    """What the navigation bar needs: is this person a clinician anywhere?"""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    if not hasattr(request, "_nav_roles"):
        request._nav_roles = set(user.memberships.active().values_list("role", flat=True))
    return {"nav_is_clinician": CareRole.CLINICIAN in request._nav_roles}
