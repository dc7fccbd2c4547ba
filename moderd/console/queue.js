// queue.js - the Queue view: filters, counts, the list by priority, bulk
// decisions, and the reading pane of one item (post text with the
// matched excerpts marked, account, report, proposing rules and feeds
// with their precision, comments, history).  Keyboard: j/k/a/r/e/s/x.

import { api, query } from './api.js';
import { el, append, clear, $, $$, fmtTime, age, pct, highlighted } from './dom.js';

const ACTIONS = {
	domain: ['noop', 'silence', 'suspend', 'unblock'],
	other: ['none', 'flag', 'sensitive', 'delete', 'silence', 'suspend'],
};
const STATES = ['pending', 'approved', 'rejected', 'applied', 'failed'];

const st = {
	items: [], cur: -1, selected: new Set(), next: null, detail: null,
	filters: { state: 'pending' }, stats: null, statsAt: 0, seq: 0,
};
let ctx;

// "1 of 2 approvals (by alice)"
export function approvalText(it) {
	const got = (it.approvals || []).length, need = it.approvals_needed || 1;
	let s = got + ' of ' + need + ' approval' + (need === 1 ? '' : 's');
	if (got) s += ' (by ' + it.approvals.map((a) => a.user).join(', ') + ')';
	return s;
}

function target(it) {
	return it.target_type + ' ' + (it.target_acct && it.target_type !== 'domain'
		? it.target_acct + (it.target_type === 'account' ? '' : ' #' + it.target_id)
		: it.target_id);
}

// ---- filters and list -----------------------------------------------------

function readFilters() {
	const f = {};
	for (const n of ['state', 'action', 'group', 'rule', 'feed', 'assignee'])
		f[n] = $('#filters [name="' + n + '"]').value.trim();
	st.filters = f;
}

async function load(append_) {
	const seq = ++st.seq;
	const q = Object.assign({ limit: 50 }, st.filters);
	if (append_) q.cursor = st.next;
	const r = await api('GET', '/v1/queue' + query(q));
	if (seq !== st.seq) return; // a newer load won
	st.items = append_ ? st.items.concat(r.items) : r.items;
	st.next = r.next_cursor;
	if (!append_) {
		st.selected.clear();
		st.cur = st.items.length ? 0 : -1;
	}
	renderCounts(r.counts || {});
	renderList();
	$('#more').hidden = !st.next;
	ctx.status(st.items.length + ' item' + (st.items.length === 1 ? '' : 's') +
		' shown (' + (st.filters.state || 'pending') + ').');
	if (!append_) await openCurrent(false);
}

function renderCounts(counts) {
	const box = clear($('#counts'));
	for (const s of STATES) {
		const b = el('button', { type: 'button', class: 'count',
			'aria-pressed': String(st.filters.state === s), dataset: { state: s } },
			s + ' ', el('strong', null, String(counts[s] ?? 0)));
		b.addEventListener('click', () => {
			$('#f-state').value = s;
			readFilters();
			load(false).catch(ctx.error);
		});
		box.append(b);
	}
}

function renderList() {
	const ol = clear($('#items'));
	if (!st.items.length)
		ol.append(el('li', { class: 'empty' }, 'Nothing here.'));
	st.items.forEach((it, i) => ol.append(row(it, i)));
	updateBulk();
}

function row(it, i) {
	const cb = el('input', { type: 'checkbox', class: 'sel',
		'aria-label': 'Select item ' + it.id });
	cb.checked = st.selected.has(it.id);
	cb.addEventListener('change', () => {
		if (cb.checked) st.selected.add(it.id); else st.selected.delete(it.id);
		updateBulk();
	});
	const open = el('button', { type: 'button', class: 'open',
		'aria-current': i === st.cur ? 'true' : null, dataset: { id: it.id } },
	el('span', { class: 'prio', title: 'priority' }, String(it.priority)),
	el('span', { class: 'act act-' + it.action }, it.action),
	el('span', { class: 'tgt' }, target(it)),
	el('span', { class: 'why' }, (it.rules || []).concat(it.feeds || []).join(', ')),
	it.approvals_needed > 1 || (it.approvals || []).length
		? el('span', { class: 'appr' }, approvalText(it)) : null,
	it.assignee ? el('span', { class: 'asg' }, '→ ' + it.assignee) : null,
	it.state !== 'pending' ? el('span', { class: 'state' }, it.state) : null);
	open.addEventListener('click', () => { st.cur = i; markCurrent(); openCurrent(true); });
	return el('li', { class: i === st.cur ? 'item current' : 'item',
		dataset: { id: it.id } }, cb, open);
}

