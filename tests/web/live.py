"""A real ``chachong serve`` process on a free loopback port, and headless Chromium driven by
Selenium (Debian's ``chromium`` and ``chromium-driver``: no browser or driver is downloaded).

Without chromium-driver the browser tests are skipped, except under CI (``$CI`` set), where
they must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from ..redis_server import free_port

CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START_TIMEOUT_S = 60.0


def need_browser() -> tuple[str, str]:
    if CHROMEDRIVER is None or CHROMIUM is None:
        reason = "chromium-driver is not installed (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the browser tests must run")
        pytest.skip(f"{reason}; browser tests skipped")
    return CHROMIUM, CHROMEDRIVER


class LiveServer:
    """``python -m chachong serve`` as a user starts it; its log goes to a file the tests read."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.args = args
        self.env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chachong", "serve", "--port", str(self.port), *self.args],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chachong serve exited: {self.log.read_text(encoding='utf-8')[-2000:]}")
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx2.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chachong serve did not start: {self.log.read_text(encoding='utf-8')[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def chrome(*, width: int = 1440, height: int = 1000) -> Iterator[object]:
    """Headless Chromium under Selenium; its console is readable (``get_log("browser")``)."""
    chromium, driver_path = need_browser()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", f"--window-size={width},{height}", "--lang=zh-CN"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
