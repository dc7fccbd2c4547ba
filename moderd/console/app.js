// app.js - the console's shell: sign-in, the signed-in user and role,
// views by URL fragment (#queue, #changesets, #audit, #stats), the status
// line, dialogs and the keyboard.  Views live in their own modules and
// get a shared context (ctx) with the user and these helpers.

import { api, session, setUnauthorizedHandler, roleAtLeast } from './api.js';
import { $, $$ } from './dom.js';
import * as queue from './queue.js';
import * as changesets from './changesets.js';
import * as audit from './audit.js';
import * as stats from './stats.js';

const views = { queue, changesets, audit, stats };

const ctx = {
	me: null, // {user, role}
	can(min) { return ctx.me !== null && roleAtLeast(ctx.me.role, min); },
	status(msg) {
		$('#status').textContent = msg;
		hideAlert();
	},
	error(e) {
		const msg = e && e.message ? e.message : String(e);
		const a = $('#alert');
		a.textContent = (e && e.status ? e.status + ' ' + e.code + ': ' : '') + msg;
		a.hidden = false;
		$('#status').textContent = '';
	},
	askReason,
	openDialog,
};

function hideAlert() {
	const a = $('#alert');
	a.hidden = true;
	a.textContent = '';
}

// ---- dialogs ------------------------------------------------------------

function openDialog(d) {
	const back = document.activeElement;
	d.addEventListener('close', () => {
		// Back where it was; if that was nowhere (the body) or is gone,
		// at least out of the closed dialog.
		if (back && back !== document.body && back.isConnected) back.focus();
		else if (d.contains(document.activeElement)) document.activeElement.blur();
	}, { once: true });
	d.showModal();
}

// askReason(title, what) -> Promise of the reason, or null if cancelled.
function askReason(title, what) {
	const d = $('#reason-dialog'), form = $('#reason-form');
	const ta = $('#reason'), err = $('#reason-error');
	$('#reason-title').textContent = title;
	$('#reason-ok').textContent = title;
	$('#reason-what').textContent = what || '';
	ta.value = '';
	err.textContent = '';
	return new Promise((resolve) => {
		let result = null;
		const submit = (ev) => {
			ev.preventDefault();
			if (!ta.value.trim()) {
				err.textContent = 'A reason is required.';
				ta.focus();
				return;
			}
			result = ta.value.trim();
			d.close();
		};
		const cancel = () => d.close();
		form.addEventListener('submit', submit);
		$('#reason-cancel').addEventListener('click', cancel);
		d.addEventListener('close', () => {
			form.removeEventListener('submit', submit);
			$('#reason-cancel').removeEventListener('click', cancel);
			resolve(result);
		}, { once: true });
		openDialog(d);
		ta.focus();
	});
}

// ---- sign-in -------------------------------------------------------------

function showSignin(message) {
	ctx.me = null;
	$('#signin').hidden = false;
	$('#nav').hidden = true;
	$('#who').hidden = true;
	for (const v of $$('.view')) v.hidden = true;
	if (message) ctx.error({ message });
	$('#token').focus();
}

function signOut(message) {
	session.clear();
	$('#token').value = '';
	showSignin(message);
	if (!message) ctx.status('Signed out.');
}

async function signIn(token) {
	try {
		ctx.me = await api('GET', '/v1/me', undefined, token);
	} catch (e) {
		if (e.status === 401) {
			session.clear();
			showSignin('That token was not accepted.');
			return;
		}
		ctx.error(e);
		return;
	}
	session.set(token);
	$('#signin').hidden = true;
	$('#nav').hidden = false;
	$('#who').hidden = false;
	$('#who-name').textContent = ctx.me.user + ' (' + ctx.me.role + ')';
	document.body.dataset.role = ctx.me.role;
	for (const b of $$('[data-min-role]'))
		b.hidden = !ctx.can(b.dataset.minRole);
	ctx.status('Signed in as ' + ctx.me.user + ', ' + ctx.me.role + '.');
	route();
}

// ---- views -----------------------------------------------------------------

let current = null;

function route() {
	if (!ctx.me) return;
	const name = (location.hash || '#queue').slice(1);
	const v = views[name] ? name : 'queue';
	for (const [n] of Object.entries(views))
		$('#view-' + n).hidden = n !== v;
	for (const a of $$('#nav a'))
		if (a.dataset.view === v) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	current = views[v];
	document.title = 'moderd: ' + $('#nav a[data-view="' + v + '"]').textContent;
	current.show(ctx).catch(ctx.error);
}

// ---- keyboard --------------------------------------------------------------

function typing(t) {
	return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
}

function onKey(ev) {
	if (!ctx.me || ev.ctrlKey || ev.metaKey || ev.altKey) return;
	if (typing(ev.target) || document.querySelector('dialog[open]')) return;
	if (ev.key === '?') {
		ev.preventDefault();
		openDialog($('#help-dialog'));
		return;
	}
	if (current && current.key && current.key(ev.key, ctx))
		ev.preventDefault();
}

function init() {
	for (const v of Object.values(views))
		if (v.init) v.init(ctx);
	setUnauthorizedHandler(() => signOut('Your session ended: sign in again.'));
	$('#signin-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		const t = $('#token').value.trim();
		if (!/^[0-9a-fA-F]{64}$/.test(t)) {
			ctx.error({ message: 'A token is 64 hexadecimal characters.' });
			return;
		}
		signIn(t.toLowerCase());
	});
	$('#signout').addEventListener('click', () => signOut());
	$('#help-button').addEventListener('click', () => openDialog($('#help-dialog')));
	$('#help-close').addEventListener('click', () => $('#help-dialog').close());
	window.addEventListener('hashchange', route);
	document.addEventListener('keydown', onKey);
	const t = session.token();
	if (t) signIn(t);
	else showSignin();
}

init();