function markCurrent() {
	$$('#items li.item').forEach((li, i) => {
		li.classList.toggle('current', i === st.cur);
		const b = $('button.open', li);
		if (i === st.cur) b.setAttribute('aria-current', 'true');
		else b.removeAttribute('aria-current');
	});
}

function updateBulk() {
	const n = st.selected.size;
	$('#bulk-count').textContent = n + ' selected';
	$('#bulk-approve').disabled = !n;
	$('#bulk-reject').disabled = !n;
	$('#select-all').checked = n > 0 && n === st.items.length;
}

function move(d) {
	if (!st.items.length) return;
	st.cur = Math.min(st.items.length - 1, Math.max(0, st.cur + d));
	markCurrent();
	const b = $('#items li.current button.open');
	if (b) b.focus();
	openCurrent(false).catch(ctx.error);
}

// ---- the reading pane -------------------------------------------------------

async function stats() {
	if (st.stats && Date.now() - st.statsAt < 60000) return st.stats;
	const [r, f] = await Promise.all([
		api('GET', '/v1/stats/rules').catch(() => ({ rules: [] })),
		api('GET', '/v1/stats/feeds').catch(() => ({ feeds: [] }))]);
	st.stats = { rules: new Map((r.rules || []).map((x) => [x.name, x])),
		feeds: new Map((f.feeds || []).map((x) => [x.name, x])) };
	st.statsAt = Date.now();
	return st.stats;
}

async function openCurrent(focus) {
	const it = st.items[st.cur];
	const pane = $('#pane');
	if (!it) {
		st.detail = null;
		clear(pane).append(el('p', { class: 'hint' }, 'No item selected.'));
		return;
	}
	const seq = st.seq;
	const [d, s] = await Promise.all([api('GET', '/v1/queue/' + it.id), stats()]);
	if (seq !== st.seq || st.items[st.cur] !== it) return;
	st.detail = d;
	renderPane(d, s);
	if (focus) pane.focus();
}

function section(title, ...body) {
	return el('section', { class: 'block' }, el('h3', null, title), ...body);
}

function dl(pairs) {
	return el('dl', { class: 'kv' }, pairs.filter((p) => p[1] !== undefined)
		.map(([k, v]) => [el('dt', null, k), el('dd', null, v ?? '—')]));
}

function latest(d) {
	const ev = d.evidence || [];
	return ev.length ? ev[ev.length - 1] : null;
}

function evText(ev, name) {
	if (!ev) return null;
	if (ev.texts && typeof ev.texts[name] === 'string') return ev.texts[name];
	return typeof ev[name] === 'string' ? ev[name] : null;
}

function renderPane(d, s) {
	const pane = clear($('#pane'));
	const ev = latest(d);
	append(pane, [header(d), buttons(d), post(d, ev), account(d, ev),
		report(d, ev), proposers(d, s), provenance(ev), comments(d), history(d)]);
}

function header(d) {
	return el('header', { class: 'pane-head' },
		el('h2', { id: 'pane-title' }, '#' + d.id + ' ' + d.action + ' ' + target(d)),
		dl([['State', d.state], ['Priority', String(d.priority)],
			['Score', String(d.score)], ['Seen', d.count + '×'],
			['Source', d.source], ['Assignee', d.assignee || 'nobody'],
			['Approvals', el('span', { class: 'approvals' }, approvalText(d))],
			['Decided', d.decided_by ? d.decided_by + ', ' + fmtTime(d.decided_at) : undefined],
			['Reject reason', d.reject_reason || undefined],
			['Dispatch', d.dispatch ? d.dispatch.state + (d.dispatch.error
				? ': ' + d.dispatch.error : '') : undefined]]));
}

