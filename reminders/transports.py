"""Channels behind one small interface. E-mail now; SMS or push would be another subclass.

A transport sends one Delivery and raises TransportError saying whether a retry could help.
"""

from __future__ import annotations

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from .messages import message_context


class TransportError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class Transport:
    name = "base"

    def send(self, delivery) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def message_id_for(delivery) -> str:
    """A Message-ID that is the same on every attempt of one delivery and differs between deliveries.

    RFC 5322 msg-id, `<id-left@id-right>`: the delivery's id and the second it was created
    (so a database rebuilt from scratch, whose ids start again at 1, never reuses a Message-ID
    a mailbox already holds), at the host of SITE_URL. A mail client that sees the same
    Message-ID twice (a worker killed after the server accepted the message) can drop the repeat.
    Django's make_msgid is random per call, so it cannot do this.
    """
    host = (urlsplit(settings.SITE_URL).hostname or "localhost").encode("idna").decode("ascii")
    if ":" in host:  # an IPv6 address is a domain literal in a msg-id
        host = f"[{host}]"
    created = int(delivery.created_at.timestamp())
    return f"<delivery.{delivery.pk}.{created}@{host}>"


class EmailTransport(Transport):
    """Through Django's e-mail backend (console in development, SMTP in production).

    Each kind has three templates: reminders/email/<kind>_subject.txt, <kind>.txt, <kind>.html.
    """

    name = "email"

    def render(self, delivery) -> EmailMultiAlternatives:
        context = message_context(delivery)
        base = f"reminders/email/{delivery.kind}"
        # SCHED-TZ: times in the message are the patient's wall-clock times (account e-mail
        # about no patient: UTC, and its templates show no times).
        with timezone.override(delivery.patient.zone if delivery.patient_id else "UTC"):
            subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
            text = render_to_string(f"{base}.txt", context)
            html = render_to_string(f"{base}.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.address],
            headers={"X-Companion-Delivery": str(delivery.pk), "Message-ID": message_id_for(delivery)},
        )
        if "unsubscribe_url" in context:  # care messages; account e-mail has nothing to unsubscribe from
            message.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        message.attach_alternative(html, "text/html")
        return message

    def send(self, delivery) -> None:
        message = self.render(delivery)
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"Recipient refused: {exc.recipients}", retryable=False) from exc
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected) as exc:
            raise TransportError(f"Mail server unreachable: {exc}", retryable=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx is "try again later"; 5xx is permanent.
            retryable = 400 <= exc.smtp_code < 500
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=retryable) from exc
        except smtplib.SMTPException as exc:  # (a subclass of OSError, so before it)
            raise TransportError(f"SMTP error: {exc}", retryable=False) from exc
        except OSError as exc:  # refused, reset, timed out, DNS: the network, not the message
            raise TransportError(f"Mail server unreachable: {exc}", retryable=True) from exc


TRANSPORTS: dict[str, Transport] = {"email": EmailTransport()}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
