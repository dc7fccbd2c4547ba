// console.mjs - the moderation console in a real browser (Chromium via
// playwright-core) against a real moderd + PostgreSQL started and seeded
// by tests/run_browser.sh, which passes MODERD_URL, the users' tokens
// (TOK_ALICE, TOK_BOB moderators, TOK_CAROL admin, TOK_TOM triage),
// SHOTS (screenshot directory) and FEEDS (1: a local feed is configured).
//
// Each step prints "ok DESC" or "not ok DESC: why"; a failed step is
// recorded and the next one runs.  Exit status 1 on any failure.  No
// JavaScript dialog may ever open (the XSS payloads call alert) and the
// page must never violate its Content-Security-Policy.

import { chromium } from 'playwright-core';

const URL = process.env.MODERD_URL;
const T = { alice: process.env.TOK_ALICE, bob: process.env.TOK_BOB,
	carol: process.env.TOK_CAROL, dave: process.env.TOK_DAVE, tom: process.env.TOK_TOM };
const SHOTS = process.env.SHOTS;
let failed = 0;
const dialogs = [], cspErrors = [], pageErrors = [];

function ok(cond, desc) {
	if (cond) console.log('ok ' + desc);
	else { failed++; console.log('not ok ' + desc); }
	return cond;
}

async function step(name, page, fn) {
	try {
		await fn();
	} catch (e) {
		failed++;
		console.log('not ok ' + name + ': ' + (e && e.stack || e));
		if (page) await page.screenshot({ path: SHOTS + '/FAILED-' + name.replace(/\W+/g, '-') + '.png' }).catch(() => {});
	}
}

async function apiGet(tok, path) {
	const r = await fetch(URL + path, { headers: { Authorization: 'Bearer ' + tok } });
	return r.json();
}

function watch(page) {
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
	});
	page.on('pageerror', (e) => pageErrors.push(String(e)));
}

async function waitText(page, sel, text, timeout = 10000) {
	await page.waitForFunction(([s, t]) => {
		const e = document.querySelector(s);
		return e && e.textContent.includes(t);
	}, [sel, text], { timeout });
}

async function signIn(page, tok, user) {
	await page.goto(URL + '/');
	await page.waitForSelector('#token', { state: 'visible' });
	await page.fill('#token', tok);
	await page.click('#signin-form button[type=submit]');
	await waitText(page, '#who-name', user);
}

async function signOut(page) {
	await page.click('#signout');
	await page.waitForSelector('#token', { state: 'visible' });
}

// Wait until the queue list is drawn and the reading pane shows an item.
async function queueReady(page) {
	await page.waitForSelector('#items li.item');
	await page.waitForSelector('#pane-title');
}

async function currentId(page) {
	return Number(await page.getAttribute('#items li.current', 'data-id'));
}

async function paneFor(page, id) {
	await waitText(page, '#pane-title', '#' + id + ' ');
}

async function openItem(page, id) {
	await page.click('#items button.open[data-id="' + id + '"]');
	await paneFor(page, id);
}

// Move the focus off inputs so the page's keys work.
async function keys(page, k) {
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	await page.keyboard.press(k);
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update'],
});
const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const page = await desk.newPage();
page.setDefaultTimeout(10000);
watch(page);
const ids = {};

await step('headers', page, async () => {
	const res = await page.goto(URL + '/');
	const h = res.headers();
	ok(res.status() === 200, 'GET / answers 200');
	ok(/^text\/html/.test(h['content-type']), 'GET / is text/html');
	const csp = h['content-security-policy'] || '';
	for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'",
		"img-src 'self'", "connect-src 'self'", "base-uri 'none'", "form-action 'none'",
		"frame-ancestors 'none'"])
		ok(csp.includes(d), 'CSP has ' + d);
	ok(h['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options nosniff');
	const js = await page.request.get(URL + '/console/app.js');
	ok(js.status() === 200 && /^text\/javascript/.test(js.headers()['content-type']), '/console/app.js is text/javascript');
	const css = await page.request.get(URL + '/console/style.css');
	ok(/^text\/css/.test(css.headers()['content-type']), '/console/style.css is text/css');
	const none = await page.request.get(URL + '/console/nope.js');
	ok(none.status() === 404, 'an unknown console file is 404');
});

