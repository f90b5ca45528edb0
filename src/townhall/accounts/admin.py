from django.contrib import admin

from townhall.accounts.models import ApiToken, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("site", "display_name", "role", "status", "suspended_until")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("pk", "email", "email_verified", "is_admin", "is_active", "date_joined")
    list_filter = ("is_admin", "is_active", "email_verified")
    search_fields = ("email", "memberships__display_name")
    exclude = ("password", "groups", "user_permissions", "last_login")
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix")
