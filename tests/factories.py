"""factory_boy factories for the models tests need to set up directly."""

from __future__ import annotations

import factory

from townhall.accounts.models import Membership, User
from townhall.sites.models import Site, Story

PASSWORD = "a long test passphrase"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"site{n}")
    name = factory.LazyAttribute(lambda o: f"The {o.slug.title()} Gazette")
    allowed_origins = factory.LazyFunction(lambda: ["https://news.example"])


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Story

    site = factory.SubFactory(SiteFactory)
    key = factory.Sequence(lambda n: f"story-{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    url = factory.LazyAttribute(lambda o: f"https://news.example/{o.key}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    email_verified = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    display_name = factory.Sequence(lambda n: f"Reader {n}")