await step('sign in', page, async () => {
	await page.goto(URL + '/');
	await page.screenshot({ path: SHOTS + '/signin-1280.png' });
	await page.fill('#token', '0'.repeat(64));
	await page.click('#signin-form button[type=submit]');
	await waitText(page, '#alert', 'not accepted');
	ok(true, 'a wrong token is refused with a message');
	ok(await page.evaluate(() => sessionStorage.getItem('moderd.token')) === null, 'a refused token is not kept');
	await signIn(page, T.alice, 'alice');
	ok((await page.textContent('#who-name')).includes('moderator'), 'alice signs in as moderator');
	ok(await page.evaluate(() => sessionStorage.getItem('moderd.token')) === T.alice, 'the token is in sessionStorage');
	await queueReady(page);
	ok(await page.isVisible('#bulk-approve'), 'a moderator sees bulk approve');
	const n = await page.locator('#items li.item').count();
	ok(n >= 18, 'the seeded queue is listed (' + n + ' items)');
	await waitText(page, '#counts', 'pending');
	ok((await page.textContent('#counts [data-state="pending"]')).includes(String(n)), 'the pending count matches the list');
	const prios = await page.$$eval('#items .prio', (e) => e.map((x) => Number(x.textContent)));
	ok(prios.every((p, i) => i === 0 || prios[i - 1] >= p), 'items are ordered by priority');
	await page.screenshot({ path: SHOTS + '/queue-1280.png', fullPage: false });
});

await step('filter', page, async () => {
	await page.selectOption('#f-action', 'silence');
	await page.waitForFunction(() => {
		const a = [...document.querySelectorAll('#items .act')];
		return a.length > 0 && a.every((x) => x.textContent === 'silence');
	});
	ok(true, 'filtering by action shows only silence items');
	await page.selectOption('#f-action', '');
	await page.fill('#f-rule', 'CASINO_HASHTAG');
	await page.press('#f-rule', 'Enter');
	await page.waitForFunction(() => {
		const a = [...document.querySelectorAll('#items .why')];
		return a.length > 0 && a.every((x) => x.textContent.includes('CASINO_HASHTAG'));
	});
	ok(true, 'filtering by rule shows only its items');
	await page.click('#filters button[type=reset]');
	await page.waitForFunction(() => document.querySelectorAll('#items li.item').length >= 18);
	ok(true, 'clearing the filters shows the whole queue');
});

await step('keyboard approve', page, async () => {
	await queueReady(page);
	await keys(page, 'j');
	await page.waitForFunction(() => document.querySelectorAll('#items li.item')[1].classList.contains('current'));
	await keys(page, 'k');
	await page.waitForFunction(() => document.querySelectorAll('#items li.item')[0].classList.contains('current'));
	ok(true, 'j and k move through the list');
	const id = ids.approved = await currentId(page);
	await paneFor(page, id);
	const before = Number(await page.textContent('#counts [data-state="pending"] strong'));
	await keys(page, 'a');
	await waitText(page, '#status', 'Approved #' + id);
	await waitText(page, '#counts [data-state="pending"] strong', String(before - 1));
	ok(true, 'the pending count drops to ' + (before - 1));
	const it = await apiGet(T.alice, '/v1/queue/' + id);
	ok(['approved', 'applied'].includes(it.state), 'a approves #' + id + ' (state ' + it.state + ')');
});

await step('keyboard reject', page, async () => {
	await keys(page, 'j');
	const id = ids.rejected = await currentId(page);
	await paneFor(page, id);
	await keys(page, 'r');
	await page.waitForSelector('#reason-dialog[open]');
	ok(await page.evaluate(() => document.activeElement.id === 'reason'), 'the reason dialog has the focus');
	await page.click('#reason-ok');
	await waitText(page, '#reason-error', 'required');
	ok(true, 'an empty reason is refused');
	await page.fill('#reason', 'not spam: a browser test');
	await page.click('#reason-ok');
	await waitText(page, '#status', 'Rejected #' + id);
	const it = await apiGet(T.alice, '/v1/queue/' + id);
	ok(it.state === 'rejected' && it.reject_reason === 'not spam: a browser test', 'r rejects #' + id + ' with the reason');
});

