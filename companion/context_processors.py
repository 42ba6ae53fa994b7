from .models import CareRole


def navigation(request):
    """What the navigation bar needs: is this person a clinician anywhere?"""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    if not hasattr(request, "_nav_is_clinician"):
        # EXISTS, not the list of roles: a clinician with a thousand patients has a
        # thousand memberships, and the bar only needs to know whether one is a clinician's.
        request._nav_is_clinician = user.memberships.active().filter(role=CareRole.CLINICIAN).exists()
    return {"nav_is_clinician": request._nav_is_clinician}
