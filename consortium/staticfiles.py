"""Static files as production serves them: the portal's own CSS and JavaScript minified as
collectstatic copies them, then hashed and compressed (brotli, gzip) by whitenoise.

The sources stay readable, with the comments that explain each rule; the copy users
download drops them. On the search page that is 1.9 KB of the 40 KB the page may weigh
besides the Urdu font (benchmarks/page_weight.py): portal.css 2.5 → 1.3 KB and portal.js
1.3 → 0.6 KB, brotli. Vendored files are already minified and are copied as they are.
rcssmin and rjsmin are well-kept ports of the classic minifiers with C speedups; a
Node build step would tie collectstatic (run in the image build) to npm."""

from __future__ import annotations

from django.core.files.base import ContentFile
from rcssmin import cssmin
from rjsmin import jsmin
from whitenoise.storage import CompressedManifestStaticFilesStorage

MINIFIERS = {".css": cssmin, ".js": jsmin}


def minified(name: str, text: str) -> str | None:
    """The minified text of one of the portal's own stylesheets or scripts; None for any
    other file (vendored, already minified, or not CSS/JS)."""
    if name.startswith("vendor/") or ".min." in name:
        return None
    for suffix, minify in MINIFIERS.items():
        if name.endswith(suffix):
            return minify(text)
    return None


class MinifiedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, with the portal's own CSS and JS minified on the way in."""

    def _save(self, name, content):
        if name.endswith((".css", ".js")):
            content.seek(0)
            text = minified(name, content.read().decode("utf-8"))
            if text is not None:
                content = ContentFile(text.encode("utf-8"))
        return super()._save(name, content)