function canReject(d) {
	return ctx.can('moderator') || (ctx.can('triage') && (d.action === 'none' || d.action === 'flag'));
}

function buttons(d) {
	const bar = el('div', { class: 'actions', role: 'group', 'aria-label': 'Decide' });
	const pending = d.state === 'pending';
	const add = (label, key, fn) => {
		const b = el('button', { type: 'button', 'aria-keyshortcuts': key },
			label, ' ', el('kbd', { 'aria-hidden': 'true' }, key));
		b.addEventListener('click', fn);
		bar.append(b);
	};
	if (pending && ctx.can('moderator')) add('Approve', 'a', approve);
	if (pending && canReject(d)) add('Reject', 'r', reject);
	if (pending && ctx.can('moderator')) add('Edit', 'e', edit);
	add('Assign to me', 's', assignMe);
	return bar;
}

function post(d, ev) {
	const text = evText(ev, 'text'), spoiler = evText(ev, 'spoiler');
	const hits = ev && ev.hits ? ev.hits : [];
	const needles = hits.map((h) => h.excerpt).concat(d.excerpt ? [d.excerpt] : []);
	const body = [];
	if (spoiler) body.push(el('p', { class: 'spoiler' }, 'CW: ', highlighted(spoiler, needles)));
	body.push(text !== null
		? el('blockquote', { class: 'post', lang: '' }, highlighted(text, needles))
		: el('p', { class: 'hint' }, 'No text in the evidence.'));
	if (hits.length)
		body.push(el('ul', { class: 'hits', 'aria-label': 'Matches' }, hits.map((h) =>
			el('li', null, el('code', null, h.rule), ' (' + h.group + ', ' + h.target + '): ',
				el('mark', null, h.excerpt || '')))));
	if (ev && ev.url) body.push(el('p', { class: 'hint' }, 'URL: ', ev.url));
	return section('Post', ...body);
}

function account(d, ev) {
	const a = ev && ev.account && typeof ev.account === 'object' ? ev.account : {};
	const acct = a.acct || (ev && typeof ev.account === 'string' ? ev.account : d.target_acct) || '';
	const domain = a.domain || (acct.includes('@') ? acct.split('@').pop() : 'local');
	const prev = d.account_history || [];
	return section('Account', dl([
		['Account', acct || d.target_account_id || '—'],
		['Domain', domain],
		['Age', a.created_at ? age(a.created_at) + ' (since ' + fmtTime(a.created_at) + ')' : 'unknown'],
		['Followers', a.followers_count !== undefined ? String(a.followers_count) : 'unknown'],
		['Posts', a.statuses_count !== undefined ? String(a.statuses_count) : undefined]]),
	el('h4', null, 'Previous decisions'),
	prev.length ? el('ul', { class: 'prev' }, prev.map((p) =>
		el('li', null, '#' + p.id + ' ' + p.action + ': ' + p.state +
			(p.decided_at ? ' (' + fmtTime(p.decided_at) + ')' : ''))))
		: el('p', { class: 'hint' }, 'None.'));
}

function report(d, ev) {
	const r = ev && ev.report && typeof ev.report === 'object' ? ev.report : null;
	if (d.target_type !== 'report' && !r && !d.report_category) return null;
	const rep = r || {};
	const reporter = rep.account && typeof rep.account === 'object'
		? rep.account.acct || rep.account.username : rep.reporter || rep.account;
	const rules = rep.rules || rep.rule_ids || [];
	return section('Report', dl([
		['Category', d.report_category || rep.category || '—'],
		['Comment', evText(ev, 'report_comment') || rep.comment || '—'],
		['Reporter', reporter ? String(reporter) : 'unknown'],
		['Rules cited', rules.length ? rules.map((x) =>
			typeof x === 'object' ? x.text || x.id : x).join(', ') : 'none']]));
}

function proposers(d, s) {
	const rows = [];
	for (const r of d.rules || []) rows.push(['rule', r, s.rules.get(r)]);
	for (const f of d.feeds || []) rows.push(['feed', f, s.feeds.get(f)]);
	if (!rows.length) return null;
	return section('Proposed by', el('ul', { class: 'proposers' }, rows.map(([k, n, x]) =>
		el('li', null, k + ' ', el('code', null, n), ': precision ' + pct(x ? x.precision : null) +
			(x ? ' (' + x.approved + ' approved, ' + x.rejected + ' rejected)' : ' (no decisions yet)')))));
}

