"""The demo mailbox: with demo delivery, consortium admins read every email the portal sent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.email import DEMO_MAILBOX_BACKEND, email_enqueue
from members.models import OutboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_delivery(settings):
    settings.EMAIL_DELIVERY_BACKEND = DEMO_MAILBOX_BACKEND


@pytest.fixture
def sent_notice(demo_delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_enqueue(
            to=["patron@lums.edu.pk"],
            subject="Your interlibrary loan ILL-7 has arrived",
            body="Collect it at the LUMS circulation desk.\nIt is due back on 20 December.\n"
            "http://127.0.0.1:8000/ill/my-requests/7/",
        )
    return email


def test_demo_delivery_keeps_the_email_as_sent(sent_notice):
    sent_notice.refresh_from_db()
    assert sent_notice.status == OutboundEmail.Status.SENT


def test_consortium_admin_reads_the_demo_mailbox(sent_notice, consortium_admin, login):
    client = login(consortium_admin)
    # when the admin opens the mailbox, then the email is listed
    listing = client.get(reverse("mailbox"))
    assert listing.status_code == 200
    assert "Your interlibrary loan ILL-7 has arrived" in listing.content.decode()
    assert "patron@lums.edu.pk" in listing.content.decode()
    # and its page shows the body, line by line
    message = client.get(reverse("mailbox-message", args=[sent_notice.pk]))
    assert message.status_code == 200
    body = message.content.decode()
    assert "Collect it at the LUMS circulation desk.<br>It is due back on 20 December." in body
    # and its links can be followed, as in a mail client (a password-reset link)
    assert '<a href="http://127.0.0.1:8000/ill/my-requests/7/"' in body


@pytest.mark.parametrize("who", ["patron", "librarian", "library_admin"])
def test_only_consortium_admins_read_the_mailbox(sent_notice, login, request, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("mailbox")).status_code == 403
    assert client.get(reverse("mailbox-message", args=[sent_notice.pk])).status_code == 403


def test_anonymous_is_sent_to_log_in(sent_notice, client):
    response = client.get(reverse("mailbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_no_mailbox_with_real_delivery(settings, consortium_admin, login):
    # given delivery to a mail server: the emails are their recipients' (reset links)
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    # then there is no mailbox to read
    assert login(consortium_admin).get(reverse("mailbox")).status_code == 404
