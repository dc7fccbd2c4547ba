// changesets.js - feed change sets: the list by state, one set's added /
// changed / retracted domains with their provenance (which feeds list
// them, how, with which comments), and the admin sign-off.

import { api, query } from './api.js';
import { el, append, clear, $, fmtTime, tableRows } from './dom.js';

let ctx;
const KINDS = [['add', 'Added'], ['change', 'Changed'], ['retract', 'Retracted']];

async function list() {
	const state = $('#cs-state').value;
	const r = await api('GET', '/v1/changesets' + query({ state }));
	const sets = r.changesets || [];
	tableRows($('#cs-table tbody'), sets.map((c) => {
		const b = el('button', { type: 'button', dataset: { id: c.id } }, 'Review #' + c.id);
		b.addEventListener('click', () => open(c.id).catch(ctx.error));
		return ['#' + c.id, c.state, fmtTime(c.created_at), String(c.nadd),
			String(c.nchange), String(c.nretract), c.revision || '—',
			c.decided_by ? c.decided_by + ', ' + fmtTime(c.decided_at) : '—', b];
	}));
	ctx.status(sets.length + ' change set' + (sets.length === 1 ? '' : 's') +
		(state ? ' ' + state : '') + '.');
	if (!sets.length) clear($('#cs-detail'));
}

// The latest evidence of an item (the provenance), fetching it if the
// change set's item list came without it.
async function evidenceOf(items) {
	const out = new Map();
	const need = items.filter((it) => !(it.evidence && it.evidence.length));
	for (const it of items)
		if (it.evidence && it.evidence.length)
			out.set(it.id, it.evidence[it.evidence.length - 1]);
	for (let i = 0; i < need.length; i += 8) {
		const got = await Promise.all(need.slice(i, i + 8).map((it) =>
			api('GET', '/v1/queue/' + it.id).catch(() => null)));
		for (const d of got)
			if (d && d.evidence && d.evidence.length)
				out.set(d.id, d.evidence[d.evidence.length - 1]);
	}
	return out;
}

function feedsCell(ev) {
	if (!ev || !Array.isArray(ev.feeds)) return '—';
	return el('ul', { class: 'feeds' }, ev.feeds.map((f) => el('li', null,
		el('code', null, f.name), ': ' + (f.severity || '?') +
		(f.effective && f.effective !== f.severity ? ' (effective ' + f.effective + ')' : '') +
		(f.reject_media ? ', reject media' : '') + (f.reject_reports ? ', reject reports' : '') +
		(f.public_comment ? ' "' + f.public_comment + '"' : '') +
		(f.private_comment ? ' [private: "' + f.private_comment + '"]' : ''))));
}

function kindOf(it, ev) {
	if (ev && ev.kind) return ev.kind;
	return it.action === 'unblock' ? 'retract' : 'add';
}

function kindTable(title, rows) {
	const tb = el('tbody');
	tableRows(tb, rows);
	return el('section', { class: 'block' }, el('h4', null, title + ' (' + rows.length + ')'),
		el('div', { class: 'scroll', tabindex: 0, 'aria-label': title },
			el('table', { class: 'table' },
				el('thead', null, el('tr', null, ['Domain', 'Severity', 'Listed by',
					'In force now', 'Item'].map((h) => el('th', { scope: 'col' }, h)))), tb)));
}

async function open(id) {
	const c = await api('GET', '/v1/changesets/' + id);
	const items = c.items || [];
	const evs = await evidenceOf(items);
	const box = clear($('#cs-detail'));
	append(box, [el('h3', { id: 'cs-detail-title' }, 'Change set #' + c.id + ' (' + c.state + ')'),
		el('p', null, c.nadd + ' added, ' + c.nchange + ' changed, ' + c.nretract +
			' retracted; revision ' + (c.revision || '—') + '; created ' + fmtTime(c.created_at) +
			(c.reason ? '; reason: ' + c.reason : '') +
			(c.decided_by ? '; decided by ' + c.decided_by + ' ' + fmtTime(c.decided_at) : ''))]);
	for (const [k, title] of KINDS) {
		const rows = items.filter((it) => kindOf(it, evs.get(it.id)) === k).map((it) => {
			const ev = evs.get(it.id);
			return [(ev && ev.domain) || it.target_id, (ev && ev.severity) || it.action,
				feedsCell(ev), ev && ev.current ? (ev.current.severity || 'blocked') : 'not blocked',
				'#' + it.id + ' ' + it.state];
		});
		if (rows.length) box.append(kindTable(title, rows));
	}
	if (c.state === 'held' && ctx.can('admin')) box.append(signoff(c));
	box.focus();
	ctx.status('Change set #' + c.id + ': ' + items.length + ' item' + (items.length === 1 ? '' : 's') + '.');
}

function signoff(c) {
	const ok = el('button', { type: 'button', id: 'cs-approve' }, 'Approve change set #' + c.id);
	const no = el('button', { type: 'button', id: 'cs-reject' }, 'Reject change set #' + c.id);
	ok.addEventListener('click', () => decide(c, 'approve', {}));
	no.addEventListener('click', async () => {
		const reason = await ctx.askReason('Reject change set', 'Change set #' + c.id);
		if (reason !== null) decide(c, 'reject', { reason });
	});
	return el('div', { class: 'actions', role: 'group', 'aria-label': 'Sign-off' }, ok, no);
}

async function decide(c, op, body) {
	try {
		const r = await api('POST', '/v1/changesets/' + c.id + '/' + op, body);
		await list();
		await open(c.id);
		if (r && r.state === 'held') {
			const left = (r.items || []).filter((it) => it.state === 'pending').length;
			ctx.status('Change set #' + c.id + ' signed off by you; ' + left + ' item' +
				(left === 1 ? '' : 's') + ' need a second admin\'s approval (two-person rule).');
		} else {
			ctx.status('Change set #' + c.id + (op === 'approve' ? ' approved.' : ' rejected.'));
		}
	} catch (e) { ctx.error(e); }
}

export function init(c) {
	ctx = c;
	$('#cs-state').addEventListener('change', () => list().catch(ctx.error));
	$('#cs-filter').addEventListener('submit', (ev) => ev.preventDefault());
}

export async function show() {
	await list();
}
