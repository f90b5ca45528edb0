from django.contrib import admin

from townhall.sites.models import Site, Story


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "premoderation", "anonymous_posting", "created_at")
    search_fields = ("slug", "name")


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("key", "site", "title", "comment_count", "closed", "created_at")
    list_filter = ("site", "closed")
    search_fields = ("key", "title", "url")
    readonly_fields = ("comment_count",)
