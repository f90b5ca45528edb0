"""Events (the outbox every notice is sent from), webhook endpoints and their deliveries."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from townhall.sites.models import Site

EVENT_NAMES = (
    "comment.created",
    "comment.published",
    "comment.rejected",
    "comment.reported",
    "user.banned",
)


class Event(models.Model):
    """Something that happened on a site, written in the transaction that made it happen.

    ``dispatched_at`` stays empty until a worker has turned the event into webhook
    deliveries and mails, so an event whose queue message was lost is found again.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["dispatched_at", "created_at"], name="event_undispatched")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL of the site's own systems that receives signed JSON for chosen events."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=new_secret)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url

    def wants(self, event_name: str) -> bool:
        return self.active and event_name in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery state", "Pending")
    SUCCEEDED = "succeeded", pgettext_lazy("delivery state", "Succeeded")
    FAILED = "failed", pgettext_lazy("delivery state", "Failed")


class Delivery(models.Model):
    """One event on its way to one endpoint, over as many attempts as it takes."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_once_per_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"event {self.event_id} to endpoint {self.endpoint_id}"


class Attempt(models.Model):
    """One POST of a delivery: what came back, how long it took, when the next try is."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
