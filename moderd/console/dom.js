// dom.js - building the page safely.  Everything that came from the API
// (post text above all) goes in as text nodes: no string is ever parsed as
// HTML by the console, and el() refuses event-handler attributes.

// el("a", {href: "#x", class: "c"}, "text", child...) -> Element
export function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (/^on/i.test(k)) throw new Error('el: no event attributes');
		if (k === 'text') e.textContent = String(v);
		else if (k === 'dataset') Object.assign(e.dataset, v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	append(e, children);
	return e;
}

export function append(parent, children) {
	for (const c of children.flat(Infinity)) {
		if (c === undefined || c === null || c === false) continue;
		parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return parent;
}

export function clear(node) {
	node.replaceChildren();
	return node;
}

export function $(sel, root) { return (root || document).querySelector(sel); }
export function $$(sel, root) {
	return Array.from((root || document).querySelectorAll(sel));
}

// Times: "2026-11-22 10:00 UTC"; null -> "—".
export function fmtTime(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	if (isNaN(d)) return String(iso);
	return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

// "3 days", "5 hours" since iso.
export function age(iso, now) {
	const d = new Date(iso);
	if (!iso || isNaN(d)) return 'unknown';
	let s = Math.max(0, ((now || Date.now()) - d.getTime()) / 1000);
	const units = [['year', 31557600], ['day', 86400], ['hour', 3600],
		['minute', 60]];
	for (const [name, n] of units)
		if (s >= n) {
			const v = Math.floor(s / n);
			return v + ' ' + name + (v === 1 ? '' : 's');
		}
	return 'just now';
}

export function pct(p) {
	return p === null || p === undefined ? '—' : Math.round(p * 1000) / 10 + '%';
}

// Ranges [start, end) of every case-insensitive occurrence of each needle
// in text, merged.
export function matchRanges(text, needles) {
	const hay = text.toLowerCase(), out = [];
	for (const n of needles) {
		if (!n) continue;
		const nn = String(n).toLowerCase();
		for (let i = hay.indexOf(nn); i >= 0; i = hay.indexOf(nn, i + nn.length))
			out.push([i, i + nn.length]);
	}
	out.sort((a, b) => a[0] - b[0]);
	const merged = [];
	for (const r of out) {
		const last = merged[merged.length - 1];
		if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
		else merged.push(r.slice());
	}
	return merged;
}

// The text as a fragment of text nodes with the needles in <mark>.
export function highlighted(text, needles) {
	const f = document.createDocumentFragment();
	let at = 0;
	for (const [a, b] of matchRanges(text, needles)) {
		if (a > at) f.append(document.createTextNode(text.slice(at, a)));
		f.append(el('mark', null, text.slice(a, b)));
		at = b;
	}
	if (at < text.length) f.append(document.createTextNode(text.slice(at)));
	return f;
}

// A <table> body from rows of cells (strings or nodes).
export function tableRows(tbody, rows) {
	clear(tbody);
	for (const cells of rows)
		tbody.append(el('tr', null, cells.map((c) => el('td', null, c))));
}

// A whole table: caption, header and rows.
export function fillTable(table, caption, head, rows) {
	clear(table);
	table.append(el('caption', { class: 'visually-hidden' }, caption));
	table.append(el('thead', null, el('tr', null,
		head.map((h) => el('th', { scope: 'col' }, h)))));
	const tb = el('tbody');
	tableRows(tb, rows);
	if (!rows.length)
		tb.append(el('tr', null, el('td', { colspan: head.length,
			class: 'empty' }, 'nothing yet')));
	table.append(tb);
}
