from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and calendar feeds"

    def ready(self) -> None:
        # companion asks for account e-mail through signals (it imports nothing above it);
        # reminders turns each into a Delivery (reminders/account_mail.py). Imported here, not at
        # the top: account_mail imports models, which cannot load before the app registry is ready.
        from companion import signals

        from . import account_mail

        signals.password_reset_requested.connect(account_mail.on_password_reset_requested, dispatch_uid="reset")
        signals.sign_up_requested.connect(account_mail.on_sign_up_requested, dispatch_uid="sign_up")
        signals.invitation_issued.connect(account_mail.on_invitation_issued, dispatch_uid="invitation")
