from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/check-your-email/", views.signup_done, name="signup_done"),
    path("accounts/signup/confirm/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    # --- two-factor sign-in (security): the sign-in view asks for a code when it is on ---
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/two-factor/", views.two_factor_settings, name="two_factor"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    # --- end two-factor ---
    path("accounts/", include("django.contrib.auth.urls")),
    path("people/", views.patient_list, name="patients"),
    path("people/new/", views.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/profile/", views.patient_edit, name="patient_edit"),
    path("patients/<int:patient_id>/circle/", views.circle, name="circle"),
    path("patients/<int:patient_id>/care-team/", views.care_team_card, name="care_team"),
    path(
        "patients/<int:patient_id>/circle/members/<int:membership_id>/revoke/",
        views.membership_revoke,
        name="membership_revoke",
    ),
    path(
        "patients/<int:patient_id>/circle/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    # --- data rights and audit trail (security) ---
    path("patients/<int:patient_id>/your-data/", views.data_rights, name="data_rights"),
    path("patients/<int:patient_id>/delete/", views.patient_delete, name="patient_delete"),
    path("patients/<int:patient_id>/audit/", views.audit_trail, name="audit_trail"),
    # --- end data rights and audit trail ---
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("", include("doses.urls")),
    path("", include("reminders.urls")),
    path(
        "manifest.webmanifest",
        TemplateView.as_view(template_name="manifest.webmanifest", content_type="application/manifest+json"),
        name="manifest",
    ),
    # Staff sign in through the app's sign-in (lockout page, two-factor), not the admin's own form.
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

handler500 = "companion.views.server_error"
