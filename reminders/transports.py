"""Channels behind one small interface. E-mail now; SMS or push would be another subclass.

A transport sends one Delivery and raises TransportError saying whether a retry could help.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
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

    def send_batch(self, items: list[tuple[object, dict]]) -> Iterator[tuple[object, Exception | None]]:
        """Send each (delivery, message context) in turn, yielding (delivery, None) once it is
        accepted or (delivery, the error) if not, so the caller records each outcome as it
        happens. This default sends one by one; a transport with connections overrides it."""
        for delivery, _context in items:
            try:
                self.send(delivery)
            except Exception as exc:  # reported to the caller, who decides per message
                yield delivery, exc
            else:
                yield delivery, None


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

    def render(self, delivery, context: dict | None = None) -> EmailMultiAlternatives:
        context = message_context(delivery) if context is None else context
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
        except Exception as exc:
            error = transport_error(exc)
            if error is exc:  # not about sending: the caller fails the delivery visibly
                raise
            raise error from exc

    def send_batch(self, items):
        """One connection to the mail server for the whole batch (Django's get_connection and
        send_messages), one SMTP transaction per message on it. A message the server refuses
        does not stop the others; after any error the connection is opened afresh, and if it
        cannot be opened the rest of the batch gets that error without waiting on it again."""
        connection = get_connection(fail_silently=False)
        opened = False
        unreachable: TransportError | None = None
        try:
            for delivery, context in items:
                if unreachable is not None:
                    yield delivery, unreachable
                    continue
                try:
                    message = self.render(delivery, context)
                except Exception as exc:  # a template or data bug: this message only
                    yield delivery, exc
                    continue
                try:
                    if not opened:
                        try:
                            connection.open()
                        except Exception as exc:
                            unreachable = transport_error(exc)
                            yield delivery, unreachable
                            continue
                        opened = True
                    message.connection = connection
                    if not connection.send_messages([message]):
                        raise TransportError("The mail backend did not send the message.", retryable=True)
                except Exception as exc:
                    error = exc if isinstance(exc, TransportError) else transport_error(exc)
                    connection.close()  # a fresh connection for the next message (closing never raises)
                    opened = False
                    yield delivery, error
                else:
                    yield delivery, None
        finally:
            if opened:
                connection.close()


def transport_error(exc: Exception) -> Exception:
    """What an exception from sending an e-mail means: a TransportError that says whether a
    retry could help, or the exception itself when it is not about sending (a bug)."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # 450/451/452 to RCPT ("mailbox busy", greylisting) is "try again later"; 5xx is permanent.
        codes = [reply[0] for reply in exc.recipients.values() if isinstance(reply, tuple) and reply]
        retryable = bool(codes) and all(400 <= code < 500 for code in codes)
        return TransportError(f"Recipient refused: {exc.recipients}", retryable=retryable)
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return TransportError(f"Mail server unreachable: {exc}", retryable=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx is "try again later"; 5xx is permanent.
        retryable = 400 <= exc.smtp_code < 500
        return TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=retryable)
    if isinstance(exc, smtplib.SMTPException):  # (a subclass of OSError, so before it)
        return TransportError(f"SMTP error: {exc}", retryable=False)
    if isinstance(exc, OSError):  # refused, reset, timed out, DNS: the network, not the message
        return TransportError(f"Mail server unreachable: {exc}", retryable=True)
    return exc


TRANSPORTS: dict[str, Transport] = {"email": EmailTransport()}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