await step('assign', page, async () => {
	await keys(page, 'j');
	const id = await currentId(page);
	await paneFor(page, id);
	await keys(page, 's');
	await waitText(page, '#status', 'assigned to you');
	const it = await apiGet(T.alice, '/v1/queue/' + id);
	ok(it.assignee === 'alice', 's assigns #' + id + ' to alice');
});

await step('two-person approval', page, async () => {
	const id = ids.two = Number(await page.$eval('#items li.item', () => {
		const b = [...document.querySelectorAll('#items button.open')]
			.find((x) => x.querySelector('.tgt').textContent.startsWith('account ')
				&& x.querySelector('.act').textContent !== 'suspend'
				&& !x.querySelector('.state'));
		return b.dataset.id;
	}));
	await openItem(page, id);
	await keys(page, 'e');
	await page.waitForSelector('#edit-dialog[open]');
	await page.selectOption('#e-action', 'suspend');
	await page.click('#edit-form button[type=submit]');
	await waitText(page, '#status', 'Edited #' + id);
	await waitText(page, '#pane .approvals', '0 of 2 approvals');
	ok(true, 'e edits #' + id + ' to suspend: two approvals needed');
	await keys(page, 'a');
	await waitText(page, '#pane .approvals', '1 of 2 approvals (by alice)');
	ok(true, 'the first approval shows "1 of 2 approvals (by alice)"');
	ok((await page.textContent('#items button.open[data-id="' + id + '"]')).includes('1 of 2 approvals (by alice)'), 'the list shows it too');
	await page.screenshot({ path: SHOTS + '/two-person-1280.png' });
	await keys(page, 'a');
	await waitText(page, '#alert', 'conflict');
	ok(/alice/.test(await page.textContent('#alert')), 'a second approval by alice is refused (409 shown)');
	let it = await apiGet(T.alice, '/v1/queue/' + id);
	ok(it.state === 'pending' && it.approvals.length === 1, 'the item is still pending with one approval');
	await signOut(page);
	ok(await page.evaluate(() => sessionStorage.getItem('moderd.token')) === null, 'sign-out clears the token');
	await signIn(page, T.bob, 'bob');
	await queueReady(page);
	await openItem(page, id);
	ok((await page.textContent('#pane .approvals')).includes('1 of 2 approvals (by alice)'), 'bob sees alice\'s approval');
	await keys(page, 'a');
	await waitText(page, '#status', 'Approved #' + id);
	it = await apiGet(T.bob, '/v1/queue/' + id);
	ok(['approved', 'applied'].includes(it.state) && it.approvals.length === 2, 'bob\'s approval completes #' + id);
});

await step('bulk reject', page, async () => {
	const boxes = page.locator('#items li.item:not(.current) input.sel');
	const pick = [];
	for (let i = 0; i < await boxes.count() && pick.length < 2; i++) {
		const li = boxes.nth(i).locator('xpath=..');
		const txt = await li.textContent();
		if (/xss_/.test(txt) || /approved|rejected/.test(txt)) continue;
		await boxes.nth(i).check();
		pick.push(Number(await li.getAttribute('data-id')));
	}
	await waitText(page, '#bulk-count', '2 selected');
	await page.click('#bulk-reject');
	await page.waitForSelector('#reason-dialog[open]');
	await page.fill('#reason', 'bulk: duplicates');
	await page.click('#reason-ok');
	await waitText(page, '#status', '2 rejected');
	for (const id of pick) {
		const it = await apiGet(T.bob, '/v1/queue/' + id);
		ok(it.state === 'rejected' && it.reject_reason === 'bulk: duplicates', 'bulk reject of #' + id);
	}
	ids.bulk = pick;
});

await step('xss', page, async () => {
	await page.fill('#f-rule', '');
	await page.selectOption('#f-state', 'pending');
	const cases = [['xss_img', '<img src=x onerror=alert(1)>'],
		['xss_script', '<script>alert(2)</script>'], ['xss_raw', null]];
	for (const [acct, text] of cases) {
		const id = await page.$eval('#items', (ol, a) => {
			const b = [...ol.querySelectorAll('button.open')].find((x) => x.textContent.includes(a));
			return b ? Number(b.dataset.id) : 0;
		}, acct);
		ok(id > 0, acct + ' is in the queue');
		if (!id) continue;
		await openItem(page, id);
		await page.waitForSelector('#pane .post');
		const post = await page.textContent('#pane .post');
		if (text) ok(post.includes(text), acct + ': the payload shows as text: ' + JSON.stringify(post.slice(0, 80)));
		ok(await page.locator('img').count() === 0, acct + ': no img element exists');
		ok(await page.locator('#pane script, #items script').count() === 0, acct + ': no script element in the page content');
		ok(await page.locator('#pane mark').count() > 0, acct + ': the matched excerpts are highlighted');
		if (acct === 'xss_img')
			await page.screenshot({ path: SHOTS + '/xss-1280.png' });
	}
	await page.waitForTimeout(500);
	ok(dialogs.length === 0, 'no JavaScript dialog fired (' + dialogs.join(', ') + ')');
});

