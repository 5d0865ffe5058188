"""The HTML report's style and script: constant, inline in every page (it loads nothing).

The script reads only the ids and data attributes the page writes itself (numbers),
never a text from a document.
"""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{--fail:#f19a9a;--fail-b:#b71c1c;--error:#d7b4e6;--rounding:#ffcf5c;--waived:#cfd8dc;
--tolerated:#ffab66;
--loc:#0d47a1;--hl:#111}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Noto Sans CJK SC","Source Han Sans SC",
"Microsoft YaHei","PingFang SC",sans-serif;color:#1d1d1d;background:#f6f6f4}
header{padding:12px 20px;background:#fff;border-bottom:1px solid #ddd}
h1{font-size:20px;margin:0 0 4px}h2{font-size:18px;margin:0 0 4px}
h3{font-size:15px;margin:14px 0 6px}
main{padding:8px 20px 40px}
.meta,.dim{color:#666}.meta code{font-size:12px}
.legend .key{display:inline-block;padding:0 8px;margin-right:4px;border:1px solid #bbb}
.key.fail{background:var(--fail)}.key.error{background:var(--error)}
.key.rounding{background:var(--rounding)}.key.waived{background:var(--waived)}
.key.tolerated{background:var(--tolerated)}
.key.loc{outline:3px solid var(--loc);outline-offset:-3px}
.warn{background:#fff3cd;padding:6px 10px;border:1px solid #e0c36b}
section.doc{background:#fff;border:1px solid #ddd;margin:16px 0;padding:12px 16px;
content-visibility:auto;contain-intrinsic-size:auto 1200px}
section.doc:target{border-color:#555}
.tally span{margin-right:2px}.tally .fail{color:var(--fail-b);font-weight:bold}
.tablewrap{overflow-x:auto;margin:10px 0 18px}
table{border-collapse:collapse}
table.doc{background:#fff;font-size:13px}
table.doc caption{text-align:left;font-weight:bold;padding:4px 0}
table.doc caption .unit{font-weight:normal;color:#555;margin-left:12px}
table.doc th,table.doc td{border:1px solid #b9b9b9;padding:2px 6px;vertical-align:top}
table.doc th{background:#eef0f2;font-weight:600;text-align:center}
table.doc td{white-space:nowrap}table.doc td.w{white-space:normal;min-width:12em;max-width:28em}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
th.g,td.g{color:#888;font-size:11px;text-align:right;background:#fafafa;white-space:nowrap}
td.fail,th.fail{background:var(--fail)}td.error,th.error{background:var(--error)}
td.rounding,th.rounding{background:var(--rounding)}td.waived,th.waived{background:var(--waived)}
td.tolerated,th.tolerated{background:var(--tolerated)}
td.g.fail,td.g.error,td.g.rounding,td.g.waived,td.g.tolerated{color:#111}
td.m{cursor:pointer}
td.loc{outline:3px solid var(--loc);outline-offset:-3px}
td.loc-r{outline:3px dashed #8d6e00;outline-offset:-3px}
.sugg{display:block;color:var(--loc);font-weight:bold;white-space:nowrap}
sup.refs a{margin-left:2px;font-size:10px;color:#333}
.sigma{margin-left:3px;color:#333}
tr.gap td{color:#888;font-style:italic;text-align:center;background:#fafafa}
td.empty{color:#888;text-align:center}
.hl{box-shadow:inset 0 0 0 3px var(--hl)}
.finding{border-left:5px solid #999;background:#fcfcfc;margin:8px 0;padding:6px 10px}
.finding.fail{border-color:var(--fail-b)}.finding.error{border-color:#7b1fa2}
.finding.rounding{border-color:#d89b00}.finding.waived{border-color:#90a4ae}
.finding.tolerated{border-color:#e65100}
.finding:target,.finding.hl{background:#fffbe6;box-shadow:0 0 0 2px var(--hl)}
.fh .num{display:inline-block;min-width:1.6em;text-align:center;background:#333;color:#fff;
border-radius:9px;font-size:11px}
.badge{padding:0 5px;border-radius:3px;font-size:12px}
.badge.fail{background:var(--fail)}.badge.error{background:var(--error)}
.badge.rounding{background:var(--rounding)}.badge.tolerated{background:var(--tolerated)}
.sev{color:#666;font-size:12px}.where{color:#555;font-size:12px;margin-left:6px}
pre.src{background:#f1f3f5;padding:4px 8px;margin:4px 0;white-space:pre-wrap;font-size:12px}
.msg{margin:4px 0}
table.arith,table.ops{font-size:12px;margin:4px 0}
table.arith th,table.arith td,table.ops th,table.ops td{border:1px solid #ddd;padding:1px 6px}
table.ops code{font-size:11px}
.cmd code{font-size:12px}
.likely{border:2px solid var(--loc);padding:4px 12px;margin:8px 0;background:#f3f7ff}
.causes{border:2px dashed #8d6e00;padding:4px 12px;margin:8px 0;background:#fffaf0}
.note{color:#555;font-size:12px;margin:0}
ol.cands li{margin:2px 0}
td.loc-r .sugg{color:#7a5c00}
.causes summary{cursor:pointer}
table.index{background:#fff;font-size:13px}
table.index th,table.index td{border:1px solid #ccc;padding:2px 6px}
table.index th[data-sort]{cursor:pointer}
table.index td.fail{background:var(--fail)}table.index td.error{background:var(--error)}
table.index td.rounding{background:var(--rounding)}
table.index td.tolerated{background:var(--tolerated)}
.hidden{display:none}
.ok{color:#2e7d32}
.diags li.error{color:var(--fail-b)}
"""

JS = """
(function(){
function clear(){document.querySelectorAll('.hl').forEach(function(e){e.classList.remove('hl');});}
function show(id){
  var f=document.getElementById(id); if(!f) return;
  clear(); f.classList.add('hl');
  (f.getAttribute('data-cells')||'').split(' ').forEach(function(c){
    var e=c&&document.getElementById(c); if(e) e.classList.add('hl');});
}
function fromHash(){var h=location.hash.slice(1); if(h.charAt(0)==='f') show(h);}
window.addEventListener('hashchange',fromHash); fromHash();
document.addEventListener('click',function(ev){
  if(ev.target.closest('a')) return;
  var cell=ev.target.closest('[data-f]');
  if(cell){location.hash=cell.getAttribute('data-f').split(' ')[0]; return;}
  var f=ev.target.closest('.finding'); if(f) show(f.id);
});
var box=document.getElementById('filter'), only=document.getElementById('only-marked');
function filter(){
  var q=(box&&box.value||'').toLowerCase(), o=only&&only.checked;
  document.querySelectorAll('table.index tbody tr').forEach(function(tr){
    var hit=(!q||tr.textContent.toLowerCase().indexOf(q)>=0)&&(!o||tr.hasAttribute('data-marked'));
    tr.classList.toggle('hidden',!hit);});
}
if(box) box.addEventListener('input',filter); if(only) only.addEventListener('change',filter);
document.querySelectorAll('table.index th[data-sort]').forEach(function(th){
  th.addEventListener('click',function(){
    var i=+th.getAttribute('data-sort'), num=th.hasAttribute('data-numeric');
    var down=th.getAttribute('data-dir')!=='down'; th.setAttribute('data-dir',down?'down':'up');
    var body=th.closest('table').tBodies[0], rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[i].textContent, y=b.cells[i].textContent;
      var c=num||i===0?(+x)-(+y):x.localeCompare(y); return down?-c:c;});
    rows.forEach(function(r){body.appendChild(r);});
  });
});
})();
"""


# the page's Content-Security-Policy allows this script and no other (nor any inline
# event handler), and fetches nothing
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(JS.encode()).digest()).decode()
POLICY = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '{SCRIPT_HASH}'"
