"""The report's only script: click a column head of a `table.sortable` to sort it.

It is inline and pinned by its SHA-256 in the page's Content-Security-Policy
(`script-src 'sha256-…'`), so no other script can run, not even one that slipped
past escaping; it reads and reorders rows, and touches nothing else. A cell's
`data-sort` attribute, when present, is the value sorted on (numbers for
durations and counts); otherwise its text. Without script the tables still read
in their default order.
"""

from __future__ import annotations

import base64
import hashlib

SCRIPT = (
    "for(const th of document.querySelectorAll('table.sortable thead th')){"
    "th.tabIndex=0;th.title='Click to sort';"
    "th.onclick=()=>{const b=th.closest('table').tBodies[0],i=th.cellIndex,"
    "up=th.dataset.dir!=='up';th.dataset.dir=up?'up':'down';"
    "const key=r=>{const c=r.cells[i];if(!c)return'';const s=c.dataset.sort??c.textContent,"
    "n=Number(s);return c.dataset.sort!==undefined&&s!==''&&!isNaN(n)?n:s.toLowerCase()};"
    "const rows=[...b.rows].sort((x,y)=>{const p=key(x),q=key(y);"
    "return(p<q?-1:p>q?1:0)*(up?1:-1)});b.append(...rows)}}"
)
CSP_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"
