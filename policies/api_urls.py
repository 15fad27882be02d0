from rest_framework.routers import SimpleRouter

from policies.api import AgreementViewSet, PolicyViewSet

router = SimpleRouter()
router.register("policies", PolicyViewSet, basename="policy")
router.register("agreements", AgreementViewSet, basename="agreement")

urlpatterns = router.urls
