"""The README's screenshots of `chachong serve`: ``python -m tests.web.screenshots`` (from the
repository, with the test extra and Debian's chromium-driver and fonts-wqy-microhei).

Starts ``chachong serve`` on the bundled corpus (an index built in a temporary folder), drives
headless Chromium through the pages and saves PNGs in docs/.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from .live import LiveServer, chrome

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def main() -> int:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from chachong.indexer import ensure_index

    with tempfile.TemporaryDirectory() as folder:
        index = Path(folder) / "corpus.sqlite"
        ensure_index(str(index)).close()
        server = LiveServer(Path(folder), "--index", str(index), "--workers", "1").start()
        try:
            with chrome(width=1440, height=1100) as driver:
                wait = WebDriverWait(driver, 60)
                draft = (REPO / "examples" / "sample_draft.txt").read_text(encoding="utf-8")
                driver.get(server.url + "/")
                box = driver.find_element(By.ID, "text")
                driver.execute_script("arguments[0].value = arguments[1];", box, draft)
                driver.save_screenshot(str(DOCS / "serve_check.png"))
                driver.find_element(By.ID, "submit").click()
                wait.until(lambda d: "/check/" in d.current_url)
                driver.switch_to.frame("report")
                marks = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "mark.p"))
                # Scroll inside the report only (scrollIntoView would scroll the page around it too).
                driver.execute_script(
                    "document.scrollingElement.scrollTop = document.querySelector('.layout').offsetTop - 12;")
                ActionChains(driver).move_to_element(marks[1]).perform()
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".side-slot .cmp.shown"))
                driver.switch_to.default_content()
                time.sleep(0.3)
                driver.save_screenshot(str(DOCS / "serve_result.png"))
                driver.get(server.url + "/library?q=2023年度")
                driver.save_screenshot(str(DOCS / "serve_library.png"))
                driver.get(server.url + "/status")
                driver.save_screenshot(str(DOCS / "serve_status.png"))
        finally:
            server.stop()
    for name in ("serve_check", "serve_result", "serve_library", "serve_status"):
        print(DOCS / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