await step('triage role', page, async () => {
	await signOut(page);
	await signIn(page, T.tom, 'tom');
	await queueReady(page);
	ok(!(await page.isVisible('#bulk-approve')), 'triage has no bulk approve');
	const labels = await page.$$eval('#pane .actions button', (b) => b.map((x) => x.textContent));
	ok(!labels.some((l) => l.startsWith('Approve')), 'triage has no approve button (' + labels.join('|') + ')');
	ok(!labels.some((l) => l.startsWith('Edit')), 'triage has no edit button');
	await signOut(page);
});

await step('change sets', page, async () => {
	if (process.env.FEEDS !== '1') {
		ok(false, 'feeds are configurable (FEEDS=1): the daemon refused the feed block');
		return;
	}
	await signIn(page, T.carol, 'carol');
	await page.goto(URL + '/#stats');
	await page.waitForSelector('#feed-sync', { state: 'visible' });
	await page.click('#feed-sync');
	await waitText(page, '#status', 'Feeds synced', 20000);
	ok((await page.textContent('#status')).includes('held as change set'), 'the sync is held as a change set: ' + await page.textContent('#status'));
	await waitText(page, '#health-table', 'localfeed');
	ok(true, 'feed health lists localfeed');
	await page.screenshot({ path: SHOTS + '/rules-feeds-1280.png', fullPage: true });
	await page.goto(URL + '/#changesets');
	await page.waitForSelector('#cs-table tbody button');
	await page.click('#cs-table tbody button');
	await waitText(page, '#cs-detail', 'spam-farm.example');
	const d = await page.textContent('#cs-detail');
	ok(d.includes('Added') && d.includes('harass.example') && d.includes('scrapers.example'), 'the change set lists the added domains');
	ok(d.includes('localfeed'), 'with their provenance (the feed)');
	ok(d.includes('crypto spam farm'), 'and the feed\'s comment');
	await page.screenshot({ path: SHOTS + '/changeset-1280.png', fullPage: true });
	// Two suspends need a second signer (the two-person rule).
	await page.click('#cs-approve');
	await waitText(page, '#status', 'second admin');
	ok(true, 'carol\'s sign-off leaves the suspends waiting for a second admin');
	await page.click('#cs-approve');
	await waitText(page, '#alert', 'already signed off');
	ok(true, 'carol cannot sign off twice');
	await signOut(page);
	await signIn(page, T.dave, 'dave');
	await page.goto(URL + '/#changesets');
	await page.waitForSelector('#cs-table tbody button');
	await page.click('#cs-table tbody button');
	await waitText(page, '#cs-detail', 'spam-farm.example');
	await page.click('#cs-approve');
	await waitText(page, '#status', 'approved.');
	const sets = await apiGet(T.dave, '/v1/changesets?state=approved');
	ok((sets.changesets || []).length >= 1, 'dave\'s sign-off approves the change set');
});

