/*
 * app.js - svabench's dashboard: a hash router over svabenchd's JSON API
 * (/api/v1, ../shared/design/api.md), no framework, no build step. lib.js,
 * experiments.js and submit.js load first.
 *
 *   #/                       experiments, filters, progress (#/?label=&workload=&status=&cursor=)
 *   #/experiments/ID         one experiment: comparison, plots, report, runs, examples
 *   #/runs/ID                one run: its time series and final metrics
 *   #/history                a metric across labels, change points, alerts (#/history?workload=&metric=&strategy=)
 *   #/targets                each target's parameters, and the collectors
 *   #/submit                 a new experiment, the form built from the target's describe
 */
'use strict';

(function (S) {
	const {API, main, el, append, replace, link, setStatus, takeFlash, num, pct, when, cellText, value, range,
		safeClass, section, errorBox, table, api, query, target, plot, current, nextPage, heading} = S;
	/* metrics offered on the history page (api.md's vocabulary) */
	const HISTORY_METRICS = ['cpu.invalidation_ns', 'dma.latency_ns.p50', 'dma.latency_ns.p99',
		'dma.latency_ns.max', 'dma.throughput_bps', 'dma.transactions', 'dma.livelocked',
		'fault.permission', 'fault.refaults', 'fault.spurious', 'cmd.tlbi_nh_va',
		'cmd.atc_inv', 'cmd.sync', 'cmdq.sync_wait_ns', 'cmdq.busy_fraction',
		'notifier.calls', 'oracle.coherence_violations'];
	const ALERTS_LIMIT = 50;

	/* ---- history and alerts ---- */

	async function pageHistory(g, params) {
		document.title = 'History - svabench';
		heading('History');
		const q = {workload: params.get('workload') || '', metric: params.get('metric') || '',
			strategy: params.get('strategy') || ''};
		const wSel = el('select', {id: 'h-workload', name: 'workload', required: true});
		const sSel = el('select', {id: 'h-strategy', name: 'strategy', required: true});
		const mIn = el('input', {id: 'h-metric', name: 'metric', list: 'h-metrics', required: true,
			value: q.metric || 'cpu.invalidation_ns', autocomplete: 'off', spellcheck: 'false'});
		const form = el('form.filters', {'aria-label': 'Series'},
			el('div.field', {}, el('label', {for: 'h-workload'}, 'Workload'), wSel),
			el('div.field', {}, el('label', {for: 'h-metric'}, 'Metric'), mIn,
				el('datalist', {id: 'h-metrics'}, HISTORY_METRICS.map((m) => el('option', {value: m})))),
			el('div.field', {}, el('label', {for: 'h-strategy'}, 'Strategy'), sSel),
			el('div.field.actions', {}, el('button', {type: 'submit'}, 'Show')));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			location.hash = '#/history' + query({workload: wSel.value, metric: mIn.value.trim(),
				strategy: sSel.value});
		});
		const [serSec, serBody] = section('Series', 'sec-series');
		const [alSec, alBody] = section('Alerts', 'sec-alerts');
		append(main, [el('p.hint', {}, 'A metric of one strategy on one workload across experiments, ' +
			'ordered by label then time; change points are marked and raise alerts.'), form, serSec, alSec]);

		try {
			const t = await target('sim');
			if (!current(g))
				return;
			append(wSel, (t.workloads || []).map((w) => el('option', {value: w.name,
				selected: w.name === q.workload}, w.name)));
			append(sSel, (t.strategies || []).map((s) => el('option', {value: s.name,
				selected: s.name === (q.strategy || 'notifier')}, s.name)));
		} catch (e) {
			serBody.appendChild(errorBox(e, 'Cannot describe the target'));
		}

		loadAlerts(g, alBody);
		if (!q.workload || !q.metric || !q.strategy) {
			append(serBody, [el('p.empty', {}, 'Pick a workload, a metric and a strategy.')]);
			return;
		}
		const qs = query(q);
		append(serBody, [plot(API + '/history/plot.svg' + qs, 'history of ' + q.metric,
			q.metric + ' of ' + q.strategy + ' on ' + q.workload + ' by label')]);
		let doc;
		try {
			doc = await api('/history' + qs);
		} catch (e) {
			if (current(g))
				serBody.appendChild(errorBox(e, 'History unavailable'));
			return;
		}
		if (!current(g))
			return;
		for (const s of doc.series || []) {
			const cps = new Map((s.change_points || []).map((c) => [c.index, c]));
			const rows = (s.points || []).map((p, i) => {
				const c = cps.get(i);
				return [link('#/experiments/' + encodeURIComponent(p.experiment), p.experiment),
					el('span.label', {}, p.label || ''), when(p.created_at), value(p.n), num(p.median),
					c ? el('span.changepoint', {}, 'change ' + pct(c.change) + ' (p=' + num(c.p) + ')') : ''];
			});
			serBody.appendChild(table(cellText(s.cell) + ': ' + (s.points || []).length + ' points',
				['Experiment', 'Label', 'Created', 'n', 'Median', 'Change point'], rows, 'history'));
		}
		if (!(doc.series || []).length)
			serBody.appendChild(el('p.empty', {}, 'No experiment has this series yet.'));
		serBody.appendChild(el('details.spec', {}, el('summary', {}, 'The points as JSON'),
			el('pre', {}, JSON.stringify(doc, null, 2))));
	}

	/* {"ats": false} or its JSON text -> "ats=false" */
	function cellOf(v) {
		if (typeof v === 'string') {
			try {
				return cellText(JSON.parse(v));
			} catch (e) {
				return v;
			}
		}
		return v && typeof v === 'object' ? cellText(v) : value(v);
	}

	/* The alerts, newest first: GET /api/v1/alerts, {"alerts": [...], "next_cursor"}. */
	async function loadAlerts(g, body) {
		let doc;
		try {
			doc = await api('/alerts' + query({limit: ALERTS_LIMIT}));
		} catch (e) {
			if (current(g))
				body.appendChild(errorBox(e, 'Alerts unavailable'));
			return;
		}
		if (!current(g))
			return;
		const alerts = doc.alerts || [];
		if (!alerts.length) {
			body.appendChild(el('p.empty', {}, 'No alerts.'));
			return;
		}
		/* the columns: the known ones first, then whatever else alerts carry */
		const known = ['created_at', 'workload', 'metric', 'strategy', 'cell', 'experiment', 'label',
			'before', 'after', 'change', 'p', 'status'];
		const cols = known.filter((k) => alerts.some((a) => k in a));
		for (const a of alerts)
			for (const k of Object.keys(a))
				if (!cols.includes(k) && k !== 'id')
					cols.push(k);
		const rows = alerts.map((a) => cols.map((k) => {
			const v = a[k];
			if (k === 'experiment' && typeof v === 'string')
				return link('#/experiments/' + encodeURIComponent(v), v);
			if (k === 'metric' && a.workload && a.strategy)
				return link('#/history' + query({workload: a.workload, metric: v, strategy: a.strategy}), value(v));
			if (k === 'created_at')
				return when(v);
			if (k === 'cell')
				return cellOf(v);
			if (k === 'label')
				return el('span.label', {}, value(v));
			if (k === 'change' && typeof v === 'number')
				return pct(v);
			return value(v);
		}));
		body.appendChild(table(alerts.length + (doc.next_cursor ? ' newest' : '') + ' alerts', cols, rows, 'alerts'));
	}
	/* ---- targets and collectors ---- */

	async function pageTargets(g) {
		document.title = 'Targets & collectors - svabench';
		heading('Targets & collectors');
		const [tSec, tBody] = section('Targets', 'sec-targets');
		const [cSec, cBody] = section('Collectors', 'sec-collectors');
		append(main, [el('p.hint', {}, 'Each target\'s parameters, workloads, strategies and presets; below, ',
			el('a', {href: '#sec-collectors'}, 'the counters this host has'), '.'), tSec, cSec]);

		api('/collectors').then((doc) => {
			if (!current(g))
				return;
			const list = doc.collectors || [];
			const avail = list.filter((c) => c.available).length;
			append(cBody, [el('p.hint', {}, avail + ' of ' + list.length + ' counters available on this host.'),
				table('Collectors', ['Event', 'Source', 'Available', 'Reason'], list.map((c) => [
					el('code', {}, c.name), c.source, el('span.badge.' + (c.available ? 'yes' : 'no'), {},
						c.available ? 'yes' : 'no'), c.reason || '']), 'collectors')]);
		}).catch((e) => current(g) && cBody.appendChild(errorBox(e, 'Cannot list the collectors')));

		let list;
		try {
			list = (await api('/targets')).targets || [];
		} catch (e) {
			if (current(g))
				tBody.appendChild(errorBox(e, 'Cannot list the targets'));
			return;
		}
		for (const t of list) {
			const box = el('article.target', {'aria-labelledby': 'target-' + safeClass(t.name)},
				el('h3', {id: 'target-' + safeClass(t.name)}, t.name, ' ',
					el('span.badge.' + (t.available ? 'yes' : 'no'), {}, t.available ? 'available' : 'unavailable')),
				el('p', {}, t.description || ''), t.reason ? el('p.hint', {}, t.reason) : null);
			tBody.appendChild(box);
			try {
				describeTarget(box, await target(t.name));
			} catch (e) {
				box.appendChild(errorBox(e, 'Cannot describe ' + t.name));
			}
		}
	}

	function describeTarget(box, t) {
		if ((t.capabilities || []).length)
			box.appendChild(el('p', {}, 'Capabilities: ', t.capabilities.join(', ')));
		box.appendChild(table('Parameters of ' + t.name, ['Name', 'Group', 'Type', 'Range', 'Default',
			'Unit', 'Help'], (t.params || []).map((p) => [el('code', {}, p.name), p.group || '', p.type,
			range(p, value), value(p.default), p.unit || '', p.help || '']), 'params'));
		box.appendChild(table('Workloads', ['Name', 'What it does', 'Defaults it sets'],
			(t.workloads || []).map((w) => [el('code', {}, w.name), w.help || '',
				Object.keys(w.defaults || {}).map((k) => k + '=' + value(w.defaults[k])).join(' ')])));
		box.appendChild(table('Strategies', ['Name', 'What it does'],
			(t.strategies || []).map((s) => [el('code', {}, s.name), s.help || ''])));
		for (const p of t.presets || []) {
			const values = p.values || {};
			box.appendChild(el('details.preset', {},
				el('summary', {}, 'Preset ', el('strong', {}, p.name), ' – ' +
					Object.keys(values).length + ' values'),
				p.description ? el('p', {}, p.description) : null,
				table('Preset ' + p.name, ['Parameter', 'Value', 'Confidence', 'Source'],
					Object.keys(values).map((k) => [k, value(values[k].value), values[k].confidence || '',
						values[k].source || '']))));
		}
	}

	/* ---- the router ---- */

	const routes = [
		[/^\/?$/, 'experiments', S.pages.list],
		[/^\/experiments\/?$/, 'experiments', S.pages.list],
		[/^\/experiments\/([A-Za-z0-9._-]+)$/, 'experiments', S.pages.experiment],
		[/^\/runs\/([A-Za-z0-9._-]+)$/, 'experiments', S.pages.run],
		[/^\/history$/, 'history', pageHistory],
		[/^\/targets$/, 'targets', pageTargets],
		[/^\/submit$/, 'submit', S.pages.submit],
	];

	function parseHash() {
		const h = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
		const i = h.indexOf('?');
		const path = i < 0 ? h : h.slice(0, i);
		return {path, params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1))};
	}

	function route() {
		if (location.hash && !location.hash.startsWith('#/') && main.childElementCount)
			return; /* an in-page anchor (the skip link), not a page */
		const g = nextPage();
		setStatus(takeFlash());
		const {path, params} = parseHash();
		for (const [re, nav, fn] of routes) {
			const m = path.match(re);
			if (!m)
				continue;
			for (const a of document.querySelectorAll('[data-nav]')) {
				if (a.dataset.nav === nav)
					a.setAttribute('aria-current', 'page');
				else
					a.removeAttribute('aria-current');
			}
			replace(main);
			fn(g, params, ...m.slice(1).map(decodeURIComponent));
			return;
		}
		replace(main, el('h1', {}, 'Not found'),
			el('p', {}, 'No page ' + path + '. '), link('#/', 'Back to the experiments'));
	}

	S.route = route;
	window.addEventListener('hashchange', route);
	route();
}(window.svabench));
