"""Before the test suite: say loudly what the browser tests will use."""

import shutil
import sys


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        print(f"Browser tests will drive {chromium}.")
    else:
        print("!" * 78)
        print("!! No Debian chromium found: browser tests will try Playwright's own browser")
        print("!! and are SKIPPED if there is none. Install it: apt-get install chromium")
        print("!" * 78)
    return 0


if __name__ == "__main__":
    sys.exit(main())
