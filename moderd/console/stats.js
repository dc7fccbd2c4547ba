// stats.js - rules and feeds: decision statistics with precision, and
// the health of each feed (last fetch, error, ETag, entries).

import { api, query } from './api.js';
import { $, el, fillTable, fmtTime, pct } from './dom.js';

let ctx;
const HEAD = ['Name', 'Proposals', 'Approved', 'Rejected', 'Pending', 'Precision'];

function statRows(list) {
	return list.map((x) => [el('code', null, x.name), String(x.proposals),
		String(x.approved), String(x.rejected), String(x.pending), pct(x.precision)]);
}

async function load() {
	const since = $('#s-since').value;
	const [r, f, h] = await Promise.all([
		api('GET', '/v1/stats/rules' + query({ since })),
		api('GET', '/v1/stats/feeds' + query({ since })),
		api('GET', '/v1/feeds')]);
	fillTable($('#rules-table'), 'Rule statistics', HEAD, statRows(r.rules || []));
	fillTable($('#feedstats-table'), 'Feed statistics', HEAD, statRows(f.feeds || []));
	fillTable($('#health-table'), 'Feed health',
		['Feed', 'Format', 'Trust', 'Max severity', 'Last fetch', 'Last success',
			'Error', 'ETag', 'Entries', 'Revision'],
		(h.feeds || []).map((x) => [el('code', null, x.name), x.format || '—',
			String(x.trust ?? '—'), x.max_severity || '—', fmtTime(x.last_attempt_at),
			fmtTime(x.last_success_at),
			x.last_error ? el('span', { class: 'error' }, x.last_error) : 'none',
			x.etag ? el('code', null, x.etag) : '—', String(x.entries ?? '—'),
			x.revision || '—']));
	ctx.status((r.rules || []).length + ' rules, ' + (h.feeds || []).length + ' feeds.');
}

async function sync() {
	try {
		const r = await api('POST', '/v1/feeds/sync', {});
		await load();
		ctx.status('Feeds synced: ' + r.added + ' added, ' + r.changed + ' changed, ' +
			r.retracted + ' retracted' + (r.held ? '; held as change set #' + r.changeset_id +
			' for sign-off' : '') + '.');
	} catch (e) { ctx.error(e); }
}

export function init(c) {
	ctx = c;
	$('#s-since').addEventListener('change', () => load().catch(ctx.error));
	$('#stats-form').addEventListener('submit', (ev) => ev.preventDefault());
	$('#feed-sync').addEventListener('click', sync);
}

export async function show() {
	await load();
}
