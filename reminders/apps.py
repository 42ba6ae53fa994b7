from django.apps import AppConfig

from companion import signals
from doses import signals as doses_signals


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and calendar feeds"

    def ready(self) -> None:
        # companion asks for account e-mail through signals (it imports nothing above it);
        # reminders turns each into a Delivery (reminders/account_mail.py). doses tells us a care
        # alert was committed, or that syringes were taken (doses/signals.py; doses never imports
        # reminders); notify queues their deliveries at once. account_mail and notify are imported
        # here, not at the top: they import models, which cannot load before the app registry is ready.
        from . import account_mail, notify

        signals.password_reset_requested.connect(account_mail.on_password_reset_requested, dispatch_uid="reset")
        signals.sign_up_requested.connect(account_mail.on_sign_up_requested, dispatch_uid="sign_up")
        signals.invitation_issued.connect(account_mail.on_invitation_issued, dispatch_uid="invitation")
        doses_signals.care_alert_raised.connect(notify.on_care_alert_raised, dispatch_uid="care_alert")
        doses_signals.supply_taken.connect(notify.on_supply_taken, dispatch_uid="supply_taken")
