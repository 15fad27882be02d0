"""Tap targets on a phone: every link, button and field at least 44 px high (WCAG 2.5.8's
comfortable size, Apple's and Android's guidance), so a thumb does not hit its neighbour.

A checkbox or radio button counts with its label or its row when that is taller. A link
inside running text is exempt, as WCAG exempts it: its height is the line's, and padding it
would spread the paragraph (a link is "in running text" when the block around it has text of
its own besides the link's)."""

MIN_TARGET = 44

# Visible interactive elements lower than `minimum`, as text lines "tag "text" height px".
SMALL_TARGETS = """(minimum) => {
  const small = [];
  const blockOf = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const display = getComputedStyle(p).display;
      if (!display.startsWith("inline")) return p;
    }
    return document.body;
  };
  const inRunningText = (el) => {
    if (el.tagName !== "A" || el.classList.contains("btn")) return false;
    const own = (el.innerText || "").trim().length;
    const around = (blockOf(el).innerText || "").trim().length;
    return around > own + 3;
  };
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    if (el.closest(".collapse:not(.show), .dropdown-menu:not(.show)")) continue;
    if (inRunningText(el)) continue;
    const row = el.closest("label, .form-check") || (el.id && document.querySelector(`label[for="${el.id}"]`));
    const target = row && row.getBoundingClientRect().height >= box.height ? row.getBoundingClientRect() : box;
    if (target.height < minimum - 0.5) {
      small.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || "").trim().slice(0, 30)}" ${target.height.toFixed(1)} px`);
    }
  }
  return small;
}"""
