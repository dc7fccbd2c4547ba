// api.js - the console's only way to the daemon: the public /v1 API
// (doc/api.md) with the token kept in sessionStorage (this tab only).

const KEY = 'moderd.token';

export const session = {
	token() { return sessionStorage.getItem(KEY); },
	set(token) { sessionStorage.setItem(KEY, token); },
	clear() { sessionStorage.removeItem(KEY); },
};

// An API error: status, code ("conflict") and the server's message.
export class ApiError extends Error {
	constructor(status, code, message) {
		super(message || code || ('HTTP ' + status));
		this.status = status;
		this.code = code || 'http_' + status;
	}
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// A query string from an object; empty values are left out.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {}))
		if (v !== undefined && v !== null && v !== '')
			q.set(k, String(v));
	const s = q.toString();
	return s ? '?' + s : '';
}

async function send(method, path, body, tokenOverride) {
	const headers = { Accept: 'application/json' };
	const token = tokenOverride || session.token();
	if (token) headers.Authorization = 'Bearer ' + token;
	const init = { method, headers, credentials: 'omit', cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'network', 'moderd is unreachable');
	}
	return res;
}

async function fail(res) {
	let code = null, message = null;
	try {
		const j = await res.json();
		code = j.error; message = j.message;
	} catch (e) { /* not JSON */ }
	if (res.status === 401 && !res.url.endsWith('/v1/me'))
		onUnauthorized();
	return new ApiError(res.status, code, message);
}

// api(method, path[, body]) -> the parsed JSON answer, or throws ApiError.
export async function api(method, path, body, tokenOverride) {
	const res = await send(method, path, body, tokenOverride);
	if (!res.ok) throw await fail(res);
	return res.json();
}

// apiBlob: a non-JSON answer (exports) as a Blob.
export async function apiBlob(path) {
	const res = await send('GET', path);
	if (!res.ok) throw await fail(res);
	return res.blob();
}

export const ROLES = ['triage', 'moderator', 'admin'];
// roleAtLeast("moderator", "triage") -> true
export function roleAtLeast(role, min) {
	return ROLES.indexOf(role) >= ROLES.indexOf(min);
}
