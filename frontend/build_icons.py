"""`make icons`: static/img/icons.svg, a sprite of the icons templates name with {% icon %}.

Each <symbol id="NAME"> is node_modules/bootstrap-icons/icons/NAME.svg (the npm package
pinned in package.json), so the sprite holds only what pages use.
tests/consortium/test_icons.py fails if a template names an icon the sprite lacks.
"""

import re
import sys
from pathlib import Path
from xml.etree import ElementTree

from defusedxml.ElementTree import fromstring

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "node_modules" / "bootstrap-icons" / "icons"
SPRITE = ROOT / "static" / "img" / "icons.svg"
SVG = "http://www.w3.org/2000/svg"
# {% icon "name" %} in a template; kept in step with tests/consortium/test_icons.py.
ICON_TAG = re.compile(r"""{%\s*icon\s+["']([a-z0-9-]+)["']\s*%}""")


def icon_names(root: Path = ROOT) -> list[str]:
    names = set()
    for path in root.glob("**/templates/**/*.html"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        names.update(ICON_TAG.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def symbol(name: str) -> str:
    source = ICONS / f"{name}.svg"
    if not source.exists():
        sys.exit(f"{source}: no such icon in bootstrap-icons (named by a template)")
    svg = fromstring(source.read_text(encoding="utf-8"))
    ElementTree.register_namespace("", SVG)
    for child in svg:
        child.tail = None  # the source's indentation
    body = "".join(ElementTree.tostring(child, encoding="unicode") for child in svg)
    body = body.replace(f' xmlns="{SVG}"', "")
    return f'<symbol id="{name}" viewBox="{svg.get("viewBox")}">{body}</symbol>'


def main() -> None:
    names = icon_names()
    symbols = "".join(symbol(name) for name in names)
    SPRITE.parent.mkdir(parents=True, exist_ok=True)
    SPRITE.write_text(
        f'<svg xmlns="{SVG}">'
        "<!-- Bootstrap Icons (https://icons.getbootstrap.com/), MIT License; built by make icons -->"
        f"{symbols}</svg>\n",
        encoding="utf-8",
    )
    sys.stdout.write(f"{SPRITE.relative_to(ROOT)}: {', '.join(names)}\n")


if __name__ == "__main__":
    main()