// A feed item's evidence: which feeds list the domain, how, and what is in force.
export function provenance(ev) {
	if (!ev || !Array.isArray(ev.feeds)) return null;
	return section('Provenance', dl([['Change', ev.kind], ['Domain', ev.domain],
		['Severity', ev.severity], ['Trust', ev.trust !== undefined ? String(ev.trust) : undefined],
		['Currently', ev.current ? (ev.current.severity || JSON.stringify(ev.current)) : 'not blocked']]),
	el('ul', { class: 'feeds' }, ev.feeds.map((f) => el('li', null,
		el('code', null, f.name), ' lists it as ' + (f.severity || '?') +
		(f.effective && f.effective !== f.severity ? ' (effective ' + f.effective + ')' : '') +
		(f.public_comment ? ': "' + f.public_comment + '"' : '') +
		(f.private_comment ? ' [private: "' + f.private_comment + '"]' : '')))));
}

function comments(d) {
	const list = el('ul', { class: 'comments' }, (d.comments || []).map((c) =>
		el('li', null, el('strong', null, c.user), ' ', el('time', null, fmtTime(c.at)), ': ', c.body)));
	const ta = el('textarea', { id: 'comment-text', rows: 2, maxlength: 4096 });
	const form = el('form', { class: 'comment-form' },
		el('label', { for: 'comment-text' }, 'Add a comment'), ta,
		el('button', { type: 'submit' }, 'Comment'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (!ta.value.trim()) return;
		try {
			await api('POST', '/v1/queue/' + d.id + '/comment', { text: ta.value.trim() });
			ctx.status('Comment added to #' + d.id + '.');
			await openCurrent(false);
		} catch (e) { ctx.error(e); }
	});
	return section('Comments', list, form);
}

function history(d) {
	const h = d.history || [];
	if (!h.length) return null;
	return section('History', el('ol', { class: 'history' }, h.map((r) =>
		el('li', null, fmtTime(r.at) + ' ' + (r.actor || 'moderd') + ' ' + r.action +
			(r.reason ? ': ' + r.reason : '')))));
}

// ---- decisions --------------------------------------------------------------

function cur() { return st.detail && st.items[st.cur] && st.detail.id === st.items[st.cur].id ? st.detail : null; }

// The counts by state again, after a decision (the list stays put).
async function refreshCounts() {
	const r = await api('GET', '/v1/queue' + query(Object.assign({}, st.filters, { limit: 1 })));
	renderCounts(r.counts || {});
}

// Replace the item in the list with the API's answer and redraw.
async function updated(it, msg) {
	const i = st.items.findIndex((x) => x.id === it.id);
	if (i >= 0) st.items[i] = it;
	ctx.status(msg);
	renderList();
	await Promise.all([openCurrent(false), refreshCounts()]);
}

async function approve() {
	const d = cur();
	if (!d || !ctx.can('moderator')) return;
	try {
		const it = await api('POST', '/v1/queue/' + d.id + '/approve', {});
		await updated(it, it.state === 'pending'
			? 'Approved #' + d.id + ': ' + approvalText(it) + '; a second moderator must approve.'
			: 'Approved #' + d.id + ' (' + it.state + ').');
	} catch (e) { ctx.error(e); }
}

async function reject() {
	const d = cur();
	if (!d || !canReject(d)) return;
	const reason = await ctx.askReason('Reject', '#' + d.id + ' ' + d.action + ' ' + target(d));
	if (reason === null) return;
	try {
		const it = await api('POST', '/v1/queue/' + d.id + '/reject', { reason });
		await updated(it, 'Rejected #' + d.id + '.');
	} catch (e) { ctx.error(e); }
}

async function assignMe() {
	const d = cur();
	if (!d) return;
	try {
		const it = await api('POST', '/v1/queue/' + d.id + '/assign', { user: ctx.me.user });
		await updated(it, '#' + d.id + ' assigned to you.');
	} catch (e) { ctx.error(e); }
}