await step('audit', page, async () => {
	if (!(await page.isVisible('#who-name'))) await signIn(page, T.carol, 'carol');
	else if (!(await page.textContent('#who-name')).includes('carol')) { await signOut(page); await signIn(page, T.carol, 'carol'); }
	await page.goto(URL + '/#audit');
	await waitText(page, '#verify', 'verified');
	ok(true, 'the audit chain shows as verified');
	await page.waitForSelector('#audit-table tbody tr[data-id]');
	const rows = await page.$$eval('#audit-table tbody tr[data-id]', (t) => t.map((r) =>
		[...r.cells].map((c) => c.textContent)));
	const has = (actor, action, item) => rows.some((r) => r[2] === actor && r[3].includes(action) &&
		(item === undefined || r[5] === '#' + item));
	ok(has('alice', 'approve', ids.approved), 'audit: alice approved #' + ids.approved);
	ok(has('alice', 'reject', ids.rejected), 'audit: alice rejected #' + ids.rejected);
	ok(rows.some((r) => r[6].includes('not spam: a browser test')), 'audit: the reject reason');
	ok(has('alice', 'edit', ids.two), 'audit: alice edited #' + ids.two);
	ok(has('alice', 'approve', ids.two) && has('bob', 'approve', ids.two), 'audit: both approvals of #' + ids.two);
	for (const id of ids.bulk || []) ok(has('bob', 'reject', id), 'audit: bob bulk-rejected #' + id);
	if (failed) console.log('audit rows: ' + JSON.stringify(rows.slice(0, 15)));
	if (process.env.FEEDS === '1') ok(rows.some((r) => r[2] === 'carol'), 'audit: carol\'s sign-off');
	await page.screenshot({ path: SHOTS + '/audit-1280.png' });
	await page.fill('#a-q', 'not spam');
	await page.click('#audit-form button[type=submit]');
	await page.waitForFunction(() => {
		const r = document.querySelectorAll('#audit-table tbody tr[data-id]');
		return r.length >= 1 && [...r].every((x) => x.textContent.includes('not spam'));
	});
	ok(true, 'audit search narrows to the matching rows');
	const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
	const p = await dl.path();
	const fs = await import('node:fs');
	ok(fs.readFileSync(p, 'utf8').startsWith('id,at,actor,action'), 'the CSV export downloads with its header');
});

await step('help and focus', page, async () => {
	await page.goto(URL + '/#queue');
	await queueReady(page);
	// Where the focus was when ? was pressed: the queue may still move it
	// (to the pane) between keys()'s blur and the key press.
	await page.evaluate(() => document.addEventListener('keydown', (e) => {
		if (e.key === '?') window.helpFrom = document.activeElement;
	}, { capture: true, once: true }));
	await keys(page, '?');
	await page.waitForSelector('#help-dialog[open]');
	ok(true, '? opens the keyboard help');
	await page.keyboard.press('Escape');
	await page.waitForSelector('#help-dialog:not([open])', { state: 'hidden' });
	// The dialog's close event, which moves the focus, comes after it hides.
	ok(await page.waitForFunction(() => document.activeElement === window.helpFrom, null, { timeout: 2000 }).then(() => true, () => false), 'closing the help returns the focus');
});

const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
const mp = await phone.newPage();
mp.setDefaultTimeout(10000);
watch(mp);
await step('390 px', mp, async () => {
	await signIn(mp, T.alice, 'alice');
	await queueReady(mp);
	const wide = async () => mp.evaluate(() => {
		const w = document.documentElement.scrollWidth;
		if (w > 391) // say what sticks out
			console.log('too wide: ' + [...document.querySelectorAll('body *')]
				.filter((e) => e.getBoundingClientRect().right > 391)
				.slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id).join(' '));
		return w;
	});
	mp.on('console', (m) => { if (m.text().startsWith('too wide')) console.log(m.text()); });
	ok(await wide() <= 391, 'the queue fits 390 px (' + await wide() + ')');
	await mp.screenshot({ path: SHOTS + '/queue-390.png', fullPage: true });
	await mp.click('#items li.item:nth-child(2) button.open');
	await mp.waitForFunction(() => document.querySelector('#items li.item:nth-child(2)').classList.contains('current'));
	await mp.locator('#pane').screenshot({ path: SHOTS + '/pane-390.png' });
	for (const v of ['changesets', 'audit', 'stats']) {
		await mp.goto(URL + '/#' + v);
		await mp.waitForTimeout(800);
		ok(await wide() <= 391, v + ' fits 390 px (' + await wide() + ')');
		await mp.screenshot({ path: SHOTS + '/' + v + '-390.png', fullPage: true });
	}
});

ok(dialogs.length === 0, 'no JavaScript dialog fired at all');
ok(cspErrors.length === 0, 'no Content-Security-Policy violation' + (cspErrors.length ? ': ' + cspErrors[0] : ''));
ok(pageErrors.length === 0, 'no uncaught page error' + (pageErrors.length ? ': ' + pageErrors[0] : ''));
await browser.close();
console.log(failed ? failed + ' failed' : 'all passed');
process.exit(failed ? 1 : 0);
