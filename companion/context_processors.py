from doses.rules import emergency_numbers

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


def emergency_numbers_fallback(request):
    """AE-OVERDOSE: the footer's numbers on a page with no patient: no number, "your local emergency number".

    A page about a patient puts `patient` in its context, and the footer uses
    `patient.emergency_numbers` (her country's numbers) first; a context processor cannot see
    the view's context, so it offers only what to say when there is none.
    """
    return {"emergency_fallback": emergency_numbers.UNKNOWN}
