// audit.js - the audit log: search, the hash chain's verification status,
// and exports (JSON lines, CSV) fetched with the token and saved.

import { api, apiBlob, query } from './api.js';
import { el, clear, $, fmtTime } from './dom.js';

let ctx;
const st = { rows: [], next: null, params: {} };

function params() {
	const p = {};
	for (const n of ['q', 'actor', 'action', 'since', 'until'])
		p[n] = $('#audit-form [name="' + n + '"]').value.trim();
	return p;
}

function render() {
	const tb = clear($('#audit-table tbody'));
	for (const r of st.rows)
		tb.append(el('tr', { dataset: { id: r.id } },
			el('td', null, String(r.id)), el('td', null, fmtTime(r.at)),
			el('td', null, r.actor || 'moderd'), el('td', { class: 'audit-action' }, r.action),
			el('td', null, (r.target_type || '') + ' ' + (r.target_id || '')),
			el('td', null, r.proposal_id ? '#' + r.proposal_id : '—'),
			el('td', null, r.reason || '')));
	if (!st.rows.length)
		tb.append(el('tr', null, el('td', { colspan: 7, class: 'empty' }, 'No rows.')));
	$('#audit-more').hidden = !st.next;
}

async function search(more) {
	if (!more) st.params = params();
	const q = Object.assign({ limit: 100 }, st.params);
	if (more) q.cursor = st.next;
	const r = await api('GET', '/v1/audit' + query(q));
	st.rows = more ? st.rows.concat(r.rows) : r.rows;
	st.next = r.next_cursor;
	render();
	ctx.status(st.rows.length + ' audit row' + (st.rows.length === 1 ? '' : 's') + ' shown.');
}

async function verify() {
	const p = $('#verify');
	p.className = 'verify';
	p.textContent = 'Verifying the audit chain…';
	try {
		const v = await api('GET', '/v1/audit/verify');
		p.classList.add(v.ok ? 'ok' : 'broken');
		p.textContent = v.ok
			? 'Audit chain verified: ' + v.rows + ' rows, every hash matches.'
			: 'Audit chain BROKEN at row ' + v.first_bad_id + ' (' + v.rows + ' rows checked).';
	} catch (e) {
		p.classList.add('broken');
		p.textContent = 'Could not verify the audit chain: ' + e.message;
	}
}

async function exportAs(format) {
	const p = params();
	try {
		const blob = await apiBlob('/v1/audit/export' + query({ format, since: p.since, until: p.until }));
		const a = el('a', { href: URL.createObjectURL(blob),
			download: 'moderd-audit.' + (format === 'csv' ? 'csv' : 'jsonl') });
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(a.href), 10000);
		ctx.status('Exported the audit log as ' + format + ' (' + blob.size + ' bytes).');
	} catch (e) { ctx.error(e); }
}

export function init(c) {
	ctx = c;
	$('#audit-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		search(false).catch(ctx.error);
	});
	$('#audit-more').addEventListener('click', () => search(true).catch(ctx.error));
	$('#export-jsonl').addEventListener('click', () => exportAs('jsonl'));
	$('#export-csv').addEventListener('click', () => exportAs('csv'));
}

export async function show() {
	await Promise.all([verify(), search(false)]);
}
