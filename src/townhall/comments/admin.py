from django.contrib import admin

from townhall.comments.models import Comment


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("pk", "story", "author", "status", "featured", "like_count", "created_at")
    list_filter = ("status", "featured", "site")
    search_fields = ("body",)
    raw_id_fields = ("story", "parent", "root", "author")
    readonly_fields = ("body_html", "like_count")
