"""Top-level URLs. Every view declares an access rule (tests/test_access_rules.py)."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import routers
from rest_framework.routers import DefaultRouter

from consortium import views
from desk import views as desk_views
from ill.iso18626.api import Iso18626Api
from members.api import LibraryViewSet
from members.forms import ChangePasswordForm, NewPasswordForm, ResetForm
from members.permissions import PUBLIC


def public(view):
    """Mark a third-party view as intentionally public for the default-deny check."""
    view.access_rule = PUBLIC
    return view


class PublicAPIRootView(routers.APIRootView):
    """The API's index of endpoints."""

    access_rule = PUBLIC


router = DefaultRouter()
router.APIRootView = PublicAPIRootView
router.register(
    "libraries", LibraryViewSet, basename="api-library"
)  # not "library": HTML owns "library-detail"

admin.site.site_header = "Ishtiraak administration"
admin.site.site_title = "Ishtiraak"
admin.site.index_title = "Consortium administration"

api_patterns = [
    path("", include(router.urls)),
    path("", include("catalogue.api_urls")),
    path("", include("policies.api_urls")),
    path("ill/", include("ill.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("jsi18n/", public(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path(
        "accounts/login/",
        desk_views.LoginView.as_view(),
        name="login",
    ),
    path("accounts/logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "accounts/password_change/",
        public(auth_views.PasswordChangeView.as_view(form_class=ChangePasswordForm)),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        public(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "accounts/password_reset/",
        public(auth_views.PasswordResetView.as_view(form_class=ResetForm)),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        public(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        public(auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm)),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("", include("members.urls")),
    path("", include("catalogue.urls")),
    path("", include("policies.urls")),
    path("", include("ill.urls")),
    path("", include("desk.urls")),
    path("", include("evidence.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("iso18626", Iso18626Api.as_view(), name="iso18626"),
    path("api/schema/", public(SpectacularAPIView.as_view()), name="schema"),
    # Swagger UI with its init script from a URL (?script) rather than inline, for the CSP.
    path(
        "api/docs/",
        public(
            SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="consortium/swagger_ui.html")
        ),
        name="api-docs",
    ),
]

handler404 = views.page_not_found
handler500 = views.server_error

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
