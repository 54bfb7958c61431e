"use strict";
/* What the dashboard's pages share. Data from a topic reaches a page as text only, never as markup. */

function fmt(v, digits) { return v == null || !isFinite(v) ? "" : Number(v).toPrecision(digits); }

/** A table cell holding text. */
function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  return td;
}

function header(table, names) {
  table.replaceChildren();
  const row = table.insertRow();
  for (const n of names) { const th = document.createElement("th"); th.textContent = n; row.appendChild(th); }
}

/** Text into td, with its [start, end) characters in a mark element. */
function marked(td, text, highlight) {
  td.className = "context";
  const [s, e] = highlight || [0, 0];
  td.append(document.createTextNode(text.slice(0, s)));
  const mark = document.createElement("mark");
  mark.textContent = text.slice(s, e);
  td.append(mark, document.createTextNode(text.slice(e)));
}
