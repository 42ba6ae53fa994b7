"""URLs of the reminders app: preferences, unsubscribe, calendar feeds, status."""

app_name = "reminders"

urlpatterns: list = []
