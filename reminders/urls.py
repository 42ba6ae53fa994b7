"""URLs of the reminders app: preferences, unsubscribe, calendar feeds, status."""

from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("patients/<int:patient_id>/reminders/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("patients/<int:patient_id>/calendar/", views.feed_settings, name="feed_settings"),
    path("patients/<int:patient_id>/calendar/regenerate/", views.feed_regenerate, name="feed_regenerate"),
    path("staff/reminders/", views.status, name="status"),
]
