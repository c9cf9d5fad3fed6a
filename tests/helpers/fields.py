"""Custom field specs and a page with known values, shared by the unit and functional tests."""

from __future__ import annotations

CANONICAL = "canonical=css:link[rel=canonical]::attr(href)"

LOWER = "translate(@name, 'DESCRIPTION', 'description')"

DESCRIPTION = f"desc=xpath://meta[{LOWER}='description'][1]/@content"

PAGE = """<html><body>
<p class="price"> 12.50 </p><p class="price">9.99</p><p class="price">  </p>
<a href="/a">A</a><a href="/b">B</a>
</body></html>"""
