from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in

from .sessions import note_sign_in


class CompanionConfig(AppConfig):
    name = "companion"
    verbose_name = "People and care circles"

    def ready(self):
        # The time of a session's last write starts at sign-in (companion/sessions.py).
        user_logged_in.connect(note_sign_in, dispatch_uid="companion.sessions.note_sign_in")
