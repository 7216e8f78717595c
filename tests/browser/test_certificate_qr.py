"""The printed certificate's QR code scans, at every page width, and leads to the certificate's verification page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..chromium import CHROMIUM

ZBARIMG = shutil.which("zbarimg") or "/usr/bin/zbarimg"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]


def certificate_path(tab: Any) -> str:
    """The demo's approved case, found as the clerk finds it: the first case whose certificate prints."""
    for pk in range(1, 40):
        path = f"/procedures/termination/{pk}/certificate/"
        if tab.page.request.get(tab.url + path).status == 200:
            return path
    raise AssertionError("the demo has no case with a certificate")


def decode(image: Path) -> list[str]:
    done = subprocess.run([ZBARIMG, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode in (0, 4), done.stderr  # 4: nothing found
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.parametrize(("width", "height"), [(360, 640), (768, 1024), (1280, 800), (1920, 1080)])
def test_the_printed_certificates_qr_code_scans_at_every_size(
    open_tab: Any, tmp_path: Path, width: int, height: int
) -> None:
    assert Path(ZBARIMG).exists(), "zbarimg is needed: apt-get install zbar-tools"
    tab = open_tab("zh-hans")
    tab.log_in("clerk")
    tab.page.set_viewport_size({"width": width, "height": height})
    tab.page.emulate_media(media="print")
    tab.goto(certificate_path(tab))
    figure = tab.page.locator("figure.case-qr")
    printed_url = figure.locator("figcaption small").inner_text().strip()
    assert printed_url.startswith(tab.url + "/verify/termination/")

    shot = tmp_path / f"certificate-{width}x{height}.png"
    tab.page.screenshot(path=str(shot), full_page=True)
    assert decode(shot) == [printed_url]

    code = figure.locator("svg")
    box = code.bounding_box()
    assert box["width"] >= 120 and abs(box["width"] - box["height"]) < 1  # square, and big enough to scan
    # Nothing cuts it: the drawing fills the element that shows it.
    drawn = code.evaluate(
        "svg => { const b = svg.getBBox(); const v = svg.viewBox.baseVal; return [b.width, v.width]; }"
    )
    assert drawn[1] > 0 and drawn[0] <= drawn[1]
    assert tab.console_errors == []
