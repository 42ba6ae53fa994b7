from django.contrib import admin

from .models import CalendarFeed, Delivery, JobRun, NotificationPreference


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "patient",
        "recipient",
        "to_email",
        "subject_key",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    raw_id_fields = ["patient", "recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["membership", "quiet_start", "quiet_end", "updated_at"]
    raw_id_fields = ["membership"]
    exclude = ["unsubscribe_token"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["patient", "created_at", "revoked_at"]
    raw_id_fields = ["patient", "created_by"]
    exclude = ["token"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_run_at", "last_summary"]
