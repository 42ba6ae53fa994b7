from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.admin import OTPAdminSite

from .models import AuditEvent, CareMembership, Invitation, Patient, User

# The admin reads every patient's record: staff need a two-factor verified session
# (django-otp's documented way of guarding the default site). Its sign-in is the app's own,
# which asks for the code (companion/views.py admin_login).
admin.site.__class__ = OTPAdminSite


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipAdminForm(forms.ModelForm):
    """A membership's role is never changed in place, by staff either: no one turns the patient's own
    (SELF) link into something less, or a caregiver into a parent (ACCESS-SELF, ACCESS-ADULT).
    To change a role, revoke the link and invite the person again."""

    class Meta:
        model = CareMembership
        fields = ["patient", "user", "role", "receives_reminders", "revoked_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "role" in self.fields:
            self.fields["role"].disabled = True
            self.fields["role"].help_text = "A role is not changed in place: revoke this link and invite again."


class MembershipInline(admin.TabularInline):
    model = CareMembership
    form = MembershipAdminForm
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["display_name", "date_of_birth", "indication", "time_zone"]
    search_fields = ["display_name"]
    list_filter = ["indication"]
    inlines = [MembershipInline]
    raw_id_fields = ["account"]


@admin.register(CareMembership)
class CareMembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["patient", "user", "role", "created_at", "revoked_at"]
    list_filter = ["role"]
    raw_id_fields = ["patient", "user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["patient", "email", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token_hash"]
    raw_id_fields = ["patient", "invited_by", "accepted_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: staff can search the trail but never add, change or delete an entry."""

    list_display = ["at", "actor_email", "patient_ref", "action", "method", "path"]
    list_filter = ["action"]
    search_fields = ["actor_email", "path", "=patient_ref"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
