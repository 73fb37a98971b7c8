/*
 * lib.js - what every page of the dashboard shares: elements built from
 * data (never from markup), formatting, the API client, plots, and the
 * page lifetime (timers that end with the page). It defines
 * window.svabench; experiments.js, submit.js and app.js add their pages.
 *
 * Every string that comes from the API or a user reaches the page as a text
 * node (el(), textContent), never as markup; the server's
 * Content-Security-Policy allows no inline script besides.
 */
'use strict';

window.svabench = (function () {
	const API = '/api/v1';
	const POLL_MS = 1000;
	const main = document.getElementById('main');
	const statusLine = document.getElementById('status');

	/* ---- DOM: elements from data, never from markup ---- */

	/*
	 * el('tag.class', {attr: value, onclick: fn}, child...) - children are
	 * nodes, strings (text nodes), arrays of those, or null/false (skipped).
	 */
	function el(spec, attrs, ...children) {
		const [tag, ...classes] = spec.split('.');
		const node = document.createElement(tag);
		if (classes.length)
			node.className = classes.join(' ');
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k.startsWith('on') && typeof v === 'function')
				node.addEventListener(k.slice(2), v);
			else if (k === 'value' || k === 'checked' || k === 'selected')
				node[k] = v;
			else
				node.setAttribute(k, v === true ? '' : String(v));
		}
		append(node, children);
		return node;
	}

	function append(node, children) {
		for (const c of children) {
			if (c === null || c === undefined || c === false)
				continue;
			if (Array.isArray(c))
				append(node, c);
			else if (c instanceof Node)
				node.appendChild(c);
			else
				node.appendChild(document.createTextNode(String(c)));
		}
	}

	function replace(node, ...children) {
		node.replaceChildren();
		append(node, children);
		return node;
	}

	function link(hash, ...children) {
		return el('a', {href: hash}, ...children);
	}

	let flashed = '';

	/* The status line (a live region) for this page. */
	function setStatus(text) {
		statusLine.textContent = text || '';
	}

	/* A status line that survives the next navigation (set just before it). */
	function flash(text) {
		flashed = text;
		setStatus(text);
	}

	/* Called by the router on each new page: the flashed line, once. */
	function takeFlash() {
		const t = flashed;
		flashed = '';
		return t;
	}

	/* ---- formatting ---- */

	function num(v) {
		if (v === null || v === undefined)
			return '–';
		if (typeof v !== 'number')
			return String(v);
		if (Number.isInteger(v) && Math.abs(v) < 1e15)
			return v.toLocaleString('en-US');
		const a = Math.abs(v);
		if (a !== 0 && (a < 1e-3 || a >= 1e12))
			return v.toExponential(3);
		return v.toLocaleString('en-US', {maximumSignificantDigits: 4});
	}

	function ratio(v) {
		return v === null || v === undefined ? '–' : '×' + v.toFixed(3);
	}

	function when(iso) {
		if (!iso)
			return '–';
		const t = el('time', {datetime: iso}, String(iso).replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
		return t;
	}

	/* {"pages": 64, "ats": false} -> "pages=64 ats=false"; {} -> "(no swept params)" */
	function cellText(cell) {
		const keys = Object.keys(cell || {});
		if (!keys.length)
			return '(no swept params)';
		return keys.map((k) => k + '=' + value(cell[k])).join(' ');
	}

	function value(v) {
		if (v === null || v === undefined)
			return '–';
		if (typeof v === 'object')
			return JSON.stringify(v);
		return typeof v === 'number' ? num(v) : String(v);
	}

	function progress(exp) {
		const total = exp.runs_total || 0;
		const ended = (exp.runs_done || 0) + (exp.runs_failed || 0);
		const text = ended + '/' + total + (exp.runs_failed ? ' (' + exp.runs_failed + ' failed)' : '');
		return el('span.progress', {},
			el('span.badge.st-' + safeClass(exp.status), {}, exp.status || '?'), ' ',
			el('progress', {max: total || 1, value: ended, 'aria-label': 'runs ended: ' + text}),
			' ', el('span.runs', {}, text));
	}

	function safeClass(s) {
		return String(s || '').replace(/[^a-z0-9-]/gi, '_');
	}

	function busy(exp) {
		return exp && (exp.status === 'queued' || exp.status === 'running');
	}

	/* A section with a heading; its body filled later. */
	function section(title, id) {
		const body = el('div.section-body', {});
		const s = el('section', {'aria-labelledby': id}, el('h2', {id}, title), body);
		return [s, body];
	}

	function errorBox(err, what) {
		return el('p.error', {role: 'alert'}, (what ? what + ': ' : '') + errText(err));
	}

	function errText(err) {
		if (err && err.status)
			return err.message + ' (HTTP ' + err.status + (err.code ? ' ' + err.code : '') + ')';
		return String(err && err.message ? err.message : err);
	}

	/* A table: head is a list of column titles, rows a list of lists of cells. */
	function table(caption, head, rows, cls) {
		return el('div.table-wrap', {role: 'region', 'aria-label': caption, tabindex: 0},
			el('table' + (cls ? '.' + cls : ''), {},
				el('caption', {}, caption),
				el('thead', {}, el('tr', {}, head.map((h) => el('th', {scope: 'col'}, h)))),
				el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) =>
					el('td', {'data-label': head[i]}, c)))))));
	}

	/* ---- the API ---- */

	class ApiError extends Error {
		constructor(status, code, message, field) {
			super(message);
			this.status = status;
			this.code = code;
			this.field = field;
		}
	}

	async function api(path, opts) {
		let resp;
		try {
			resp = await fetch(API + path, opts);
		} catch (e) {
			throw new ApiError(0, 'network', 'cannot reach svabenchd: ' + e.message, null);
		}
		const type = resp.headers.get('Content-Type') || '';
		let body = null;
		if (type.startsWith('application/json'))
			body = await resp.json().catch(() => null);
		else
			body = await resp.text();
		if (!resp.ok) {
			const e = body && body.error ? body.error : {};
			throw new ApiError(resp.status, e.code || null,
				e.message || (typeof body === 'string' && body) || resp.statusText, e.field || null);
		}
		return body;
	}

	function query(params) {
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(params))
			if (v !== null && v !== undefined && v !== '')
				q.set(k, v);
		const s = q.toString();
		return s ? '?' + s : '';
	}

	/*
	 * The metric vocabulary and the strategies' roles, as describe serves
	 * them (GET /targets: "metrics", "strategies"; lib/vocab.c): which
	 * metrics each view lists, the headline order, the correctness counts,
	 * short names, Fix A / Fix B labels and colours. Loaded once; S.vocab
	 * holds it for the synchronous renderers once a page has awaited it.
	 */
	let vocabCache = null;

	function makeVocab(doc) {
		const metrics = doc.metrics || [], roles = doc.strategies || [];
		const byName = Object.fromEntries(metrics.map((m) => [m.name, m]));
		const role = Object.fromEntries(roles.map((r) => [r.name, r]));
		return {
			metrics, roles,
			view: (v) => metrics.filter((m) => (m.views || []).includes(v)).map((m) => m.name),
			headline: metrics.filter((m) => m.headline).sort((a, b) => a.headline - b.headline).map((m) => m.name),
			correctness: metrics.filter((m) => m.correctness).map((m) => m.name),
			short: (m) => (byName[m] && byName[m].short) || m,
			label: (s) => (role[s] && role[s].label) || null,
			fix: (s) => (role[s] && role[s].fix) || null,
			colour: (s) => (role[s] && role[s].colour) || null,
		};
	}

	function vocabulary() {
		if (!vocabCache)
			vocabCache = api('/targets').then((doc) => (S.vocab = makeVocab(doc))).catch((e) => {
				vocabCache = null;
				throw e;
			});
		return vocabCache;
	}

	let targetCache = null;

	async function target(name) {
		targetCache = targetCache || {};
		if (!targetCache[name])
			targetCache[name] = api('/targets/' + encodeURIComponent(name)).catch((e) => {
				delete targetCache[name];
				throw e;
			});
		return targetCache[name];
	}

	/* ---- plots: an <img>, or the API's reason when it cannot render ---- */

	function plot(url, alt, caption) {
		const fig = el('figure.plot', {});
		const img = el('img', {src: url, alt, decoding: 'async'});
		img.addEventListener('error', async () => {
			let why = 'not available';
			try {
				await api(url.slice(API.length));
			} catch (e) {
				/* the daemon's reason, in words (no status codes for readers) */
				why = e && e.message ? e.message : 'not available';
			}
			img.replaceWith(el('p.plot-error', {}, 'Plot ' + alt + ' unavailable: ' + why));
		});
		append(fig, [el('a', {href: url, target: '_blank', rel: 'noopener'}, img),
			el('figcaption', {}, caption || alt)]);
		return fig;
	}

	/* 0.052 -> '5.2 %' */
	function pct(v) {
		return typeof v === 'number' ? (v * 100).toFixed(1) + ' %' : '–';
	}

	/*
	 * A parameter's allowed values as describe gives them: '10 … 60000000',
	 * '4k | 16k'; fmt formats the numbers (plain by default: a form field
	 * reads commas as a list).
	 */
	function range(p, fmt) {
		const f = fmt || String;
		if (p.choices)
			return p.choices.join(' | ');
		if (p.type === 'bool')
			return 'true | false';
		if (p.min !== undefined || p.max !== undefined)
			return f(p.min) + ' … ' + f(p.max);
		return '';
	}

	/* ---- the page's lifetime: a new page ends the timers of the last ---- */

	let generation = 0;
	let timers = [];

	/* Starts a new page: the old one's timers stop; returns its generation. */
	function nextPage() {
		generation++;
		timers.forEach(clearTimeout);
		timers = [];
		return generation;
	}

	/* Runs fn after ms unless the page changed meanwhile. */
	function later(fn, ms) {
		const g = generation;
		timers.push(setTimeout(() => {
			if (g === generation)
				fn();
		}, ms));
	}

	/* Whether generation g is still the page shown (after an await). */
	function current(g) {
		return g === generation;
	}

	/* The page's heading; focus goes to it after navigation (screen readers). */
	function heading(text, ...extra) {
		const h = el('h1', {tabindex: -1}, text, ...extra);
		main.appendChild(h);
		h.focus({preventScroll: true});
		return h;
	}

	const S = {API, POLL_MS, main, el, append, replace, link, setStatus, flash, takeFlash, num, ratio, pct, when,
		cellText, value, range, progress, safeClass, busy, section, errorBox, errText, table,
		ApiError, api, query, target, vocabulary, plot, later, current, nextPage, heading,
		vocab: null, pages: {}, route: null};
	return S;
}());