function edit() {
	const d = cur();
	if (!d || !ctx.can('moderator') || d.state !== 'pending') return;
	const sel = clear($('#e-action'));
	for (const a of ACTIONS[d.target_type === 'domain' ? 'domain' : 'other'])
		sel.append(el('option', { value: a, selected: a === d.action }, a));
	$('#e-reject-media').checked = !!d.reject_media;
	$('#e-reject-reports').checked = !!d.reject_reports;
	$('#e-obfuscate').checked = !!d.obfuscate;
	$('#e-public').value = d.public_comment || '';
	$('#e-private').value = d.private_comment || '';
	$('#edit-title').textContent = 'Edit #' + d.id;
	ctx.openDialog($('#edit-dialog'));
	sel.focus();
}

async function saveEdit(ev) {
	ev.preventDefault();
	const d = cur();
	$('#edit-dialog').close();
	if (!d) return;
	const body = { action: $('#e-action').value,
		reject_media: $('#e-reject-media').checked,
		reject_reports: $('#e-reject-reports').checked,
		obfuscate: $('#e-obfuscate').checked,
		public_comment: $('#e-public').value || null,
		private_comment: $('#e-private').value || null };
	try {
		const it = await api('POST', '/v1/queue/' + d.id + '/edit', body);
		await updated(it, 'Edited #' + d.id + ': now ' + it.action + '.');
	} catch (e) { ctx.error(e); }
}

async function bulk(op) {
	const ids = Array.from(st.selected);
	if (!ids.length) return;
	const body = { op, ids };
	if (op === 'reject') {
		const reason = await ctx.askReason('Reject ' + ids.length + ' items', 'Items ' + ids.map((i) => '#' + i).join(', '));
		if (reason === null) return;
		body.reason = reason;
	}
	try {
		const r = await api('POST', '/v1/queue/bulk', body);
		const bad = r.results.filter((x) => !x.ok);
		const msg = (r.results.length - bad.length) + ' ' + (op === 'approve' ? 'approved' : 'rejected') +
			(bad.length ? ', ' + bad.length + ' refused: ' + bad.map((x) => '#' + x.id + ' ' + x.message).join('; ') : '') + '.';
		await load(false);
		if (bad.length) ctx.error({ message: msg }); else ctx.status(msg);
	} catch (e) { ctx.error(e); }
}

// ---- the view's interface ------------------------------------------------------

export function init(c) {
	ctx = c;
	const f = $('#filters');
	f.addEventListener('submit', (ev) => { ev.preventDefault(); readFilters(); load(false).catch(ctx.error); });
	f.addEventListener('change', () => { readFilters(); load(false).catch(ctx.error); });
	f.addEventListener('reset', () => setTimeout(() => { readFilters(); load(false).catch(ctx.error); }));
	$('#more').addEventListener('click', () => load(true).catch(ctx.error));
	$('#select-all').addEventListener('change', (ev) => {
		st.selected = new Set(ev.target.checked ? st.items.map((x) => x.id) : []);
		for (const cb of $$('#items input.sel')) cb.checked = ev.target.checked;
		updateBulk();
	});
	$('#bulk-approve').addEventListener('click', () => bulk('approve'));
	$('#bulk-reject').addEventListener('click', () => bulk('reject'));
	$('#edit-form').addEventListener('submit', saveEdit);
	$('#edit-cancel').addEventListener('click', () => $('#edit-dialog').close());
}

export async function show() {
	readFilters();
	await load(false);
}

function toggleSelect() {
	const it = st.items[st.cur];
	if (!it) return;
	if (st.selected.has(it.id)) st.selected.delete(it.id); else st.selected.add(it.id);
	const cb = $('#items li.current input.sel');
	if (cb) cb.checked = st.selected.has(it.id);
	updateBulk();
}

export function key(k) {
	const map = { j: () => move(1), k: () => move(-1), a: approve, r: reject,
		e: edit, s: assignMe, x: toggleSelect };
	if (!map[k]) return false;
	Promise.resolve(map[k]()).catch(ctx.error);
	return true;
}
