/** The console's stylesheet and its one small script, served as static files (no inline code: CSP forbids it). */

export const CSS = `
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2433;background:#f4f6f9}
body{margin:0}
a{color:#1456b8;text-decoration:none}a:hover{text-decoration:underline}
header{background:#17233a;color:#fff;display:flex;align-items:center;gap:18px;padding:0 20px;height:48px;flex-wrap:wrap}
header .brand{font-weight:700;letter-spacing:.3px;color:#fff;margin-right:10px}
header nav{display:flex;gap:4px;flex:1}
header nav a{color:#c8d3e6;padding:14px 10px;display:inline-block}
header nav a.on{color:#fff;box-shadow:inset 0 -3px 0 #5aa0ff}
header .who{color:#c8d3e6;font-size:13px;display:flex;gap:12px;align-items:center}
header .who a{color:#c8d3e6}
header form{margin:0}
header button{background:none;border:1px solid #50607d;color:#e6ecf5;border-radius:4px;padding:3px 10px;cursor:pointer;font:inherit}
main{max-width:1340px;margin:0 auto;padding:18px 20px 40px}
h1{font-size:22px;margin:4px 0 4px}
h2{font-size:17px;margin:26px 0 8px}
.sub{color:#5b6578;font-size:13px;margin-bottom:14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px;margin:10px 0 8px}
.card{background:#fff;border:1px solid #dde3ec;border-radius:6px;padding:12px 14px;display:block;color:inherit}
a.card:hover{text-decoration:none;border-color:#5aa0ff}
.card.on{border-color:#1456b8;box-shadow:0 0 0 1px #1456b8}
.card .v{font-size:26px;font-weight:650}
.card .l{color:#5b6578;font-size:13px}
.card.warn .v{color:#b35c00}.card.bad .v{color:#b3261e}.card.good .v{color:#1e7a3a}
.tbl{overflow-x:auto;background:#fff;border:1px solid #dde3ec;border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{padding:7px 10px;border-bottom:1px solid #edf0f5;text-align:left;vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;min-width:240px}
th{background:#f8f9fb;font-weight:600;color:#3b4556;font-size:13px}
tr:last-child td{border-bottom:none}
td.r,th.r{text-align:right}
.num{font-variant-numeric:tabular-nums}
.cur{color:#5b6578;font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;background:#e8edf5;color:#3b4556}
.badge.active,.badge.paid,.badge.closed,.badge.received{background:#e1f3e6;color:#1e6a34}
.badge.warning,.badge.partially_paid,.badge.draft,.badge.unpaid{background:#fff1dc;color:#8a4b00}
.badge.suspended,.badge.overdue,.badge.reversed,.badge.blocked{background:#fde4e2;color:#9b1c14}
.flash{padding:10px 14px;border-radius:6px;margin:0 0 14px}
.flash.ok{background:#e1f3e6;border:1px solid #b6dfc2}
.flash.error{background:#fde4e2;border:1px solid #f3b9b4}
.note{background:#fff7e6;border:1px solid #f1d9a6;padding:8px 12px;border-radius:6px;margin:8px 0;font-size:13px}
.grid2{display:grid;grid-template-columns:minmax(0,3fr) minmax(300px,2fr);gap:20px;align-items:start}
@media (max-width:1100px){.grid2{grid-template-columns:1fr}}
form.inline{display:inline;margin:0}
form.panel{background:#fff;border:1px solid #dde3ec;border-radius:6px;padding:12px 14px;display:grid;gap:8px}
form.panel label{display:grid;gap:2px;font-size:13px;color:#3b4556}
input,select{font:inherit;padding:5px 8px;border:1px solid #c3cbd8;border-radius:4px;background:#fff;min-width:0}
input:disabled,select:disabled,button:disabled{opacity:.55;cursor:not-allowed}
button.act{background:#1456b8;color:#fff;border:none;border-radius:4px;padding:6px 12px;cursor:pointer;font:inherit}
button.act.small{padding:3px 9px;font-size:13px}
.row{display:flex;gap:8px;align-items:end;flex-wrap:wrap}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;background:#fff;border:1px solid #dde3ec;border-radius:6px;padding:12px 14px}
.kv dt{color:#5b6578}.kv dd{margin:0}
.login{max-width:460px;margin:80px auto;background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:24px 28px}
.login input{width:100%}
.muted{color:#5b6578}
.dl a{margin-right:8px}
.closebox{margin-top:10px}
select.acc{max-width:220px}
`;

/** Asks before irreversible forms (data-confirm) and stops double submits. */
export const JS = `
document.addEventListener('submit', function (e) {
  var f = e.target;
  var q = f.getAttribute('data-confirm');
  if (q && !window.confirm(q)) { e.preventDefault(); return; }
  if (f.dataset.sent) { e.preventDefault(); return; }
  f.dataset.sent = '1';
});
`;
