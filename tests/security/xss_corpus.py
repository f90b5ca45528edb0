"""Payloads that try to run script where a comment or a name is shown.

Each one, if it ever ran, would call ``alert`` or set ``window.__pwned`` — the
two things the browser test watches for. They are posted as comment bodies
(Markdown), as display names and as anonymous author names.
"""

from __future__ import annotations

PWN = "window.__pwned=1;alert(1)"

PAYLOADS: list[str] = [
    # raw HTML
    f"<script>{PWN}</script>",
    f"<SCRIPT SRC=data:text/javascript,{PWN}></SCRIPT>",
    f"<img src=x onerror={PWN}>",
    f'<img src="x" onerror="{PWN}"/>',
    f"<body onload={PWN}>",
    f"<iframe src=javascript:{PWN}></iframe>",
    "<iframe srcdoc='<script>parent.__pwned=1</script>'></iframe>",
    f'<a href="javascript:{PWN}">click</a>',
    f"<details open ontoggle={PWN}>x</details>",
    f"<input autofocus onfocus={PWN}>",
    f"<video><source onerror={PWN}></video>",
    f'<object data="javascript:{PWN}"></object>',
    f"<embed src=javascript:{PWN}>",
    f'<form action="javascript:{PWN}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
    f'<base href="javascript:{PWN}//">',
    # SVG and MathML
    f"<svg onload={PWN}>",
    f"<svg><script>{PWN}</script></svg>",
    f'<svg><a xlink:href="javascript:{PWN}"><text y="20">x</text></a></svg>',
    f"<svg><animate onbegin={PWN} attributeName=x dur=1s>",
    f'<math><mtext><table><mglyph><style><img src=x onerror="{PWN}">',
    f'<math href="javascript:{PWN}">CLICK</math>',
    # CSS
    f'<style>@import "javascript:{PWN}";</style>',
    f'<div style="background:url(javascript:{PWN})">x</div>',
    f'<p style="x:expression({PWN})">x</p>',
    # Markdown links and images
    f"[click](javascript:{PWN})",
    f"[click](JaVaScRiPt:{PWN})",
    f"[click](java&#115;cript:{PWN})",
    f"[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{PWN})",
    f"[click](java\tscript:{PWN})",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    f"![img](javascript:{PWN})",
    f'![x](https://example.org/x.png "a" onerror="{PWN}")',
    f'[a](https://example.org/"onmouseover="{PWN})',
    f"<javascript:{PWN}>",
    f"[x]: javascript:{PWN}\n\nSee [x].",
    f"[x](<javascript:{PWN}>)",
    # mutation XSS and parser confusion
    f'<noscript><p title="</noscript><img src=x onerror={PWN}>">',
    f'<svg></p><style><a id="</style><img src=1 onerror={PWN}>">',
    f'<form><math><mtext></form><form><mglyph><style></math><img src onerror="{PWN}">',
    f"<!--<img src=x onerror={PWN}>-->",
    f'<![CDATA[><img src=x onerror="{PWN}">]]>',
    f"<<script>script>{PWN}<</script>/script>",
    f"<img/src=x/onerror={PWN}>",
    # encoded entities
    f"&lt;script&gt;{PWN}&lt;/script&gt;",
    f"&#60;img src=x onerror={PWN}&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    # unicode tricks
    f"\uff1cscript\uff1e{PWN}\uff1c/script\uff1e",
    f"<scr\u0000ipt>{PWN}</scr\u0000ipt>",
    f"<img src=x o\u200bnerror={PWN}>",
    f"[click](jav\u200bascript:{PWN})",
    f"\u202e<img src=x onerror={PWN}>",
    # template and client-side injection
    "{{constructor.constructor('window.__pwned=1;alert(1)')()}}",
    f'<div hx-get="/api/v1/health" hx-trigger="load" hx-on::after-request="{PWN}">x</div>',
    f'"><script>{PWN}</script>',
    f"'><img src=x onerror={PWN}>",
]

# Names that the display-name rules let through yet carry quotes, dots and dashes:
# what survives must still land in the page as text, in attributes too.
NAME_PAYLOADS: list[str] = [
    "O'Neil' autofocus",
    "a' -alert-'",
    "x.'.'-'",
    "Zoë' - '' .js",
    "javascript. x'",
]
